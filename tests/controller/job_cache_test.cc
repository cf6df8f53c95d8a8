// The Job informer's cache transform keeps what the runner reads back (identity, owner references).
#include <string>

#include "controller/runner.h"
#include "gtest/gtest.h"
#include "kube/object.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::controller {
namespace {

TEST(KeepJobIdentityTest, KeepsIdentityAndOwnersOnly) {
  const std::string text = testing::ReadFileOrDie(testing::FixturesDir() + "/api/get-job-owned-by-jobset.json");
  absl::StatusOr<kube::Object> parsed = kube::ParseObject(text);
  ASSERT_OK(parsed.status());
  const kube::Object full = *parsed;
  ASSERT_FALSE(full.meta.labels.empty());
  ASSERT_NE(full.meta.ControllerRef(), nullptr);

  kube::Object job = full;
  KeepJobIdentity(job);
  EXPECT_TRUE(job.json.empty());
  EXPECT_TRUE(job.meta.labels.empty());
  EXPECT_TRUE(job.meta.annotations.empty());
  EXPECT_EQ(job.meta.name, full.meta.name);
  EXPECT_EQ(job.meta.namespace_, full.meta.namespace_);
  EXPECT_EQ(job.meta.uid, full.meta.uid);
  EXPECT_EQ(job.meta.resource_version, full.meta.resource_version);
  EXPECT_EQ(job.meta.owner_references, full.meta.owner_references);
  ASSERT_NE(job.meta.ControllerRef(), nullptr);
  EXPECT_EQ(job.meta.ControllerRef()->uid, full.meta.ControllerRef()->uid);
}

}  // namespace
}  // namespace phalanx::controller
