// kube/object.h
//
// Object: one Kubernetes object as the client hands it out — the JSON text exactly as the server sent
// it, plus a parsed ObjectMeta header so generic code (informers, garbage collection, leader election)
// can key, select and order objects without knowing the type. Callers decode `json` with their own
// codecs (api/). ParseObject() reads only `apiVersion`, `kind` and `metadata`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace phalanx::kube {

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;  // "" for cluster-scoped objects
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;  // RFC 3339, as on the wire
  std::optional<std::string> deletion_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;

  // The ownerReference with controller: true, if any.
  const OwnerReference* ControllerRef() const;
};

struct Object {
  std::string api_version;
  std::string kind;
  ObjectMeta meta;
  std::string json;  // the whole object, as received
};

// Parses the header of an object; kInvalidArgument if `json` is not a JSON object or a known metadata
// field has the wrong type. Unknown fields are ignored (they stay in Object::json).
absl::StatusOr<Object> ParseObject(absl::string_view json);

// For informer caches (InformerOptions::cache_transform) whose consumers keep their own view of the
// objects: keeps name, namespace, uid and resourceVersion; drops the JSON, kind and everything else.
void KeepIdentityOnly(Object& object);

// A resourceVersion as a number, for ordering within one MemoryCluster; 0 if not numeric. (A real API
// server's resourceVersions are opaque; only MemoryCluster and tests compare them.)
int64_t ResourceVersionNumber(absl::string_view rv);

}  // namespace phalanx::kube
