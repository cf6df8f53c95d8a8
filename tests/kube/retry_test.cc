// RetryOnConflict: a get-modify-update loop that loses a race once still lands its change.
#include "kube/retry.h"

#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;

TEST(RetryOnConflictTest, RetriesOnlyConflicts) {
  MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kJobSets, "default", R"({"metadata":{"name":"js"},"spec":{}})").status());
  int attempts = 0;
  absl::Status s = RetryOnConflict([&]() -> absl::Status {
    ++attempts;
    absl::StatusOr<Object> cur = cluster.Get(kJobSets, "default", "js");
    if (!cur.ok()) return cur.status();
    if (attempts == 1) {
      // Someone else writes between our read and our write.
      absl::Status other = cluster.Patch(kJobSets, "default", "js", PatchType::kMerge,
                                         R"({"metadata":{"labels":{"other":"1"}}})").status();
      if (!other.ok()) return other;
    }
    Json j = Json::parse(cur->json);
    j["metadata"]["labels"]["mine"] = "1";
    return cluster.Update(kJobSets, "default", j.dump()).status();
  });
  EXPECT_OK(s);
  EXPECT_EQ(attempts, 2);
  ASSERT_OK_AND_ASSIGN(Object js, cluster.Get(kJobSets, "default", "js"));
  EXPECT_EQ(js.meta.labels.at("mine"), "1");
  EXPECT_EQ(js.meta.labels.at("other"), "1");

  attempts = 0;
  EXPECT_THAT(RetryOnConflict([&] {
                ++attempts;
                return absl::NotFoundError("gone");
              }),
              ::phalanx::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(attempts, 1);
  attempts = 0;
  EXPECT_THAT(RetryOnConflict([&] {
                ++attempts;
                return absl::AbortedError("conflict");
              }, RetryBackoff{3, absl::Milliseconds(1), 2.0}),
              ::phalanx::testing::StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(attempts, 3);
}

}  // namespace
}  // namespace phalanx::kube
