// kube/selector.h
//
// Label and field selectors in the Kubernetes string syntax, parsed once and matched many times.
// Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (does not exist),
// comma-separated (AND). `a!=b` and `notin` also match objects without the key, as in Kubernetes.
// Fields: `path=value`, `path==value`, `path!=value` where path is a dotted JSON path such as
// `metadata.name`, `spec.nodeName`, `regarding.name`; a missing field compares as "".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace phalanx::kube {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  // kInvalidArgument on syntax errors. "" selects everything.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool Empty() const { return reqs_.empty(); }
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  struct Requirement {
    std::vector<std::string> path;  // "spec.nodeName" → {"spec", "nodeName"}
    bool negate = false;
    std::string value;
  };
  static absl::StatusOr<FieldSelector> Parse(absl::string_view text);
  const std::vector<Requirement>& requirements() const { return reqs_; }
  bool Empty() const { return reqs_.empty(); }

 private:
  std::vector<Requirement> reqs_;
};

}  // namespace phalanx::kube
