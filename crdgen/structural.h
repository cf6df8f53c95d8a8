// crdgen/structural.h
//
// Kubernetes OpenAPI v3 schemas → CustomResourceDefinition structural schemas. A schema may "$ref"
// (directly or as a one-element allOf) into an OpenAPI document's components.schemas; every ref is
// inlined (the referring node's own keys, e.g. its description, win over the referenced schema's) and
// the result obeys the apiserver's structural-schema rules:
//   - no $ref/allOf/oneOf; IntOrString becomes `x-kubernetes-int-or-string: true` with
//     anyOf [integer, string]; Quantity the same plus the quantity grammar as a pattern;
//   - ObjectMeta inside templates becomes the embedded subset (annotations, finalizers, labels, name,
//     namespace), as the apiserver keeps for nested object metadata;
//   - OpenAPI objects without properties or additionalProperties keep unknown fields
//     (`x-kubernetes-preserve-unknown-fields: true`; the skeleton's own, like the root metadata, stay as written);
//   - OpenAPI-only extensions (x-kubernetes-patch-*, x-kubernetes-unions, x-kubernetes-group-version-kind)
//     and the Go zero-value defaults of the OpenAPI document ("", 0, false, {}) are dropped — real
//     defaults ("TCP", "ext4", ...) stay, and so does the zero default of a list-map key that is not
//     required (the apiserver demands a key be required or defaulted);
//   - every other keyword is one the CRD schema accepts; an unknown keyword, an unresolvable or
//     cyclic ref, a node without a type, or a default outside its enum is an error naming the schema path.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace phalanx::crdgen {

// `schema` converted, refs resolved against `components` (the OpenAPI document's
// components.schemas object). Keywords written in `schema` itself are kept as written (its defaults
// included); only content coming from `components` follows the default-dropping rule above.
absl::StatusOr<nlohmann::json> ToStructural(const nlohmann::json& schema, const nlohmann::json& components);

// The whole CRD: `skeleton` (a CustomResourceDefinition whose versions[].schema.openAPIV3Schema may
// hold refs) with each openAPIV3Schema converted by ToStructural. kInvalidArgument when the skeleton
// is not a CRD or the OpenAPI document has no components.schemas.
absl::StatusOr<nlohmann::json> GenerateCrd(const nlohmann::json& skeleton, const nlohmann::json& openapi);

// GenerateCrd from files' text (the skeleton YAML, the OpenAPI JSON) to the CRD's YAML text, with a
// header comment saying it is generated. Deterministic: keys sorted.
absl::StatusOr<std::string> GenerateCrdYaml(const std::string& skeleton_yaml, const std::string& openapi_json);

}  // namespace phalanx::crdgen
