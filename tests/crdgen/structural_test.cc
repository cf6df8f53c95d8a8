// Unit tests of crdgen/structural.h on small hand-made OpenAPI documents.
#include "crdgen/structural.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::crdgen {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

Json Components() {
  return Json::parse(R"({
    "a.Inner": {"type": "object", "description": "inner doc",
                "properties": {"n": {"type": "integer", "format": "int32", "default": 0},
                               "proto": {"type": "string", "default": "TCP"},
                               "flag": {"type": "boolean", "default": false}},
                "x-kubernetes-unions": [{"discriminator": "n"}]},
    "a.Outer": {"type": "object",
                "properties": {"inner": {"allOf": [{"$ref": "#/components/schemas/a.Inner"}], "default": {},
                                         "description": "outer's own words"},
                               "list": {"type": "array", "items": {"$ref": "#/components/schemas/a.Item"},
                                        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                                        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
                               "free": {"type": "object"},
                               "port": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                               "qty": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"},
                               "meta": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
    "a.Item": {"type": "object", "properties": {"name": {"type": "string", "default": ""}}},
    "a.Loop": {"type": "object", "properties": {"self": {"$ref": "#/components/schemas/a.Loop"}}},
    "a.Odd": {"type": "object", "properties": {"x": {"type": "string", "discriminator": "y"}}},
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"description": "q", "oneOf": [{"type": "string"}, {"type": "number"}]},
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"type": "object", "properties": {
        "name": {"type": "string"}, "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "managedFields": {"type": "array", "items": {"type": "object"}}, "uid": {"type": "string"}}}
  })");
}

Json Convert(const std::string& ref) {
  absl::StatusOr<Json> out = ToStructural(Json{{"$ref", "#/components/schemas/" + ref}}, Components());
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : Json();
}

TEST(ToStructural, InlinesRefsAndTheReferrersDescriptionWins) {
  Json out = Convert("a.Outer");
  const Json& inner = out["properties"]["inner"];
  EXPECT_EQ(inner["description"], "outer's own words");
  EXPECT_EQ(inner["type"], "object");
  EXPECT_TRUE(inner["properties"].contains("proto"));
  EXPECT_FALSE(inner.contains("allOf"));
  EXPECT_FALSE(out.dump().find("$ref") != std::string::npos);
}

TEST(ToStructural, DropsGoZeroDefaultsButKeepsRealOnes) {
  Json inner = Convert("a.Outer")["properties"]["inner"];
  EXPECT_FALSE(inner.contains("default"));  // {} from the OpenAPI document
  EXPECT_FALSE(inner["properties"]["n"].contains("default"));
  EXPECT_FALSE(inner["properties"]["flag"].contains("default"));
  EXPECT_EQ(inner["properties"]["proto"]["default"], "TCP");
  EXPECT_EQ(inner["properties"]["n"]["format"], "int32");
}

TEST(ToStructural, ListMapKeyKeepsADefaultWhenNotRequired) {
  Json list = Convert("a.Outer")["properties"]["list"];
  EXPECT_EQ(list["x-kubernetes-list-type"], "map");
  EXPECT_EQ(list["items"]["properties"]["name"]["default"], "");
  EXPECT_FALSE(list.contains("x-kubernetes-patch-merge-key"));
  EXPECT_FALSE(list.contains("x-kubernetes-patch-strategy"));
}

TEST(ToStructural, DropsUnionsAndPreservesFreeFormObjects) {
  Json out = Convert("a.Outer");
  EXPECT_FALSE(out["properties"]["inner"].contains("x-kubernetes-unions"));
  EXPECT_EQ(out["properties"]["free"]["x-kubernetes-preserve-unknown-fields"], true);
}

TEST(ToStructural, IntOrStringAndQuantity) {
  Json out = Convert("a.Outer");
  const Json& port = out["properties"]["port"];
  EXPECT_EQ(port["x-kubernetes-int-or-string"], true);
  EXPECT_EQ(port["anyOf"], Json::parse(R"([{"type":"integer"},{"type":"string"}])"));
  EXPECT_FALSE(port.contains("format"));
  const Json& qty = out["properties"]["qty"];
  EXPECT_EQ(qty["x-kubernetes-int-or-string"], true);
  EXPECT_EQ(qty["description"], "q");
  ASSERT_TRUE(qty.contains("pattern"));
}

TEST(ToStructural, EmbeddedObjectMetaKeepsOnlyTheEmbeddedFields) {
  Json meta = Convert("a.Outer")["properties"]["meta"];
  EXPECT_TRUE(meta["properties"].contains("name"));
  EXPECT_TRUE(meta["properties"].contains("labels"));
  EXPECT_FALSE(meta["properties"].contains("managedFields"));
  EXPECT_FALSE(meta["properties"].contains("uid"));
}

TEST(ToStructural, SkeletonKeywordsAndDefaultsStayAsWritten) {
  Json skeleton = Json::parse(R"({"type": "object", "properties": {
      "r": {"type": "integer", "default": 0, "minimum": 0},
      "m": {"type": "object"},
      "t": {"$ref": "#/components/schemas/a.Item", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}})");
  absl::StatusOr<Json> out = ToStructural(skeleton, Components());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["properties"]["r"]["default"], 0);
  EXPECT_FALSE((*out)["properties"]["m"].contains("x-kubernetes-preserve-unknown-fields"));
  EXPECT_EQ((*out)["properties"]["t"]["x-kubernetes-validations"][0]["rule"], "self == oldSelf");
}

TEST(ToStructural, Errors) {
  auto err = [](const Json& s) {
    absl::StatusOr<Json> out = ToStructural(s, Components());
    return out.ok() ? std::string("ok") : std::string(out.status().message());
  };
  EXPECT_THAT(err(Json{{"$ref", "#/components/schemas/a.Loop"}}), HasSubstr("recursive schema a.Loop"));
  EXPECT_THAT(err(Json{{"$ref", "#/components/schemas/a.Missing"}}), HasSubstr("unknown schema a.Missing"));
  EXPECT_THAT(err(Json{{"$ref", "#/components/schemas/a.Odd"}}), HasSubstr("keyword discriminator"));
  EXPECT_THAT(err(Json::parse(R"({"description": "no type"})")), HasSubstr("no type"));
  EXPECT_THAT(err(Json::parse(R"({"type": "array", "x-kubernetes-list-type": "map",
                                  "x-kubernetes-list-map-keys": ["k"], "items": {"type": "object",
                                  "properties": {"k": {"type": "object", "properties": {}}}}})")),
              HasSubstr("neither required nor defaultable"));
  EXPECT_THAT(err(Json::parse(R"({"allOf": [{"type": "string"}, {"type": "string"}]})")), HasSubstr("allOf"));
  EXPECT_THAT(err(Json::parse(R"({"type": "string", "enum": ["A", "B"], "default": "C"})")), HasSubstr("not in enum"));
}

TEST(GenerateCrd, RejectsWhatIsNotACrd) {
  Json openapi = {{"components", {{"schemas", Components()}}}};
  EXPECT_FALSE(GenerateCrd(Json{{"kind", "Deployment"}}, openapi).ok());
  EXPECT_FALSE(GenerateCrdYaml("kind: [", "{}").ok());
  EXPECT_FALSE(GenerateCrdYaml("kind: CustomResourceDefinition\nspec: {versions: []}\n", "not json").ok());
}

}  // namespace
}  // namespace phalanx::crdgen
