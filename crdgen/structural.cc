#include "crdgen/structural.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/document.h"
#include "common/status_macros.h"
#include "crdgen/yaml_text.h"

namespace phalanx::crdgen {
namespace {

using Json = nlohmann::json;

constexpr char kRefPrefix[] = "#/components/schemas/";
constexpr char kObjectMeta[] = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr char kIntOrString[] = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
constexpr char kQuantity[] = "io.k8s.apimachinery.pkg.api.resource.Quantity";
// The quantity grammar of resource.Quantity: sign, number, then a binary-SI, decimal-SI or exponent suffix.
constexpr char kQuantityPattern[] =
    "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
// ObjectMeta fields the apiserver keeps in embedded (non-root) object metadata.
const std::vector<std::string>& EmbeddedMetaFields() {
  static const auto* fields =
      new std::vector<std::string>{"annotations", "finalizers", "labels", "name", "namespace"};
  return *fields;
}

// Keywords copied as they are (after converting nested schemas).
const std::set<std::string>& PlainKeywords() {
  static const auto* k = new std::set<std::string>{
      "description", "type", "format", "enum", "required", "minimum", "maximum", "exclusiveMinimum",
      "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "minProperties",
      "maxProperties", "multipleOf", "nullable", "default", "example", "title",
      "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
      "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
      "x-kubernetes-validations"};
  return *k;
}
// OpenAPI extensions with no place in a CRD schema.
const std::set<std::string>& DroppedKeywords() {
  static const auto* k = new std::set<std::string>{"x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
                                                   "x-kubernetes-unions", "x-kubernetes-group-version-kind"};
  return *k;
}
// Formats the apiserver knows for CRDs (others are rejected or warned about).
const std::set<std::string>& KnownFormats() {
  static const auto* k = new std::set<std::string>{"int32", "int64", "float", "double", "byte", "date",
                                                   "date-time", "duration", "uri", "email", "hostname",
                                                   "ipv4", "ipv6", "cidr", "mac", "uuid", "password"};
  return *k;
}

bool IsZero(const Json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_number()) return v == 0;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_object() || v.is_array()) return v.empty();
  return v.is_null();
}

Json IntOrString(const std::string& description) {
  Json out = {{"anyOf", Json::array({{{"type", "integer"}}, {{"type", "string"}}})},
              {"x-kubernetes-int-or-string", true}};
  if (!description.empty()) out["description"] = description;
  return out;
}

class Converter {
 public:
  explicit Converter(const Json& components) : components_(components) {}

  // `from_openapi`: the node comes from the OpenAPI document (its zero defaults are dropped).
  absl::StatusOr<Json> Convert(const Json& node, const std::string& path, bool from_openapi) {
    if (!node.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": a schema must be an object"));
    if (node.contains("$ref") || node.contains("allOf")) return ConvertRef(node, path, from_openapi);
    if (node.contains("oneOf")) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": oneOf outside IntOrString/Quantity is not supported"));
    }
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) {
      if (DroppedKeywords().count(key)) continue;
      if (key == "properties") {
        if (!value.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": properties must be an object"));
        Json props = Json::object();
        for (const auto& [name, sub] : value.items()) {
          PHALANX_ASSIGN_OR_RETURN(props[name], Convert(sub, absl::StrCat(path, ".", name), from_openapi));
        }
        out["properties"] = std::move(props);
      } else if (key == "items") {
        PHALANX_ASSIGN_OR_RETURN(out["items"], Convert(value, absl::StrCat(path, "[]"), from_openapi));
      } else if (key == "additionalProperties") {
        if (value.is_boolean()) {
          if (value.get<bool>()) out["x-kubernetes-preserve-unknown-fields"] = true;
          continue;
        }
        PHALANX_ASSIGN_OR_RETURN(out["additionalProperties"], Convert(value, absl::StrCat(path, "{}"), from_openapi));
      } else if (key == "anyOf") {
        out["anyOf"] = value;  // only int-or-string's branches, checked below
      } else if (key == "format") {
        if (value.is_string() && KnownFormats().count(value.get<std::string>())) out["format"] = value;
      } else if (key == "default") {
        if (!from_openapi || !IsZero(value)) out["default"] = value;
      } else if (PlainKeywords().count(key)) {
        out[key] = value;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(path, ": keyword ", key, " has no structural equivalent"));
      }
    }
    if (from_openapi && out.value("type", "") == "object" && !out.contains("properties") && !out.contains("additionalProperties") &&
        !out.contains("x-kubernetes-preserve-unknown-fields")) {
      out["x-kubernetes-preserve-unknown-fields"] = true;
    }
    if (out.contains("anyOf") && !out.value("x-kubernetes-int-or-string", false)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": anyOf is only supported for int-or-string"));
    }
    if (!out.contains("type") && !out.value("x-kubernetes-int-or-string", false) &&
        !out.value("x-kubernetes-preserve-unknown-fields", false)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no type (a structural schema needs one everywhere)"));
    }
    if (out.contains("properties") && out.contains("additionalProperties")) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": both properties and additionalProperties"));
    }
    if (out.contains("default") && out.contains("enum")) {
      bool listed = false;
      for (const Json& e : out["enum"]) listed = listed || e == out["default"];
      if (!listed) return absl::InvalidArgumentError(absl::StrCat(path, ": default ", out["default"].dump(), " is not in enum"));
    }
    PHALANX_RETURN_IF_ERROR(CheckListMapKeys(out, path));
    return out;
  }

 private:
  // Every key of a list-map must be required or defaulted; a key that lost its zero default gets it back.
  absl::Status CheckListMapKeys(Json& out, const std::string& path) {
    if (out.value("x-kubernetes-list-type", "") != "map") return absl::OkStatus();
    if (!out.contains("x-kubernetes-list-map-keys") || !out.contains("items")) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": list-type map without keys or items"));
    }
    Json& items = out["items"];
    std::set<std::string> required;
    for (const Json& r : items.value("required", Json::array())) required.insert(r.get<std::string>());
    for (const Json& k : out["x-kubernetes-list-map-keys"]) {
      const std::string key = k.get<std::string>();
      if (!items.contains("properties") || !items["properties"].contains(key)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": list-map key ", key, " is not a property"));
      }
      Json& prop = items["properties"][key];
      if (required.count(key) || prop.contains("default")) continue;
      const std::string type = prop.value("type", "");
      if (type == "string") {
        prop["default"] = "";
      } else if (type == "integer") {
        prop["default"] = 0;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": list-map key ", key, " is neither required nor defaultable"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Json> ConvertRef(const Json& node, const std::string& path, bool from_openapi) {
    std::string ref;
    if (node.contains("$ref")) {
      if (!node["$ref"].is_string()) return absl::InvalidArgumentError(absl::StrCat(path, ": $ref must be a string"));
      ref = node["$ref"].get<std::string>();
    } else {
      const Json& all = node["allOf"];
      if (!all.is_array() || all.size() != 1 || !all[0].is_object() || !all[0].contains("$ref") ||
          all[0].size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": allOf is only supported as a single $ref"));
      }
      ref = all[0]["$ref"].get<std::string>();
    }
    if (ref.rfind(kRefPrefix, 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": unsupported $ref ", ref));
    }
    const std::string name = ref.substr(sizeof(kRefPrefix) - 1);
    if (!components_.contains(name)) return absl::InvalidArgumentError(absl::StrCat(path, ": unknown schema ", name));
    const Json& target = components_[name];
    std::string description = node.value("description", target.value("description", ""));

    Json resolved;
    if (name == kIntOrString) {
      resolved = IntOrString(description);
    } else if (name == kQuantity) {
      resolved = IntOrString(description);
      resolved["pattern"] = kQuantityPattern;
    } else {
      if (active_.count(name)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": recursive schema ", name));
      }
      active_.insert(name);
      Json source = target;
      if (name == kObjectMeta) {
        Json props = Json::object();
        for (const std::string& f : EmbeddedMetaFields()) {
          if (target["properties"].contains(f)) props[f] = target["properties"][f];
        }
        source = {{"type", "object"}, {"properties", props}};
      }
      absl::StatusOr<Json> converted = Convert(source, path, /*from_openapi=*/true);
      active_.erase(name);
      if (!converted.ok()) return converted.status();
      resolved = *std::move(converted);
    }
    // The referring node's own keywords win (its description, default, validations, ...).
    Json siblings = node;
    siblings.erase("$ref");
    siblings.erase("allOf");
    for (const auto& [key, value] : siblings.items()) {
      if (DroppedKeywords().count(key)) continue;
      if (key == "default") {
        if (!from_openapi || !IsZero(value)) resolved["default"] = value;
        continue;
      }
      if (!PlainKeywords().count(key)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": keyword ", key, " beside a $ref is not supported"));
      }
      resolved[key] = value;
    }
    if (!description.empty()) resolved["description"] = description;
    return resolved;
  }

  const Json& components_;
  std::set<std::string> active_;  // refs being expanded (cycle check)
};

}  // namespace

absl::StatusOr<nlohmann::json> ToStructural(const nlohmann::json& schema, const nlohmann::json& components) {
  Converter c(components);
  return c.Convert(schema, "openAPIV3Schema", /*from_openapi=*/false);
}

absl::StatusOr<nlohmann::json> GenerateCrd(const nlohmann::json& skeleton, const nlohmann::json& openapi) {
  if (!skeleton.is_object() || skeleton.value("kind", "") != "CustomResourceDefinition" ||
      !skeleton.contains("spec") || !skeleton["spec"].contains("versions") || !skeleton["spec"]["versions"].is_array()) {
    return absl::InvalidArgumentError("the skeleton is not a CustomResourceDefinition with spec.versions");
  }
  if (!openapi.is_object() || !openapi.contains("components") || !openapi["components"].contains("schemas") ||
      !openapi["components"]["schemas"].is_object()) {
    return absl::InvalidArgumentError("the OpenAPI document has no components.schemas");
  }
  Json crd = skeleton;
  for (Json& version : crd["spec"]["versions"]) {
    if (!version.contains("schema") || !version["schema"].contains("openAPIV3Schema")) {
      return absl::InvalidArgumentError(
          absl::StrCat("version ", version.value("name", "?"), " has no schema.openAPIV3Schema"));
    }
    PHALANX_ASSIGN_OR_RETURN(Json converted,
                             ToStructural(version["schema"]["openAPIV3Schema"], openapi["components"]["schemas"]));
    version["schema"]["openAPIV3Schema"] = std::move(converted);
  }
  return crd;
}

absl::StatusOr<std::string> GenerateCrdYaml(const std::string& skeleton_yaml, const std::string& openapi_json) {
  PHALANX_ASSIGN_OR_RETURN(std::string skeleton_text, api::ParseSingleDocument(skeleton_yaml));
  Json skeleton = Json::parse(skeleton_text, nullptr, /*allow_exceptions=*/false);
  Json openapi = Json::parse(openapi_json, nullptr, /*allow_exceptions=*/false);
  if (skeleton.is_discarded()) return absl::InvalidArgumentError("the skeleton is not valid YAML");
  if (openapi.is_discarded()) return absl::InvalidArgumentError("the OpenAPI document is not valid JSON");
  PHALANX_ASSIGN_OR_RETURN(Json crd, GenerateCrd(skeleton, openapi));
  const std::string yaml = ToYaml(crd);
  return absl::StrCat(
      "# Generated by phalanx-crdgen from crdgen/jobset.skeleton.yaml and the Kubernetes batch/v1 OpenAPI\n"
      "# document; do not edit (tests/crdgen checks this file equals the generator's output).\n"
      "# Regenerate: build/crdgen/phalanx-crdgen --openapi=../shared/fixtures/k8s-v1.36/openapi/batch-v1.json \\\n"
      "#   --skeleton=crdgen/jobset.skeleton.yaml --out=manifests/crd/jobset.x-k8s.io_jobsets.yaml\n"
      "---\n",
      yaml);
}

}  // namespace phalanx::crdgen
