// tests/crdgen/schema_check.h
//
// A small offline model of what kube-apiserver does with a custom resource and a CRD's structural
// schema, for tests: ApplySchemaDefaults fills `default`s of absent properties (objects that are
// present only, as the apiserver does); CheckAgainstSchema lists every field the apiserver would prune
// (not in the schema) and every violation of type, enum, required, minimum/maximum, int32 range,
// min/maxItems, min/maxLength and pattern, each as "<path>: <what>". CEL rules and formats are not
// evaluated. Null values are skipped (the apiserver drops nulls of non-nullable fields).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace phalanx::crdgen_test {

void ApplySchemaDefaults(const nlohmann::json& schema, nlohmann::json& value);

std::vector<std::string> CheckAgainstSchema(const nlohmann::json& schema, const nlohmann::json& value);

// The openAPIV3Schema of `crd`'s version `version` (null when absent).
nlohmann::json VersionSchema(const nlohmann::json& crd, const std::string& version);

}  // namespace phalanx::crdgen_test
