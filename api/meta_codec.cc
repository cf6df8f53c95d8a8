// JSON helpers shared by the api/ codecs, and the ObjectMeta / OwnerReference codec.
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "api/meta.h"
#include "common/json_text.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::api {

std::optional<std::string> ObjectMeta::Label(std::string_view key) const {
  if (!labels) return std::nullopt;
  auto it = labels->find(std::string(key));
  if (it == labels->end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ObjectMeta::Annotation(std::string_view key) const {
  if (!annotations) return std::nullopt;
  auto it = annotations->find(std::string(key));
  if (it == annotations->end()) return std::nullopt;
  return it->second;
}

namespace internal {

RawJson MakeRaw(const Json& value) {
  if (value.is_object() && value.empty()) return RawJson();
  return RawJson(std::make_shared<const JsonHolder>(JsonHolder{JsonText(value)}));
}

Json AsJson(const RawJson& raw) {
  // The text was written by JsonText, so it parses; a discarded value cannot happen.
  return Json::parse(raw.holder().text, nullptr, /*allow_exceptions=*/false);
}

int JsonDepth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

absl::StatusOr<Json> ParseJson(std::string_view text) {
  if (JsonDepth(text) > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels"));
  }
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Re-run with exceptions to get the parser's position message; caught right here.
    try {
      Json ignored = Json::parse(text.begin(), text.end());
    (void)ignored;
    } catch (const Json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double ("1e400"): both are the
      // input's fault and must not escape (an escaping out_of_range ended the process: fuzz/).
      std::string what = e.what();
      // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → drop the prefix.
      size_t p = what.find("] ");
      return absl::InvalidArgumentError(
          absl::StrCat("malformed JSON: ", p == std::string::npos ? what : what.substr(p + 2)));
    }
    return absl::InvalidArgumentError("malformed JSON");
  }
  return j;
}

std::string Child(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return absl::StrCat(AsAbsl(path), ".", AsAbsl(key));
}

std::string Index(std::string_view path, size_t i) { return absl::StrCat(AsAbsl(path), "[", i, "]"); }

absl::Status TypeError(std::string_view path, std::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(path), ": expected ", AsAbsl(want), ", got ", got.type_name()));
}

namespace {
// Finds a non-null `key`; nullptr when absent or null.
Json* Find(Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

absl::Status TakeString(Json& obj, std::string_view key, std::string_view path,
                        std::optional<std::string>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_string()) return TypeError(Child(path, key), "string", *v);
  out = v->get<std::string>();
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeRequiredString(Json& obj, std::string_view key, std::string_view path,
                                std::string& out) {
  std::optional<std::string> v;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, key, path, v));
  if (!v) return absl::InvalidArgumentError(absl::StrCat(Child(path, key), ": Required value"));
  out = std::move(*v);
  return absl::OkStatus();
}

absl::Status TakeInt64(Json& obj, std::string_view key, std::string_view path,
                       std::optional<int64_t>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat(Child(path, key), ": integer out of range"));
    }
    out = static_cast<int64_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    out = v->get<int64_t>();
  } else {
    return TypeError(Child(path, key), "integer", *v);
  }
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeInt32(Json& obj, std::string_view key, std::string_view path,
                       std::optional<int32_t>& out) {
  std::optional<int64_t> wide;
  PHALANX_RETURN_IF_ERROR(TakeInt64(obj, key, path, wide));
  if (!wide) return absl::OkStatus();
  if (*wide < std::numeric_limits<int32_t>::min() || *wide > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Child(path, key), ": ", *wide, " is out of range for int32"));
  }
  out = static_cast<int32_t>(*wide);
  return absl::OkStatus();
}

absl::Status TakeBool(Json& obj, std::string_view key, std::string_view path,
                      std::optional<bool>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_boolean()) return TypeError(Child(path, key), "boolean", *v);
  out = v->get<bool>();
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeStringMap(Json& obj, std::string_view key, std::string_view path,
                           std::optional<StringMap>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_object()) return TypeError(Child(path, key), "object", *v);
  StringMap m;
  for (auto& [k, val] : v->items()) {
    if (!val.is_string()) return TypeError(Child(Child(path, key), k), "string", val);
    m.emplace(k, val.get<std::string>());
  }
  out = std::move(m);
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeStringList(Json& obj, std::string_view key, std::string_view path,
                            std::optional<std::vector<std::string>>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_array()) return TypeError(Child(path, key), "array", *v);
  std::vector<std::string> list;
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    if (!e.is_string()) return TypeError(Index(Child(path, key), i), "string", e);
    list.push_back(e.get<std::string>());
  }
  out = std::move(list);
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeRawList(Json& obj, std::string_view key, std::string_view path,
                         std::optional<std::vector<RawJson>>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_array()) return TypeError(Child(path, key), "array", *v);
  std::vector<RawJson> list;
  list.reserve(v->size());
  for (Json& e : *v) list.push_back(MakeRaw(std::move(e)));
  out = std::move(list);
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeObject(Json& obj, std::string_view key, std::string_view path,
                        std::optional<Json>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_object()) return TypeError(Child(path, key), "object", *v);
  if (v->empty()) return absl::OkStatus();  // `{}` stays verbatim in the caller's extra
  out = std::move(*v);
  obj.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status TakeArray(Json& obj, std::string_view key, std::string_view path,
                       std::optional<Json>& out) {
  Json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_array()) return TypeError(Child(path, key), "array", *v);
  out = std::move(*v);
  obj.erase(std::string(key));
  return absl::OkStatus();
}

void PutString(Json& obj, std::string_view key, const std::optional<std::string>& v) {
  if (v) obj[std::string(key)] = *v;
}
void PutInt(Json& obj, std::string_view key, const std::optional<int64_t>& v) {
  if (v) obj[std::string(key)] = *v;
}
void PutInt32(Json& obj, std::string_view key, const std::optional<int32_t>& v) {
  if (v) obj[std::string(key)] = *v;
}
void PutBool(Json& obj, std::string_view key, const std::optional<bool>& v) {
  if (v) obj[std::string(key)] = *v;
}
void PutStringMap(Json& obj, std::string_view key, const std::optional<StringMap>& v) {
  if (!v) return;
  Json m = Json::object();
  for (const auto& [k, val] : *v) m[k] = val;
  obj[std::string(key)] = std::move(m);
}
void PutStringList(Json& obj, std::string_view key,
                   const std::optional<std::vector<std::string>>& v) {
  if (!v) return;
  Json a = Json::array();
  for (const auto& s : *v) a.push_back(s);
  obj[std::string(key)] = std::move(a);
}
void PutRawList(Json& obj, std::string_view key, const std::optional<std::vector<RawJson>>& v) {
  if (!v) return;
  Json a = Json::array();
  for (const auto& r : *v) a.push_back(AsJson(r));
  obj[std::string(key)] = std::move(a);
}

namespace {

absl::Status DecodeOwnerReference(Json obj, std::string_view path, OwnerReference& out) {
  if (!obj.is_object()) return TypeError(path, "object", obj);
  std::optional<std::string> s;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "apiVersion", path, s));
  out.api_version = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "kind", path, s));
  out.kind = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, s));
  out.name = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "uid", path, s));
  out.uid = s.value_or("");
  PHALANX_RETURN_IF_ERROR(TakeBool(obj, "controller", path, out.controller));
  PHALANX_RETURN_IF_ERROR(TakeBool(obj, "blockOwnerDeletion", path, out.block_owner_deletion));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeOwnerReference(const OwnerReference& r) {
  Json j = AsJson(r.extra);
  j["apiVersion"] = r.api_version;
  j["kind"] = r.kind;
  j["name"] = r.name;
  j["uid"] = r.uid;
  PutBool(j, "controller", r.controller);
  PutBool(j, "blockOwnerDeletion", r.block_owner_deletion);
  return j;
}

}  // namespace

absl::Status DecodeObjectMeta(Json obj, std::string_view path, ObjectMeta& out) {
  if (!obj.is_object()) return TypeError(path, "object", obj);
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, out.name));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "generateName", path, out.generate_name));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "namespace", path, out.namespace_));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "uid", path, out.uid));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "resourceVersion", path, out.resource_version));
  PHALANX_RETURN_IF_ERROR(TakeInt64(obj, "generation", path, out.generation));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "creationTimestamp", path, out.creation_timestamp));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "deletionTimestamp", path, out.deletion_timestamp));
  PHALANX_RETURN_IF_ERROR(TakeStringMap(obj, "labels", path, out.labels));
  PHALANX_RETURN_IF_ERROR(TakeStringMap(obj, "annotations", path, out.annotations));
  std::optional<Json> owners;
  PHALANX_RETURN_IF_ERROR(TakeArray(obj, "ownerReferences", path, owners));
  if (owners) {
    std::string opath = Child(path, "ownerReferences");
    out.owner_references.emplace();
    for (size_t i = 0; i < owners->size(); ++i) {
      OwnerReference ref;
      PHALANX_RETURN_IF_ERROR(DecodeOwnerReference(std::move((*owners)[i]), Index(opath, i), ref));
      out.owner_references->push_back(std::move(ref));
    }
  }
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeObjectMeta(const ObjectMeta& m) {
  Json j = AsJson(m.extra);
  PutString(j, "name", m.name);
  PutString(j, "generateName", m.generate_name);
  PutString(j, "namespace", m.namespace_);
  PutString(j, "uid", m.uid);
  PutString(j, "resourceVersion", m.resource_version);
  PutInt(j, "generation", m.generation);
  PutString(j, "creationTimestamp", m.creation_timestamp);
  PutString(j, "deletionTimestamp", m.deletion_timestamp);
  PutStringMap(j, "labels", m.labels);
  PutStringMap(j, "annotations", m.annotations);
  if (m.owner_references) {
    Json a = Json::array();
    for (const auto& r : *m.owner_references) a.push_back(EncodeOwnerReference(r));
    j["ownerReferences"] = std::move(a);
  }
  return j;
}

}  // namespace internal
}  // namespace phalanx::api
