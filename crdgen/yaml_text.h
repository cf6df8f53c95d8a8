// crdgen/yaml_text.h
//
// JSON → block-style YAML text for generated manifests. Deterministic (keys in the JSON object's own
// order; nlohmann::json sorts them) and conservative: a string is written plain only when it is made of
// letters, digits and a few safe punctuation marks and cannot read back as a bool, null or number in
// YAML 1.1 or 1.2; every other string is a double-quoted JSON string (valid YAML). Reading the text
// back with any YAML parser gives the same JSON value. Kept apart from api/document.h so that
// generated files do not change when the CLI's YAML printing does. Pure; thread-safe.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace phalanx::crdgen {

std::string ToYaml(const nlohmann::json& value);

}  // namespace phalanx::crdgen
