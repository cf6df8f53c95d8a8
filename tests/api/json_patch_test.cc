#include "api/json_patch.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

TEST(JsonPointerTest, EscapesTildeAndSlash) {
  EXPECT_EQ(JsonPointerToken("jobset.sigs.k8s.io/priority"), "jobset.sigs.k8s.io~1priority");
  EXPECT_EQ(JsonPointerToken("a~b/c"), "a~0b~1c");
  EXPECT_EQ(JsonPointerToken("~1"), "~01");  // "~" first, so a literal "~1" survives
  EXPECT_EQ(JsonPointer({"metadata", "labels", "a/b"}), "/metadata/labels/a~1b");
}

TEST(JsonPatchTest, EmptyPatchIsEmptyArray) {
  JsonPatch p;
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.ToJson(), "[]");
}

TEST(JsonPatchTest, SerializesOpsInOrder) {
  JsonPatch p;
  p.Add("/a", PatchValue::String("x\"y"));
  p.Replace("/b", PatchValue::Int(-3));
  p.Remove("/c");
  p.Test("/d", PatchValue::Bool(true));
  EXPECT_EQ(p.ToJson(),
            R"([{"op":"add","path":"/a","value":"x\"y"},{"op":"replace","path":"/b","value":-3},)"
            R"({"op":"remove","path":"/c"},{"op":"test","path":"/d","value":true}])");
}

TEST(JsonPatchTest, ValueShapes) {
  EXPECT_EQ(PatchValue::Map({{"b", "2"}, {"a", "1"}}).json(), R"({"a":"1","b":"2"})");
  EXPECT_EQ(PatchValue::Object({{"name", PatchValue::String("g")}, {"n", PatchValue::Int(1)}}).json(),
            R"({"name":"g","n":1})");
  EXPECT_EQ(PatchValue::Array({PatchValue::String("a"), PatchValue::Bool(false)}).json(),
            R"(["a",false])");
  EXPECT_EQ(PatchValue::Raw(R"({"x":[1]})").json(), R"({"x":[1]})");
}

TEST(JsonPatchTest, SetMapEntryCreatesMissingMap) {
  const std::string doc = R"({"metadata":{"name":"p"}})";
  JsonPatch p;
  p.SetMapEntry("/metadata/labels", /*map_exists=*/false, "jobset.sigs.k8s.io/priority", "n5");
  EXPECT_EQ(p.ToJson(),
            R"([{"op":"add","path":"/metadata/labels","value":{"jobset.sigs.k8s.io/priority":"n5"}}])");
  ASSERT_OK_AND_ASSIGN(std::string out, ApplyJsonPatch(doc, p.ToJson()));
  EXPECT_EQ(out, R"({"metadata":{"labels":{"jobset.sigs.k8s.io/priority":"n5"},"name":"p"}})");
}

TEST(JsonPatchTest, SetMapEntryIntoExistingMapEscapesKey) {
  const std::string doc = R"({"metadata":{"labels":{"a":"1","jobset.sigs.k8s.io/priority":"0"}}})";
  JsonPatch p;
  p.SetMapEntry("/metadata/labels", /*map_exists=*/true, "jobset.sigs.k8s.io/priority", "7");
  EXPECT_EQ(p.ToJson(),
            R"([{"op":"add","path":"/metadata/labels/jobset.sigs.k8s.io~1priority","value":"7"}])");
  ASSERT_OK_AND_ASSIGN(std::string out, ApplyJsonPatch(doc, p.ToJson()));
  EXPECT_EQ(out, R"({"metadata":{"labels":{"a":"1","jobset.sigs.k8s.io/priority":"7"}}})");
}

TEST(JsonPatchTest, AddIntoMissingParentFailsWhichIsWhySetMapEntryExists) {
  JsonPatch p;
  p.SetMapEntry("/metadata/labels", /*map_exists=*/true, "k", "v");
  EXPECT_THAT(ApplyJsonPatch(R"({"metadata":{}})", p.ToJson()),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonPatchTest, AppendToListCreatesOrAppends) {
  const auto gate = PatchValue::Object({{"name", PatchValue::String("phalanx.dev/placement")}});
  JsonPatch create;
  create.AppendToList("/spec/schedulingGates", /*list_exists=*/false, gate);
  ASSERT_OK_AND_ASSIGN(std::string a, ApplyJsonPatch(R"({"spec":{}})", create.ToJson()));
  EXPECT_EQ(a, R"({"spec":{"schedulingGates":[{"name":"phalanx.dev/placement"}]}})");

  JsonPatch append;
  append.AppendToList("/spec/schedulingGates", /*list_exists=*/true, gate);
  EXPECT_EQ(append.ToJson(),
            R"([{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"phalanx.dev/placement"}}])");
  ASSERT_OK_AND_ASSIGN(std::string b,
                       ApplyJsonPatch(R"({"spec":{"schedulingGates":[{"name":"kueue"}]}})",
                                      append.ToJson()));
  EXPECT_EQ(b, R"({"spec":{"schedulingGates":[{"name":"kueue"},{"name":"phalanx.dev/placement"}]}})");
}

TEST(Base64Test, RoundTripsAllPaddings) {
  struct Case {
    std::string plain, encoded;
  } cases[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
               {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"}, {std::string("\xff\x00\xfe", 3), "/wD+"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.encoded);
    EXPECT_EQ(Base64Encode(c.plain), c.encoded);
    ASSERT_OK_AND_ASSIGN(std::string back, Base64Decode(c.encoded));
    EXPECT_EQ(back, c.plain);
  }
}

TEST(Base64Test, RejectsBadInput) {
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg=="}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(Base64Decode(bad), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(ApplyJsonPatchTest, RejectsMalformed) {
  EXPECT_THAT(ApplyJsonPatch("{", "[]"), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyJsonPatch("{}", "{}"), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyJsonPatch("{}", R"([{"op":"test","path":"/a","value":1}])"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// Found by fuzz/json_patch_fuzzer: a number too large for a double made the JSON reader throw
// out_of_range past its handler and ended the process (every JSON reader of api/, the webhook's too).
TEST(ApplyJsonPatchTest, ANumberTooLargeIsMalformedNotACrash) {
  for (const char* doc : {R"({"a":1e400})", R"({"a":-1e400})", R"([88888888888888888888e300000])"}) {
    absl::StatusOr<std::string> r = ApplyJsonPatch(doc, "[]");
    EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kInvalidArgument)) << doc;
    if (!r.ok()) EXPECT_THAT(r.status().message(), ::testing::HasSubstr("malformed JSON")) << doc;
  }
  EXPECT_THAT(ApplyJsonPatch("{}", R"([{"op":"add","path":"/a","value":1e400}])"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace phalanx::api
