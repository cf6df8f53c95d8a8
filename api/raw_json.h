// api/raw_json.h
//
// RawJson: an immutable JSON value kept verbatim, for the parts of Kubernetes objects Phalanx does not
// model (unknown fields, the rest of a pod spec, tolerations). Cheap to copy (shared, immutable).
// The JSON library stays private to api/: outside api/ a RawJson is only text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace phalanx::api {

namespace internal {
struct JsonHolder;  // defined in api/internal/json.h
}

class RawJson {
 public:
  // The empty JSON object `{}`.
  RawJson();
  explicit RawJson(std::shared_ptr<const internal::JsonHolder> holder);

  // Parses `text`; kInvalidArgument with the parser's position on malformed JSON.
  static absl::StatusOr<RawJson> Parse(std::string_view text);

  // Compact JSON with object keys sorted: equal values give equal text.
  std::string Text() const;
  bool IsEmptyObject() const;

  const internal::JsonHolder& holder() const { return *holder_; }

  friend bool operator==(const RawJson& a, const RawJson& b);

 private:
  std::shared_ptr<const internal::JsonHolder> holder_;
};

}  // namespace phalanx::api
