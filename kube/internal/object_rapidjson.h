// kube/internal/object_rapidjson.h
//
// The client's hot decoding path on RapidJSON: object headers (apiVersion, kind, metadata) read off a
// parsed value, and the value written back as compact JSON text — what every watch event and list item
// of every informer goes through. Private to kube/. Never throws: RapidJSON values are type-checked
// before they are read; the writer passes string bytes through unchanged (no UTF-8 validation, so text
// that came in goes out as it came).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kube/object.h"
#include "rapidjson/document.h"

namespace phalanx::kube::internal {

// The Object for `value` (a JSON object) with `text` as its json. kInvalidArgument as ParseObject.
absl::StatusOr<Object> ObjectFromValue(const rapidjson::Value& value, std::string text);

// obj[key] when `obj` is an object holding a string there, else "".
std::string StringMember(const rapidjson::Value& obj, const char* key);

// Compact JSON text of `value`.
std::string WriteValue(const rapidjson::Value& value);

// Parses `text` into `doc` (copying strings; `text` need not outlive it). kInvalidArgument if it is not
// JSON or nests deeper than the API server allows objects to.
absl::Status ParseRapid(absl::string_view text, rapidjson::Document& doc);

}  // namespace phalanx::kube::internal
