// kube/internal/json.h
//
// nlohmann::json helpers shared by kube/*.cc. Private to kube/: public headers never include it.
// Every parse is non-throwing; accessors check types before reading.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace phalanx::kube::internal {

using Json = nlohmann::json;

// Parses `text`; kInvalidArgument if it is not JSON.
absl::StatusOr<Json> ParseJson(absl::string_view text);

// obj[key] if obj is an object holding a string there, else "".
std::string GetString(const Json& obj, absl::string_view key);

// Compact serialization that never throws (invalid UTF-8 is replaced).
std::string Dump(const Json& j);

}  // namespace phalanx::kube::internal
