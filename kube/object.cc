#include "kube/object.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kube/internal/json.h"
#include "kube/internal/object_json.h"
#include "kube/internal/object_rapidjson.h"

namespace phalanx::kube {
namespace {

using internal::Json;

absl::Status ReadStringMap(const Json& meta, const char* key, std::map<std::string, std::string>* out) {
  auto it = meta.find(key);
  if (it == meta.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return absl::InvalidArgumentError(absl::StrCat("metadata.", key, " is not an object"));
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return absl::InvalidArgumentError(absl::StrCat("metadata.", key, ".", k, " is not a string"));
    (*out)[k] = v.get<std::string>();
  }
  return absl::OkStatus();
}

}  // namespace

const OwnerReference* ObjectMeta::ControllerRef() const {
  for (const OwnerReference& ref : owner_references) {
    if (ref.controller) return &ref;
  }
  return nullptr;
}

absl::StatusOr<Object> ParseObject(absl::string_view json) {
  rapidjson::Document doc;
  if (absl::Status s = internal::ParseRapid(json, doc); !s.ok()) return s;
  return internal::ObjectFromValue(doc, std::string(json));
}

absl::StatusOr<Object> internal::ObjectFromJson(const Json& j, std::string text) {
  if (!j.is_object()) return absl::InvalidArgumentError("object is not a JSON object");
  Object obj;
  obj.json = std::move(text);
  obj.api_version = internal::GetString(j, "apiVersion");
  obj.kind = internal::GetString(j, "kind");
  auto mit = j.find("metadata");
  if (mit == j.end() || mit->is_null()) return obj;
  const Json& m = *mit;
  if (!m.is_object()) return absl::InvalidArgumentError("metadata is not an object");
  ObjectMeta& meta = obj.meta;
  meta.name = internal::GetString(m, "name");
  meta.generate_name = internal::GetString(m, "generateName");
  meta.namespace_ = internal::GetString(m, "namespace");
  meta.uid = internal::GetString(m, "uid");
  meta.resource_version = internal::GetString(m, "resourceVersion");
  meta.creation_timestamp = internal::GetString(m, "creationTimestamp");
  if (auto it = m.find("generation"); it != m.end() && it->is_number_integer()) meta.generation = it->get<int64_t>();
  if (auto it = m.find("deletionTimestamp"); it != m.end() && it->is_string()) {
    meta.deletion_timestamp = it->get<std::string>();
  }
  if (absl::Status s = ReadStringMap(m, "labels", &meta.labels); !s.ok()) return s;
  if (absl::Status s = ReadStringMap(m, "annotations", &meta.annotations); !s.ok()) return s;
  if (auto it = m.find("finalizers"); it != m.end() && it->is_array()) {
    for (const Json& f : *it) {
      if (f.is_string()) meta.finalizers.push_back(f.get<std::string>());
    }
  }
  if (auto it = m.find("ownerReferences"); it != m.end() && it->is_array()) {
    for (const Json& r : *it) {
      if (!r.is_object()) return absl::InvalidArgumentError("metadata.ownerReferences entry is not an object");
      OwnerReference ref;
      ref.api_version = internal::GetString(r, "apiVersion");
      ref.kind = internal::GetString(r, "kind");
      ref.name = internal::GetString(r, "name");
      ref.uid = internal::GetString(r, "uid");
      if (auto c = r.find("controller"); c != r.end() && c->is_boolean()) ref.controller = c->get<bool>();
      if (auto b = r.find("blockOwnerDeletion"); b != r.end() && b->is_boolean()) {
        ref.block_owner_deletion = b->get<bool>();
      }
      meta.owner_references.push_back(std::move(ref));
    }
  }
  return obj;
}

int64_t ResourceVersionNumber(absl::string_view rv) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(rv, &n)) return 0;
  return n;
}

void KeepIdentityOnly(Object& object) {
  object.json.clear();
  object.json.shrink_to_fit();
  ObjectMeta meta;
  meta.name = std::move(object.meta.name);
  meta.namespace_ = std::move(object.meta.namespace_);
  meta.uid = std::move(object.meta.uid);
  meta.resource_version = std::move(object.meta.resource_version);
  object.meta = std::move(meta);
  object.api_version.clear();
  object.kind.clear();
}

}  // namespace phalanx::kube
