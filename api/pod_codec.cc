// JSON → Pod (api/pod.h). Reads only the modeled fields, without copying the rest of the object.
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "api/pod.h"
#include "common/status_macros.h"

namespace phalanx::api {
namespace {

using internal::Json;

// Abseil here is built with its own string_view type; StrCat needs it spelled out.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status WrongType(std::string_view path, std::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(path), ": expected ", Sv(want), ", got ", got.type_name()));
}

// nullptr when absent or null.
const Json* Member(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadString(const Json& obj, const char* key, std::string_view path,
                        std::optional<std::string>& out) {
  const Json* j = Member(obj, key);
  if (j == nullptr) return absl::OkStatus();
  if (!j->is_string()) return WrongType(absl::StrCat(Sv(path), ".", key), "string", *j);
  out = j->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadMap(const Json& obj, const char* key, std::string_view path,
                     std::optional<StringMap>& out) {
  const Json* j = Member(obj, key);
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(Sv(path), ".", key);
  if (!j->is_object()) return WrongType(p, "object", *j);
  StringMap m;
  for (const auto& [k, v] : j->items()) {
    if (!v.is_string()) return WrongType(absl::StrCat(p, "[", k, "]"), "string", v);
    m.emplace(k, v.get<std::string>());
  }
  out = std::move(m);
  return absl::OkStatus();
}

absl::Status ReadOwner(const Json& j, std::string_view path, OwnerReference& out) {
  if (!j.is_object()) return WrongType(path, "object", j);
  std::optional<std::string> s;
  PHALANX_RETURN_IF_ERROR(ReadString(j, "apiVersion", path, s));
  out.api_version = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(ReadString(j, "kind", path, s));
  out.kind = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(ReadString(j, "name", path, s));
  out.name = s.value_or("");
  s.reset();
  PHALANX_RETURN_IF_ERROR(ReadString(j, "uid", path, s));
  out.uid = s.value_or("");
  if (const Json* c = Member(j, "controller")) {
    if (!c->is_boolean()) return WrongType(absl::StrCat(Sv(path), ".controller"), "boolean", *c);
    out.controller = c->get<bool>();
  }
  if (const Json* b = Member(j, "blockOwnerDeletion")) {
    if (!b->is_boolean()) {
      return WrongType(absl::StrCat(Sv(path), ".blockOwnerDeletion"), "boolean", *b);
    }
    out.block_owner_deletion = b->get<bool>();
  }
  return absl::OkStatus();
}

absl::Status ReadMeta(const Json& j, ObjectMeta& out) {
  constexpr std::string_view kPath = "metadata";
  if (!j.is_object()) return WrongType(kPath, "object", j);
  PHALANX_RETURN_IF_ERROR(ReadString(j, "name", kPath, out.name));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "generateName", kPath, out.generate_name));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "namespace", kPath, out.namespace_));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "uid", kPath, out.uid));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "deletionTimestamp", kPath, out.deletion_timestamp));
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "labels", kPath, out.labels));
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "annotations", kPath, out.annotations));
  if (const Json* owners = Member(j, "ownerReferences")) {
    if (!owners->is_array()) return WrongType("metadata.ownerReferences", "array", *owners);
    out.owner_references.emplace();
    for (size_t i = 0; i < owners->size(); ++i) {
      OwnerReference ref;
      PHALANX_RETURN_IF_ERROR(
          ReadOwner((*owners)[i], absl::StrCat("metadata.ownerReferences[", i, "]"), ref));
      out.owner_references->push_back(std::move(ref));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSpec(const Json& j, Pod& pod) {
  constexpr std::string_view kPath = "spec";
  if (!j.is_object()) return WrongType(kPath, "object", j);
  if (const Json* p = Member(j, "priority")) {
    if (!p->is_number_integer()) return WrongType("spec.priority", "integer", *p);
    int64_t v = p->get<int64_t>();
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError("spec.priority: out of int32 range");
    }
    pod.priority = static_cast<int32_t>(v);
  }
  if (const Json* gates = Member(j, "schedulingGates")) {
    if (!gates->is_array()) return WrongType("spec.schedulingGates", "array", *gates);
    pod.scheduling_gates.emplace();
    for (size_t i = 0; i < gates->size(); ++i) {
      const Json& g = (*gates)[i];
      std::string gpath = absl::StrCat("spec.schedulingGates[", i, "]");
      if (!g.is_object()) return WrongType(gpath, "object", g);
      std::optional<std::string> name;
      PHALANX_RETURN_IF_ERROR(ReadString(g, "name", gpath, name));
      pod.scheduling_gates->push_back(name.value_or(""));
    }
  }
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "nodeSelector", kPath, pod.node_selector));
  std::optional<std::string> node_name;
  PHALANX_RETURN_IF_ERROR(ReadString(j, "nodeName", kPath, node_name));
  pod.node_name = node_name.value_or("");
  return absl::OkStatus();
}

absl::StatusOr<Pod> DecodePodJson(const Json& j) {
  if (!j.is_object()) return WrongType("pod", "object", j);
  Pod pod;
  if (const Json* m = Member(j, "metadata")) PHALANX_RETURN_IF_ERROR(ReadMeta(*m, pod.metadata));
  if (const Json* s = Member(j, "spec")) PHALANX_RETURN_IF_ERROR(ReadSpec(*s, pod));
  return pod;
}

}  // namespace

bool Pod::HasSchedulingGate(std::string_view name) const {
  if (!scheduling_gates) return false;
  for (const auto& g : *scheduling_gates) {
    if (g == name) return true;
  }
  return false;
}

const OwnerReference* Pod::ControllerOwner() const {
  if (!metadata.owner_references) return nullptr;
  for (const auto& r : *metadata.owner_references) {
    if (r.controller.value_or(false)) return &r;
  }
  return nullptr;
}

absl::StatusOr<Pod> DecodePod(std::string_view json) {
  PHALANX_ASSIGN_OR_RETURN(Json j, internal::ParseJson(json));
  return DecodePodJson(j);
}

absl::StatusOr<Pod> DecodePod(const RawJson& json) { return DecodePodJson(internal::AsJson(json)); }

}  // namespace phalanx::api
