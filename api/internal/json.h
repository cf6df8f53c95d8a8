// api/internal/json.h
//
// The only header in api/ that includes a JSON library. Field readers ("Take*": remove a modeled key
// from an object and decode it, with the field path in any error) and writers ("Put*": set a key, or
// erase it when the value is absent) shared by every codec in api/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/meta.h"
#include "api/raw_json.h"
#include "nlohmann/json.hpp"

namespace phalanx::api::internal {

using Json = nlohmann::json;

// What a RawJson shares: its value as compact text with object keys sorted (JsonText of an nlohmann
// value, whose objects are ordered maps), never a parsed tree — a tree costs ~10x the text, and
// long-lived caches (the controller's Jobs) hold thousands of these. Valid JSON by construction.
struct JsonHolder {
  std::string text;
};

// The empty object `{}` is shared, not allocated per value.
RawJson MakeRaw(const Json& value);
// Parses the text again on every call (a fresh value): read it once per use, not per field.
Json AsJson(const RawJson& raw);

// Parses JSON text without throwing; kInvalidArgument on malformed input or nesting deeper than
// kMaxDepth.
inline constexpr int kMaxDepth = 128;
absl::StatusOr<Json> ParseJson(std::string_view text);
// Maximum nesting depth of JSON text (brackets outside strings).
int JsonDepth(std::string_view text);

// "spec.replicatedJobs[0]" style paths.
std::string Child(std::string_view path, std::string_view key);
std::string Index(std::string_view path, size_t i);

absl::Status TypeError(std::string_view path, std::string_view want, const Json& got);

// Readers: if `key` is present and not null in `obj`, decode it into `out`, erase it from `obj`.
// A null value is left in `obj` (so it round-trips through `extra`).
absl::Status TakeString(Json& obj, std::string_view key, std::string_view path,
                        std::optional<std::string>& out);
absl::Status TakeInt32(Json& obj, std::string_view key, std::string_view path,
                       std::optional<int32_t>& out);
absl::Status TakeInt64(Json& obj, std::string_view key, std::string_view path,
                       std::optional<int64_t>& out);
absl::Status TakeBool(Json& obj, std::string_view key, std::string_view path,
                      std::optional<bool>& out);
absl::Status TakeStringMap(Json& obj, std::string_view key, std::string_view path,
                           std::optional<StringMap>& out);
absl::Status TakeStringList(Json& obj, std::string_view key, std::string_view path,
                            std::optional<std::vector<std::string>>& out);
absl::Status TakeRawList(Json& obj, std::string_view key, std::string_view path,
                         std::optional<std::vector<RawJson>>& out);
// A non-empty object-valued key: moved out into `out` (nullopt when absent, null or `{}`; an empty
// object is left in `obj` so it round-trips).
absl::Status TakeObject(Json& obj, std::string_view key, std::string_view path,
                        std::optional<Json>& out);
// An array-valued key: moved out into `out`.
absl::Status TakeArray(Json& obj, std::string_view key, std::string_view path,
                       std::optional<Json>& out);
// Required string (present, not null): kInvalidArgument otherwise.
absl::Status TakeRequiredString(Json& obj, std::string_view key, std::string_view path,
                                std::string& out);

// Writers: set obj[key] to the value, or erase the key when the optional is empty.
void PutString(Json& obj, std::string_view key, const std::optional<std::string>& v);
void PutInt(Json& obj, std::string_view key, const std::optional<int64_t>& v);
void PutInt32(Json& obj, std::string_view key, const std::optional<int32_t>& v);
void PutBool(Json& obj, std::string_view key, const std::optional<bool>& v);
void PutStringMap(Json& obj, std::string_view key, const std::optional<StringMap>& v);
void PutStringList(Json& obj, std::string_view key,
                   const std::optional<std::vector<std::string>>& v);
void PutRawList(Json& obj, std::string_view key, const std::optional<std::vector<RawJson>>& v);

// ObjectMeta codec, shared by every object codec.
absl::Status DecodeObjectMeta(Json obj, std::string_view path, ObjectMeta& out);
Json EncodeObjectMeta(const ObjectMeta& meta);

}  // namespace phalanx::api::internal
