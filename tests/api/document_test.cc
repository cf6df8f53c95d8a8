#include "api/document.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::phalanx::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST(DocumentTest, YamlScalarsResolveLikeKubectl) {
  ASSERT_OK_AND_ASSIGN(std::string json, ParseSingleDocument(R"(
int: 12
neg: -3
float: 1.5
bool: true
null1: null
null2: ~
empty:
quoted: "12"
single: 'true'
plain: hello world
version: 1.0.0
)"));
  Json j = Json::parse(json);
  EXPECT_EQ(j["int"], 12);
  EXPECT_EQ(j["neg"], -3);
  EXPECT_EQ(j["float"], 1.5);
  EXPECT_EQ(j["bool"], true);
  EXPECT_TRUE(j["null1"].is_null());
  EXPECT_TRUE(j["null2"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["quoted"], "12");
  EXPECT_EQ(j["single"], "true");
  EXPECT_EQ(j["plain"], "hello world");
  EXPECT_EQ(j["version"], "1.0.0");
}

TEST(DocumentTest, MultipleDocuments) {
  ASSERT_OK_AND_ASSIGN(auto docs, ParseDocuments("a: 1\n---\n---\nb: 2\n"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_THAT(ParseSingleDocument("a: 1\n---\nb: 2\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSingleDocument("# only a comment\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DocumentTest, JsonInputIsParsedAsJson) {
  ASSERT_OK_AND_ASSIGN(std::string json, ParseSingleDocument(R"(  {"a": [1, "2"]})"));
  EXPECT_EQ(Json::parse(json), Json::parse(R"({"a":[1,"2"]})"));
}

TEST(DocumentTest, BadInputGivesOneLineErrors) {
  struct Case {
    std::string name, input, message;
  };
  const std::vector<Case> cases = {
      {"bad yaml", "a: [1, 2\n", "malformed YAML: line"},
      {"bad json", "{\"a\": }", "malformed JSON"},
      {"duplicate key", "a: 1\na: 2\n", "duplicate mapping key \"a\""},
      {"deep flow nesting", std::string(100000, '[') + std::string(100000, ']'), "nested deeper"},
      {"deep block nesting", [] {
         std::string s;
         for (int i = 0; i < 20000; ++i) s += "- ";
         return s + "x\n";
       }(), "nested deeper"},
      {"deep map nesting", [] {
         std::string s;
         for (int i = 0; i < 300; ++i) s += std::string(i * 2, ' ') + "k:\n";
         return s;
       }(), "nested deeper"},
      {"alias bomb",
       "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
       "more than"},
      {"too big", std::string(kMaxDocumentBytes + 1, ' '), "input too large"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = ParseDocuments(c.input);
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
    EXPECT_EQ(std::string(r.status().message()).find('\n'), std::string::npos);
  }
}

// Found by fuzz/document_fuzzer: yaml-cpp's LoadAll looped for ever, growing without bound, on a document
// starting with a stray ',' (the fuzzer's input was a commented JobSet with such a line).
TEST(DocumentTest, AStrayFlowIndicatorIsAnErrorNotAHang) {
  for (const char* text : {",", ", b", ",  b: 1\n", "a: 1\n---\n,\n", "# a comment\n, x: [1]\n"}) {
    absl::StatusOr<std::vector<std::string>> docs = ParseDocuments(text);
    EXPECT_THAT(docs, StatusIs(absl::StatusCode::kInvalidArgument)) << text;
    if (!docs.ok()) EXPECT_THAT(docs.status().message(), HasSubstr("malformed YAML")) << text;
  }
  // Streams that do end still read as before.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> three, ParseDocuments("a: 1\n---\nb: 2\n---\n---\nc: [1, 2]\n"));
  EXPECT_EQ(three.size(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> flow, ParseDocuments("x: {a: 1, b: [2, 3]}\n"));
  EXPECT_EQ(flow.size(), 1u);
}

TEST(DocumentTest, YamlOutputRoundTripsTypes) {
  const char* json = R"({"s":"12","b":"true","n":null,"i":3,"e":{},"l":[],"x":"plain","k":{"1":"a"}})";
  ASSERT_OK_AND_ASSIGN(std::string yaml, JsonToYaml(json));
  ASSERT_OK_AND_ASSIGN(std::string back, ParseSingleDocument(yaml));
  EXPECT_EQ(Json::parse(back), Json::parse(json)) << yaml;
}

}  // namespace
}  // namespace phalanx::api
