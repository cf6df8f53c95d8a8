// api/meta.h
//
// ObjectMeta and OwnerReference: the metadata fields Phalanx reads or writes on any Kubernetes object.
// Unmodeled metadata (managedFields, finalizers, ...) rides along in `extra`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/raw_json.h"

namespace phalanx::api {

// Labels, annotations, nodeSelector: keys sorted, as Kubernetes maps carry no order.
using StringMap = std::map<std::string, std::string>;

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  RawJson extra;
};

struct ObjectMeta {
  std::optional<std::string> name;
  std::optional<std::string> generate_name;
  std::optional<std::string> namespace_;
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
  std::optional<int64_t> generation;
  std::optional<std::string> creation_timestamp;
  std::optional<std::string> deletion_timestamp;
  std::optional<StringMap> labels;
  std::optional<StringMap> annotations;
  std::optional<std::vector<OwnerReference>> owner_references;
  RawJson extra;

  std::string name_or_empty() const { return name.value_or(""); }
  std::string namespace_or_default() const { return namespace_.value_or("default"); }
  // Label / annotation value, or nullopt.
  std::optional<std::string> Label(std::string_view key) const;
  std::optional<std::string> Annotation(std::string_view key) const;
};

}  // namespace phalanx::api
