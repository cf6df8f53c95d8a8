#include "tests/crdgen/schema_check.h"

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

namespace phalanx::crdgen_test {
namespace {

using Json = nlohmann::json;

void Check(const Json& s, const Json& v, const std::string& path, std::vector<std::string>& errors) {
  if (v.is_null()) return;
  auto error = [&](const std::string& what) { errors.push_back(path + ": " + what); };
  const bool int_or_string = s.value("x-kubernetes-int-or-string", false);
  const std::string type = s.value("type", "");
  if (int_or_string) {
    if (!v.is_number_integer() && !v.is_string()) return error("must be an integer or a string");
  } else if (type == "object") {
    if (!v.is_object()) return error("must be an object");
  } else if (type == "array") {
    if (!v.is_array()) return error("must be an array");
  } else if (type == "string") {
    if (!v.is_string()) return error("must be a string");
  } else if (type == "integer") {
    if (!v.is_number_integer()) return error("must be an integer");
  } else if (type == "number") {
    if (!v.is_number()) return error("must be a number");
  } else if (type == "boolean") {
    if (!v.is_boolean()) return error("must be a boolean");
  }
  if (s.contains("enum")) {
    bool found = false;
    for (const Json& e : s["enum"]) found = found || e == v;
    if (!found) error("unsupported value " + v.dump());
  }
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    if (s.contains("minimum") && n < s["minimum"].get<int64_t>()) error("below the minimum");
    if (s.contains("maximum") && n > s["maximum"].get<int64_t>()) error("above the maximum");
    if (s.value("format", "") == "int32" && (n < INT32_MIN || n > INT32_MAX)) error("out of int32 range");
  }
  if (v.is_string()) {
    const std::string& str = v.get_ref<const std::string&>();
    if (s.contains("minLength") && str.size() < s["minLength"].get<size_t>()) error("too short");
    if (s.contains("maxLength") && str.size() > s["maxLength"].get<size_t>()) error("too long");
    if (s.contains("pattern") && !std::regex_search(str, std::regex(s["pattern"].get<std::string>()))) {
      error("does not match " + s["pattern"].get<std::string>());
    }
  }
  if (v.is_array()) {
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) error("too many items");
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) error("too few items");
    if (s.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) Check(s["items"], v[i], path + "[" + std::to_string(i) + "]", errors);
    }
  }
  if (v.is_object() && !int_or_string) {
    for (const Json& r : s.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>())) error("missing required field " + r.get<std::string>());
    }
    const bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    if (s.contains("properties")) {
      for (const auto& [key, sub] : v.items()) {
        if (s["properties"].contains(key)) {
          Check(s["properties"][key], sub, path + "." + key, errors);
        } else if (!preserve) {
          errors.push_back(path + "." + key + ": unknown field (pruned)");
        }
      }
    } else if (s.contains("additionalProperties")) {
      for (const auto& [key, sub] : v.items()) Check(s["additionalProperties"], sub, path + "." + key, errors);
    }
    // An object schema with neither (the root metadata) accepts anything: the apiserver handles it.
  }
}

}  // namespace

void ApplySchemaDefaults(const Json& s, Json& v) {
  if (v.is_object() && s.contains("properties")) {
    for (const auto& [key, sub] : s["properties"].items()) {
      if (!v.contains(key) && sub.contains("default")) v[key] = sub["default"];
      if (v.contains(key)) ApplySchemaDefaults(sub, v[key]);
    }
  } else if (v.is_object() && s.contains("additionalProperties")) {
    for (auto& [key, sub] : v.items()) ApplySchemaDefaults(s["additionalProperties"], sub);
  } else if (v.is_array() && s.contains("items")) {
    for (Json& item : v) ApplySchemaDefaults(s["items"], item);
  }
}

std::vector<std::string> CheckAgainstSchema(const Json& schema, const Json& value) {
  std::vector<std::string> errors;
  Check(schema, value, "", errors);
  return errors;
}

Json VersionSchema(const Json& crd, const std::string& version) {
  for (const Json& v : crd["spec"]["versions"]) {
    if (v.value("name", "") == version) return v["schema"]["openAPIV3Schema"];
  }
  return Json();
}

}  // namespace phalanx::crdgen_test
