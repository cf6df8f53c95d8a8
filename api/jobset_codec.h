// api/jobset_codec.h
//
// JSON ↔ JobSet. Decoding is strict about types of modeled fields (a string where an integer belongs is
// an error naming the field path) and keeps every unmodeled field verbatim, so Encode(Decode(x)) == x as
// JSON values. Never throws.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/jobset.h"

namespace phalanx::api {

// kInvalidArgument for malformed JSON, a non-object, a wrong apiVersion/kind (both must be present and
// equal to jobset.x-k8s.io/v1alpha2 / JobSet), or a modeled field of the wrong type.
absl::StatusOr<JobSet> DecodeJobSet(std::string_view json);

// Compact JSON (object keys sorted).
std::string EncodeJobSet(const JobSet& jobset);

}  // namespace phalanx::api
