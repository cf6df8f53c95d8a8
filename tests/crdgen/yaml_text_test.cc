// crdgen/yaml_text.h: what it writes reads back (with yaml-cpp, through api::ParseSingleDocument) as
// the same JSON, including strings that look like other types.
#include "crdgen/yaml_text.h"

#include <string>

#include "api/document.h"
#include "gtest/gtest.h"

namespace phalanx::crdgen {
namespace {

using Json = nlohmann::json;

Json RoundTrip(const Json& j) {
  absl::StatusOr<std::string> back = api::ParseSingleDocument(ToYaml(j));
  EXPECT_TRUE(back.ok()) << back.status() << "\n" << ToYaml(j);
  return back.ok() ? Json::parse(*back) : Json();
}

TEST(ToYaml, TrickyStringsStayStrings) {
  Json j = Json::object();
  int i = 0;
  for (const char* s : {"true", "False", "yes", "no", "on", "Off", "y", "N", "null", "~", "", "1", "0x1F", "1e3", ".inf",
                        "- item", "a: b", "a #b", "#c", "x\ny", " lead", "trail ", "\"q\"", "'s'", "{a}", "[b]", "*ref",
                        "&anchor", "!tag", "%d", "@at", "`tick`", "a\tb", "ünïcode", "\\back", "|", ">", "?", "a,b(c).d/e_f-g"}) {
    j["k" + std::to_string(i++)] = s;
  }
  EXPECT_EQ(RoundTrip(j), j);
}

TEST(ToYaml, NestedStructuresAndScalars) {
  Json j = Json::parse(R"({"a": {"b": [1, -2, 3.5, true, false, null, {}, [], {"c": "d", "e": [{"f": 1}]}, [["x"], "y"]]},
                           "empty": {}, "list": [], "weird key: x": "v", "true": 1})");
  EXPECT_EQ(RoundTrip(j), j);
  EXPECT_EQ(RoundTrip(Json::array({1, "two"})), Json::array({1, "two"}));
}

TEST(ToYaml, PlainWhereSafe) {
  EXPECT_EQ(ToYaml(Json{{"kind", "CustomResourceDefinition"}, {"path", ".status.x"}}),
            "kind: CustomResourceDefinition\npath: \".status.x\"\n");
  EXPECT_EQ(ToYaml(Json{{"l", Json::array({Json{{"a", 1}, {"b", 2}}})}}), "l:\n  - a: 1\n    b: 2\n");
}

}  // namespace
}  // namespace phalanx::crdgen
