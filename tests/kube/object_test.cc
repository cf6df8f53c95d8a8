// ParseObject: the header every client call and watch event is decoded into.
#include "kube/object.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

TEST(ParseObjectTest, ReadsTheHeaderOfARealJob) {
  const std::string json =
      phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/create-job-owned-by-jobset.json");
  ASSERT_OK_AND_ASSIGN(Object o, ParseObject(json));
  EXPECT_EQ(o.api_version, "batch/v1");
  EXPECT_EQ(o.kind, "Job");
  EXPECT_EQ(o.meta.name, "demo-workers-0");
  EXPECT_EQ(o.meta.namespace_, "default");
  EXPECT_FALSE(o.meta.uid.empty());
  EXPECT_EQ(o.meta.labels.at("jobset.sigs.k8s.io/jobset-name"), "demo");
  ASSERT_NE(o.meta.ControllerRef(), nullptr);
  EXPECT_EQ(o.meta.ControllerRef()->kind, "JobSet");
  EXPECT_TRUE(o.meta.ControllerRef()->block_owner_deletion);
  EXPECT_EQ(o.json, json);
}

TEST(ParseObjectTest, RefusesWhatIsNotOneObject) {
  for (const char* bad : {"", "[]", "{}x", "{} {}", "{\"metadata\":[]}", "{\"metadata\":{\"labels\":{\"a\":1}}}",
                          "{\"metadata\":{\"ownerReferences\":[1]}}"}) {
    EXPECT_FALSE(ParseObject(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseObject(std::string(300, '[') + std::string(300, ']')).ok()) << "nesting is bounded";
  EXPECT_TRUE(ParseObject("{} \n").ok()) << "trailing white space is fine";
}

}  // namespace
}  // namespace phalanx::kube
