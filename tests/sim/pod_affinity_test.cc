// sim/pod_affinity.h: kube-scheduler's InterPodAffinity filter as far as upstream JobSet's leader terms
// need it — the leader's self-affinity, the anti-affinity between Jobs of the same priority.
#include "sim/pod_affinity.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "webhook/exclusive_upstream.h"

namespace phalanx::sim {
namespace {

constexpr char kPool[] = "cloud.google.com/gke-nodepool";

// A leader pod with the exact terms the upstream-mode webhook writes.
std::string LeaderJson(const std::string& job_key, const std::string& priority) {
  return R"({"metadata":{"name":"l"},"spec":{"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
         webhook::LeaderAffinityTermJson(job_key, kPool) +
         R"(]},"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
         webhook::LeaderAntiAffinityTermJson(job_key, priority, kPool) + "]}}}}";
}

Labels PodLabels(const std::string& job_key, const std::string& priority) {
  return {{"jobset.sigs.k8s.io/job-key", job_key}, {"jobset.sigs.k8s.io/priority", priority}};
}

const Labels kPoolA = {{kPool, "pool-a"}};
const Labels kPoolB = {{kPool, "pool-b"}};
const Labels kNoPool = {{"kubernetes.io/hostname", "cpu-0"}};

TEST(ReadPodAffinityTest, LeaderTerms) {
  ASSERT_OK_AND_ASSIGN(PodAffinitySpec spec, ReadPodAffinity(LeaderJson("k1", "0")));
  ASSERT_EQ(spec.affinity.size(), 1u);
  ASSERT_EQ(spec.anti_affinity.size(), 1u);
  EXPECT_EQ(spec.affinity[0].topology_key, kPool);
  EXPECT_TRUE(spec.affinity[0].all_namespaces);
  EXPECT_EQ(spec.anti_affinity[0].match_expressions.size(), 3u);
  EXPECT_THAT(ReadPodAffinity(R"({"spec":{"affinity":{"podAffinity":[]}}})").status(),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(PodAffinitySpec none, ReadPodAffinity(R"({"spec":{}})"));
  EXPECT_TRUE(none.empty());
}

TEST(PodAffinityCheckTest, LeaderPlacementTable) {
  ASSERT_OK_AND_ASSIGN(PodAffinitySpec leader2, ReadPodAffinity(LeaderJson("k2", "0")));
  const Labels own = PodLabels("k2", "0");
  const Labels job1 = PodLabels("k1", "0");
  const Labels job1_low = PodLabels("k1", "n5");
  const Labels job2 = PodLabels("k2", "0");
  struct Case {
    std::string name;
    std::vector<PlacedPod> placed;
    Labels node;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"first pod of its Job: self-affinity lets it in", {}, kPoolA, ""},
      {"node without the topology key", {}, kNoPool, "node(s) didn't match pod affinity rules"},
      {"another Job of the same priority holds pool-a", {{"ns1", &job1, &kPoolA}}, kPoolA,
       "node(s) didn't match pod anti-affinity rules"},
      {"... pool-b is free", {{"ns1", &job1, &kPoolA}}, kPoolB, ""},
      {"another priority does not repel (#687)", {{"ns1", &job1_low, &kPoolA}}, kPoolA, ""},
      {"its own Job's pod elsewhere pulls it there", {{"default", &job2, &kPoolB}}, kPoolA,
       "node(s) didn't match pod affinity rules"},
      {"... and lets it join", {{"default", &job2, &kPoolB}}, kPoolB, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PodAffinityCheck check(leader2, "default", own, c.placed);
    EXPECT_EQ(check.Reason(c.node), c.reason);
  }
}

TEST(PodAffinityTermTest, SelectorsAndNamespaces) {
  PodAffinityTerm t;
  t.match_labels = {{"app", "x"}};
  t.match_expressions = {{"tier", "NotIn", {"db"}}, {"zone", "DoesNotExist", {}}};
  EXPECT_TRUE(t.Selects({{"app", "x"}, {"tier", "web"}}));
  EXPECT_FALSE(t.Selects({{"app", "x"}, {"tier", "db"}}));
  EXPECT_FALSE(t.Selects({{"app", "x"}, {"zone", "a"}}));
  EXPECT_FALSE(t.Selects({{"app", "y"}}));
  EXPECT_TRUE(t.InNamespace("default", "default"));
  EXPECT_FALSE(t.InNamespace("other", "default"));
  t.namespaces = {"other"};
  EXPECT_TRUE(t.InNamespace("other", "default"));
  t.all_namespaces = true;
  EXPECT_TRUE(t.InNamespace("any", "default"));
}

}  // namespace
}  // namespace phalanx::sim
