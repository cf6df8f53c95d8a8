// api/internal/rapidjson_read.h
//
// Checked reads of RapidJSON values for the hot-path decoders (pods, AdmissionReview): type names
// and type errors worded like the nlohmann-based readers in api/internal/json.h, so every decoder in
// api/ reports "<path>: expected <type>, got <type>". RapidJSON never throws, but reading a value
// as the wrong type is undefined behaviour: always check with these first.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace phalanx::api::internal {

inline const char* TypeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsObject()) return "object";
  if (v.IsArray()) return "array";
  if (v.IsString()) return "string";
  return "number";
}

inline absl::Status WrongType(std::string_view path, std::string_view want,
                              const rapidjson::Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(path), ": expected ", AsAbsl(want), ", got ", TypeName(got)));
}

// The member `key` of an object; nullptr when absent or null.
inline const rapidjson::Value* Member(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

// A string value (precondition: v.IsString()).
inline std::string Str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

}  // namespace phalanx::api::internal
