// The exclusive-placement repair loop (reference/jobset.md §5.5): the decision table, the condition it
// writes, and the loop against an in-memory API server (pods deleted with the condition first).
#include "controller/exclusive_repair.h"

#include <string>
#include <vector>

#include "api/labels.h"
#include "controller/exclusive_repair_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::controller {
namespace {

constexpr char kKey[] = "cloud.google.com/gke-nodepool";

RepairPod Pod(std::string name, std::string index, std::optional<std::string> selector, std::string node = "") {
  RepairPod p;
  p.ns = "default";
  p.name = std::move(name);
  p.uid = p.name + "-uid";
  p.owner_uid = "job-uid";
  p.job_key = "jk";
  p.exclusive_key = kKey;
  p.completion_index = std::move(index);
  p.node_name = std::move(node);
  if (selector) p.node_selector = std::map<std::string, std::string>{{kKey, *selector}, {"other", "x"}};
  return p;
}

std::map<std::string, std::string> PoolA() { return {{kKey, "pool-a"}}; }

std::vector<std::string> Names(const std::vector<RepairPod>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods) out.push_back(p.name);
  return out;
}

TEST(IsRepairLeaderTest, Filter) {
  EXPECT_TRUE(IsRepairLeader(Pod("l", "0", std::nullopt, "n1")));
  EXPECT_FALSE(IsRepairLeader(Pod("l", "0", std::nullopt, "")));   // not scheduled
  EXPECT_FALSE(IsRepairLeader(Pod("f", "1", std::nullopt, "n1")));  // follower
  RepairPod deleting = Pod("l", "0", std::nullopt, "n1");
  deleting.deleting = true;
  EXPECT_FALSE(IsRepairLeader(deleting));
  RepairPod plain = Pod("l", "0", std::nullopt, "n1");
  plain.exclusive_key.reset();
  EXPECT_FALSE(IsRepairLeader(plain));
}

TEST(DecideRepairTest, Table) {
  const RepairPod leader = Pod("js-w-0-0-aaaaa", "0", std::nullopt, "n1");
  RepairPod other_owner = Pod("js-w-0-2-ccccc", "2", "pool-b");
  other_owner.owner_uid = "old-job-uid";
  struct Case {
    std::string name;
    std::vector<RepairPod> pods;
    std::optional<std::map<std::string, std::string>> node;
    std::vector<std::string> deleted;
    bool retry = false;
  };
  std::vector<Case> cases = {
      {"all followers in the leader's domain", {leader, Pod("f1", "1", "pool-a"), Pod("f2", "2", "pool-a")}, PoolA(), {}},
      {"one follower elsewhere: every follower goes",
       {leader, Pod("f1", "1", "pool-a"), Pod("f2", "2", "pool-b")}, PoolA(), {"f1", "f2"}},
      {"follower without nodeSelector", {leader, Pod("f1", "1", std::nullopt)}, PoolA(), {"f1"}},
      {"pods of another owner are ignored", {leader, Pod("f1", "1", "pool-a"), other_owner}, PoolA(), {}},
      {"leader's node unknown: retry, delete nothing", {leader, Pod("f1", "1", "pool-b")}, std::nullopt, {}, true},
      // Unknown topology matches no selector (upstream compares against ""): retried, never deleted.
      {"leader's node unknown, followers look fine", {leader, Pod("f1", "1", "pool-a")}, std::nullopt, {}, true},
      {"node without the label: retry", {leader, Pod("f1", "1", "pool-a")},
       std::map<std::string, std::string>{{"x", "y"}}, {}, true},
      {"no followers", {leader}, PoolA(), {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RepairDecision d = DecideRepair(leader, c.pods, c.node);
    EXPECT_EQ(Names(d.delete_followers), c.deleted);
    EXPECT_EQ(d.retry.has_value(), c.retry);
  }
  RepairDecision d = DecideRepair(leader, {leader, Pod("f1", "1", "pool-a")},
                                  std::map<std::string, std::string>{{"x", "y"}});
  EXPECT_EQ(d.retry.value_or(""), std::string("node does not have topology label: ") + kKey);
  RepairPod deleting = Pod("f2", "2", "pool-b");
  deleting.deleting = true;
  d = DecideRepair(leader, {leader, Pod("f1", "1", "pool-a"), deleting}, PoolA());
  EXPECT_EQ(Names(d.delete_followers), std::vector<std::string>{"f1"});  // f2 is already going
}

TEST(ReadRepairPodTest, CapturedPod) {
  std::string json = phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/get-job-pod-index0.json");
  ASSERT_OK_AND_ASSIGN(RepairPod p, ReadRepairPod(json));
  EXPECT_EQ(p.name, "demo-workers-0-0-dl2n9");
  EXPECT_EQ(p.completion_index, "0");
  EXPECT_TRUE(p.exclusive_key.has_value());
  EXPECT_FALSE(p.job_key.empty());
  EXPECT_FALSE(p.owner_uid.empty());
  EXPECT_EQ(p.node_name, "tpu-node-a-1");
  EXPECT_TRUE(IsRepairLeader(p));
  EXPECT_FALSE(p.has_disruption_target);
  EXPECT_THAT(ReadRepairPod(R"({"spec":{"nodeSelector":[]}})").status(),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadRepairPod("[").status(), phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DisruptionTargetPatchTest, Condition) {
  nlohmann::json patch = nlohmann::json::parse(DisruptionTargetPatch(absl::FromUnixSeconds(1764349261)));
  nlohmann::json c = patch["status"]["conditions"][0];
  EXPECT_EQ(c["type"], "DisruptionTarget");
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "ExclusivePlacementViolation");
  EXPECT_EQ(c["message"], "Pod violated JobSet exclusive placement policy");
  EXPECT_EQ(c["lastTransitionTime"], "2025-11-28T17:01:01Z");
}

std::string PodJson(const std::string& name, const std::string& index, const std::string& selector,
                    const std::string& node) {
  nlohmann::json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"finalizers", {"batch.kubernetes.io/job-tracking"}},  // keeps the deleted pod readable
        {"labels", {{std::string(api::kJobSetNameKey), "js"}, {std::string(api::kJobKey), "jk"}}},
        {"annotations",
         {{std::string(api::kJobSetNameKey), "js"},
          {std::string(api::kExclusiveKey), kKey},
          {std::string(api::kJobCompletionIndexKey), index}}},
        {"ownerReferences",
         {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", "js-w-0"}, {"uid", "job-uid"}, {"controller", true}}}}}},
      {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}};
  if (!selector.empty()) pod["spec"]["nodeSelector"] = {{kKey, selector}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  return pod.dump();
}

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

TEST(ExclusiveRepairLoopTest, MisplacedFollowersGetTheConditionAndAreDeleted) {
  kube::MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kube::kNodes, "", R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"cloud.google.com/gke-nodepool":"pool-a"}}})"));
  ASSERT_OK(cluster.Create(kube::kPods, "default", PodJson("js-w-0-0-aaaaa", "0", "", "n1")));
  ASSERT_OK(cluster.Create(kube::kPods, "default", PodJson("js-w-0-1-bbbbb", "1", "pool-a", "")));
  ExclusiveRepairLoop loop(cluster);
  loop.Start();
  ASSERT_TRUE(loop.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return loop.Idle(); }));
  EXPECT_EQ(loop.Deleted(), 0);  // well placed: left alone

  // A follower created with another domain (the race of #341): both followers go.
  ASSERT_OK(cluster.Create(kube::kPods, "default", PodJson("js-w-0-2-ccccc", "2", "pool-b", "")));
  ASSERT_TRUE(WaitFor([&] { return loop.Deleted() == 2; })) << loop.Deleted();
  for (const char* name : {"js-w-0-1-bbbbb", "js-w-0-2-ccccc"}) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(kube::Object got, cluster.Get(kube::kPods, "default", name));
    EXPECT_TRUE(got.meta.deletion_timestamp.has_value());
    nlohmann::json pod = nlohmann::json::parse(got.json);
    ASSERT_TRUE(pod["status"].contains("conditions")) << got.json;
    bool found = false;
    for (const auto& c : pod["status"]["conditions"]) {
      if (c["type"] == "DisruptionTarget") {
        found = true;
        EXPECT_EQ(c["reason"], "ExclusivePlacementViolation");
        EXPECT_EQ(c["status"], "True");
      }
    }
    EXPECT_TRUE(found);
  }
  // The leader stays.
  ASSERT_OK_AND_ASSIGN(kube::Object leader, cluster.Get(kube::kPods, "default", "js-w-0-0-aaaaa"));
  EXPECT_FALSE(leader.meta.deletion_timestamp.has_value());
  loop.Stop();
}

}  // namespace
}  // namespace phalanx::controller
