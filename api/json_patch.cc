#include "api/json_patch.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "api/internal/json.h"

namespace phalanx::api {
namespace {

using internal::Json;

// Abseil here is built with its own string_view type; StrCat needs it spelled out.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string_view KindName(JsonPatchOp::Kind kind) {
  switch (kind) {
    case JsonPatchOp::Kind::kAdd:
      return "add";
    case JsonPatchOp::Kind::kReplace:
      return "replace";
    case JsonPatchOp::Kind::kRemove:
      return "remove";
    case JsonPatchOp::Kind::kTest:
      return "test";
  }
  return "add";
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

PatchValue PatchValue::String(std::string_view s) { return PatchValue(Dump(Json(std::string(s)))); }
PatchValue PatchValue::Int(int64_t v) { return PatchValue(std::to_string(v)); }
PatchValue PatchValue::Bool(bool v) { return PatchValue(v ? "true" : "false"); }

PatchValue PatchValue::Map(const StringMap& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return PatchValue(Dump(j));
}

PatchValue PatchValue::Object(
    std::initializer_list<std::pair<std::string_view, PatchValue>> members) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : members) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, Dump(Json(std::string(key))), ":", value.json());
  }
  out += '}';
  return PatchValue(std::move(out));
}

PatchValue PatchValue::Array(std::initializer_list<PatchValue> items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += item.json();
  }
  out += ']';
  return PatchValue(std::move(out));
}

PatchValue PatchValue::Raw(std::string json) { return PatchValue(std::move(json)); }

std::string JsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size() + 4);
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string JsonPointer(std::initializer_list<std::string_view> tokens) {
  std::string out;
  for (std::string_view t : tokens) absl::StrAppend(&out, "/", JsonPointerToken(t));
  return out;
}

void JsonPatch::Add(std::string path, PatchValue value) {
  ops_.push_back({JsonPatchOp::Kind::kAdd, std::move(path), std::move(value)});
}
void JsonPatch::Replace(std::string path, PatchValue value) {
  ops_.push_back({JsonPatchOp::Kind::kReplace, std::move(path), std::move(value)});
}
void JsonPatch::Remove(std::string path) {
  ops_.push_back({JsonPatchOp::Kind::kRemove, std::move(path), PatchValue::Raw("null")});
}
void JsonPatch::Test(std::string path, PatchValue value) {
  ops_.push_back({JsonPatchOp::Kind::kTest, std::move(path), std::move(value)});
}

void JsonPatch::SetMapEntry(std::string_view map_path, bool map_exists, std::string_view key,
                            std::string_view value) {
  if (!map_exists) {
    Add(std::string(map_path), PatchValue::Map(StringMap{{std::string(key), std::string(value)}}));
    return;
  }
  Add(absl::StrCat(Sv(map_path), "/", JsonPointerToken(key)), PatchValue::String(value));
}

void JsonPatch::AppendToList(std::string_view list_path, bool list_exists, PatchValue item) {
  if (!list_exists) {
    Add(std::string(list_path), PatchValue::Raw(absl::StrCat("[", item.json(), "]")));
    return;
  }
  Add(absl::StrCat(Sv(list_path), "/-"), std::move(item));
}

std::string JsonPatch::ToJson() const {
  std::string out = "[";
  bool first = true;
  for (const auto& op : ops_) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, "{\"op\":\"", Sv(KindName(op.kind)), "\",\"path\":", Dump(Json(op.path)));
    if (op.kind != JsonPatchOp::Kind::kRemove) absl::StrAppend(&out, ",\"value\":", op.value.json());
    out += '}';
  }
  out += ']';
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  std::array<int, 256> rev;
  rev.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); ++i) rev[uint8_t(kAlphabet[i])] = int(i);
  if (text.size() % 4 != 0) return absl::InvalidArgumentError("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || rev[uint8_t(c)] < 0) {
        return absl::InvalidArgumentError(absl::StrCat("base64: illegal data at input byte ", i + k));
      }
      v[k] = rev[uint8_t(c)];
    }
    uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out += char((n >> 16) & 0xff);
    if (pad < 2) out += char((n >> 8) & 0xff);
    if (pad < 1) out += char(n & 0xff);
  }
  return out;
}

absl::StatusOr<std::string> ApplyJsonPatch(std::string_view document, std::string_view patch) {
  auto doc = internal::ParseJson(document);
  if (!doc.ok()) return doc.status();
  auto ops = internal::ParseJson(patch);
  if (!ops.ok()) return ops.status();
  if (!ops->is_array()) return absl::InvalidArgumentError("JSON patch is not an array");
  try {
    return Dump(doc->patch(*ops));
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("JSON patch failed: ", e.what()));
  }
}

}  // namespace phalanx::api
