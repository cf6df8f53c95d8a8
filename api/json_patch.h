// api/json_patch.h
//
// RFC 6902 JSON Patch documents as admission webhooks send them: an ordered list of operations whose
// paths are RFC 6901 JSON Pointers (`~` → `~0`, `/` → `~1` inside a token, so a label key such as
// `jobset.sigs.k8s.io/priority` becomes `jobset.sigs.k8s.io~1priority`). Values are built from a few
// typed shapes (string, string map, object, array, raw JSON), so callers outside api/ never touch a
// JSON library. Value types; not thread-safe for concurrent mutation, safe to read concurrently.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api/meta.h"

namespace phalanx::api {

// PatchValue: a JSON value held as compact JSON text.
class PatchValue {
 public:
  static PatchValue String(std::string_view s);
  static PatchValue Int(int64_t v);
  static PatchValue Bool(bool v);
  static PatchValue Map(const StringMap& m);
  // An object with the given members, in the given order.
  static PatchValue Object(std::initializer_list<std::pair<std::string_view, PatchValue>> members);
  static PatchValue Array(std::initializer_list<PatchValue> items);
  // `json` must already be valid JSON text (e.g. from another codec); it is not re-checked.
  static PatchValue Raw(std::string json);

  const std::string& json() const { return json_; }

 private:
  explicit PatchValue(std::string json) : json_(std::move(json)) {}
  std::string json_;
};

struct JsonPatchOp {
  enum class Kind { kAdd, kReplace, kRemove, kTest };
  Kind kind = Kind::kAdd;
  std::string path;  // a JSON Pointer, already escaped
  PatchValue value = PatchValue::Raw("null");  // unused for kRemove
};

// JsonPointerToken escapes one reference token (RFC 6901 §3): "~" → "~0", "/" → "~1".
std::string JsonPointerToken(std::string_view token);
// JsonPointer builds "/t1/t2/..." from unescaped tokens.
std::string JsonPointer(std::initializer_list<std::string_view> tokens);

class JsonPatch {
 public:
  void Add(std::string path, PatchValue value);
  void Replace(std::string path, PatchValue value);
  void Remove(std::string path);
  void Test(std::string path, PatchValue value);

  // SetMapEntry sets `key` in the string map at pointer `map_path` (e.g. "/metadata/labels").
  // When the map does not exist (`map_exists` false) the whole map is added as {key: value}: an
  // "add" into a missing parent fails under RFC 6902. When it exists, "add" at map_path/<escaped key>
  // creates or overwrites the member.
  void SetMapEntry(std::string_view map_path, bool map_exists, std::string_view key,
                   std::string_view value);
  // AppendToList appends `item` to the array at `list_path`, creating the array when missing
  // (`list_exists` false) and using the "-" index otherwise.
  void AppendToList(std::string_view list_path, bool list_exists, PatchValue item);

  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  const std::vector<JsonPatchOp>& ops() const { return ops_; }

  // The patch document: a compact JSON array ("[]" when empty).
  std::string ToJson() const;

 private:
  std::vector<JsonPatchOp> ops_;
};

// Standard base64 (RFC 4648 §4, with padding), the encoding of AdmissionResponse.patch.
std::string Base64Encode(std::string_view bytes);
// Inverse of Base64Encode; kInvalidArgument on characters outside the alphabet or bad padding.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// ApplyJsonPatch applies `patch` (a JSON Patch array) to `document` and returns the result as compact
// JSON with sorted keys. kInvalidArgument when either is malformed or an operation fails (missing
// parent, failed test, bad index). Used to check patches in tests and offline tools.
absl::StatusOr<std::string> ApplyJsonPatch(std::string_view document, std::string_view patch);

}  // namespace phalanx::api
