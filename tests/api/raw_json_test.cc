// RawJson keeps unmodelled JSON as compact text with sorted keys; equal values compare equal.
#include "api/raw_json.h"

#include <string>

#include "api/job.h"
#include "api/job_codec.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

TEST(RawJsonTest, DefaultIsTheEmptyObject) {
  RawJson raw;
  EXPECT_TRUE(raw.IsEmptyObject());
  EXPECT_EQ(raw.Text(), "{}");
  absl::StatusOr<RawJson> parsed = RawJson::Parse(" { } ");
  ASSERT_OK(parsed.status());
  EXPECT_TRUE(parsed->IsEmptyObject());
  EXPECT_EQ(*parsed, raw);
}

TEST(RawJsonTest, TextIsCompactWithSortedKeys) {
  absl::StatusOr<RawJson> raw = RawJson::Parse(R"({ "b": [1, 2.5, "x"], "a": {"d": null, "c": true} })");
  ASSERT_OK(raw.status());
  EXPECT_EQ(raw->Text(), R"({"a":{"c":true,"d":null},"b":[1,2.5,"x"]})");
  EXPECT_FALSE(raw->IsEmptyObject());
}

TEST(RawJsonTest, EqualityIsByValue) {
  absl::StatusOr<RawJson> a = RawJson::Parse(R"({"x":1,"y":"z"})");
  absl::StatusOr<RawJson> b = RawJson::Parse(R"({"y":"z","x":1})");
  absl::StatusOr<RawJson> c = RawJson::Parse(R"({"x":2,"y":"z"})");
  absl::StatusOr<RawJson> d = RawJson::Parse(R"({"x":1.0,"y":"z"})");  // the same number, other text
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  ASSERT_OK(c.status());
  ASSERT_OK(d.status());
  EXPECT_EQ(*a, b.value());
  EXPECT_FALSE(*a == c.value());
  EXPECT_EQ(*a, d.value());
}

TEST(RawJsonTest, MalformedTextIsAnError) {
  EXPECT_FALSE(RawJson::Parse("{\"a\":").ok());
  EXPECT_FALSE(RawJson::Parse("").ok());
}

// A captured Job decodes and encodes back to the same value: every unmodelled part (kept as text)
// is written back whole.
TEST(RawJsonTest, CapturedJobRoundTripsThroughTheCodec) {
  const std::string text = testing::ReadFileOrDie(testing::FixturesDir() + "/api/get-job-owned-by-jobset.json");
  absl::StatusOr<Job> job = DecodeJob(text);
  ASSERT_OK(job.status());
  EXPECT_FALSE(job->metadata.extra.IsEmptyObject());  // managedFields, creationTimestamp, ...
  EXPECT_EQ(nlohmann::json::parse(EncodeJob(*job)), nlohmann::json::parse(text));
  Job copy = *job;
  EXPECT_EQ(copy.spec.template_.spec.extra, job->spec.template_.spec.extra);
}

}  // namespace
}  // namespace phalanx::api
