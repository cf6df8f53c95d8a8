// placement/eligibility.h
//
// Whether a pod may run on a node as far as labels and taints decide: nodeSelector, required node
// affinity (In / NotIn / Exists / DoesNotExist / Gt / Lt, matchFields on metadata.name) and
// NoSchedule / NoExecute taints against tolerations (PreferNoSchedule never excludes). Node labels
// are interned once (LabelPool); a pod's Eligibility is compiled against the pool once per query and
// then checked per node with integer compares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "placement/model.h"

namespace phalanx::placement {

using LabelId = uint32_t;
inline constexpr LabelId kNoLabel = 0xFFFFFFFF;

// Interns label keys and values (one id space for both), reference-counted so that values seen
// once (host names) are dropped with their node and the pool does not grow under node churn.
class LabelPool {
 public:
  LabelId Intern(std::string_view s);  // adds a reference
  void Release(LabelId id);            // drops one; the id may be reused once none are left
  LabelId Find(std::string_view s) const;  // kNoLabel if not interned
  const std::string& str(LabelId id) const { return strings_[id]; }
  size_t size() const { return ids_.size(); }

 private:
  absl::flat_hash_map<std::string, LabelId> ids_;
  std::vector<std::string> strings_;
  std::vector<uint32_t> refs_;
  std::vector<LabelId> free_;
};

// A node's labels as (key, value) ids sorted by key.
using LabelSet = std::vector<std::pair<LabelId, LabelId>>;

LabelSet InternLabels(LabelPool& pool, const absl::btree_map<std::string, std::string>& labels);
// Drops the references InternLabels took.
void ReleaseLabels(LabelPool& pool, const LabelSet& labels);
// The value id of `key` in `labels`, or kNoLabel.
LabelId LabelValue(const LabelSet& labels, LabelId key);

enum class EligibilityResult { kOk, kSelectorMismatch, kUntoleratedTaint };

class CompiledEligibility {
 public:
  CompiledEligibility() = default;
  CompiledEligibility(const LabelPool& pool, const Eligibility& e);

  EligibilityResult Check(const LabelPool& pool, std::string_view node_name,
                          const LabelSet& labels, absl::Span<const Taint> taints) const;
  // Same, for taints interned as `taint_set`: the answer per set is remembered, so an instance
  // must not be shared between threads.
  EligibilityResult Check(const LabelPool& pool, std::string_view node_name,
                          const LabelSet& labels, uint32_t taint_set,
                          absl::Span<const Taint> taints) const;
  bool MatchesLabels(const LabelPool& pool, std::string_view node_name,
                     const LabelSet& labels) const;
  bool Tolerates(absl::Span<const Taint> taints) const;

 private:
  struct Req {
    LabelId key = kNoLabel;
    SelectorOperator op = SelectorOperator::kIn;
    std::vector<LabelId> values;  // sorted, known values only
    int64_t bound = 0;            // Gt / Lt
    bool bound_ok = false;
  };
  struct Term {
    std::vector<Req> reqs;
    absl::flat_hash_set<std::string> node_names;
  };

  bool impossible_ = false;  // a nodeSelector entry no node carries
  std::vector<std::pair<LabelId, LabelId>> selector_;
  std::vector<Term> terms_;
  std::vector<Toleration> tolerations_;
  bool matches_all_labels_ = true;  // no selector, no terms
  mutable std::vector<int8_t> tolerates_;  // per taint set: -1 unknown, 0 no, 1 yes
};

// True if some toleration in `tolerations` tolerates `taint`.
bool Tolerated(absl::Span<const Toleration> tolerations, const Taint& taint);

}  // namespace phalanx::placement
