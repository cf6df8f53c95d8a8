// kube/internal/object_json.h
//
// Object from an already parsed JSON document (and its text), so kube/*.cc that hold a parsed object do
// not serialize and parse it again. Private to kube/.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "kube/internal/json.h"
#include "kube/object.h"

namespace phalanx::kube::internal {

// `text` must be the serialization of `j`.
absl::StatusOr<Object> ObjectFromJson(const Json& j, std::string text);

}  // namespace phalanx::kube::internal
