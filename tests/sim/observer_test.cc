// Tests of sim/observer.h: each invariant is caught when broken and quiet when kept; starts, finishes,
// occupancies and samples are recorded at the times the driver gives.
#include "sim/observer.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {
namespace {

using Json = nlohmann::json;

constexpr char kPool[] = "cloud.google.com/gke-nodepool";

std::string Node(const std::string& name, const std::string& pool, int tpu = 4) {
  Json n = {{"apiVersion", "v1"},
            {"kind", "Node"},
            {"metadata", {{"name", name}, {"labels", {{kPool, pool}}}}},
            {"status",
             {{"allocatable", {{"google.com/tpu", std::to_string(tpu)}, {"cpu", "8"}, {"pods", "110"}}},
              {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
  return n.dump();
}

// A pod of Job <js>-workers-<idx> (exclusive per pool), on `node` ("" = unbound), in `phase`.
std::string Pod(const std::string& js, int idx, int pod, const std::string& node, const std::string& phase,
                int tpu = 4) {
  const std::string job = js + "-workers-" + std::to_string(idx);
  Json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", job + "-" + std::to_string(pod)},
              {"namespace", "default"},
              {"uid", job + "-" + std::to_string(pod) + "-uid"},
              {"labels",
               {{"jobset.sigs.k8s.io/jobset-name", js},
                {"jobset.sigs.k8s.io/replicatedjob-name", "workers"},
                {"jobset.sigs.k8s.io/job-index", std::to_string(idx)},
                {"batch.kubernetes.io/job-name", job}}},
              {"annotations", {{"alpha.jobset.sigs.k8s.io/exclusive-topology", kPool}}}}},
            {"spec",
             {{"containers",
               Json::array({{{"name", "main"},
                             {"image", "x"},
                             {"resources", {{"requests", {{"google.com/tpu", std::to_string(tpu)}}}}}}})}}},
            {"status", {{"phase", phase}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p.dump();
}

std::string JobSet(const std::string& name, const std::string& reservations, bool completed = false) {
  Json js = {{"apiVersion", "jobset.x-k8s.io/v1alpha2"},
             {"kind", "JobSet"},
             {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", name + "-uid"}}},
             {"spec", {{"replicatedJobs", Json::array()}}}};
  if (!reservations.empty()) js["metadata"]["annotations"] = {{"phalanx.dev/reservations", reservations}};
  if (completed) {
    js["status"] = {{"conditions", Json::array({{{"type", "Completed"},
                                                 {"status", "True"},
                                                 {"reason", "AllJobsCompleted"},
                                                 {"message", "jobset completed successfully"},
                                                 {"lastTransitionTime", "2026-01-01T00:00:00Z"}}})}};
  }
  return js.dump();
}

Observer TwoPools() {
  ObserverOptions o;
  o.resource = "google.com/tpu";
  o.row_keys = {{kPool}};
  Observer obs(o);
  obs.OnNode(Node("a-0", "pool-a"));
  obs.OnNode(Node("a-1", "pool-a"));
  obs.OnNode(Node("b-0", "pool-b"));
  obs.OnNode(Node("b-1", "pool-b"));
  return obs;
}

TEST(ObserverTest, WholeGangsOnTheirOwnPoolsKeepEveryInvariant) {
  Observer obs = TwoPools();
  obs.Arrived("default", "x", 0, 2);
  obs.Arrived("default", "y", 0, 2);
  obs.OnJobSet(JobSet("x", R"({"workers/0":"cloud.google.com/gke-nodepool=pool-a"})"));
  obs.OnJobSet(JobSet("y", R"({"workers/0":"cloud.google.com/gke-nodepool=pool-b"})"));
  obs.SetTime(5);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Running"));
  obs.OnPod(Pod("x", 0, 1, "a-1", "Running"));
  obs.OnPod(Pod("y", 0, 0, "b-0", "Running"));
  obs.OnPod(Pod("y", 0, 1, "b-1", "Running"));
  obs.Checkpoint(5);
  EXPECT_EQ(obs.invariants().checked, 1);
  EXPECT_EQ(obs.invariants().Total(), 0) << obs.invariants().examples[0];
  Timeline t = obs.Finish(10);
  ASSERT_EQ(t.jobsets.size(), 2u);
  ASSERT_TRUE(t.jobsets[0].started_s.has_value());
  EXPECT_EQ(*t.jobsets[0].started_s, 5);
  EXPECT_EQ(t.jobsets[0].domains, std::vector<std::string>{"cloud.google.com/gke-nodepool=pool-a"});
  ASSERT_EQ(t.domains.size(), 2u);
  EXPECT_EQ(t.domains[0].capacity, 8);
  ASSERT_EQ(t.occupancies.size(), 2u);
  EXPECT_FALSE(t.occupancies[0].shared);
  EXPECT_EQ(t.occupancies[0].pods, 2);
  ASSERT_FALSE(t.samples.empty());
  EXPECT_DOUBLE_EQ(t.samples.back().utilisation, 1.0);
}

TEST(ObserverTest, TwoJobsOnOneExclusivePoolAreCaught) {
  Observer obs = TwoPools();
  obs.SetTime(1);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Running"));
  obs.OnPod(Pod("y", 0, 0, "a-1", "Running"));
  obs.Checkpoint(1);
  EXPECT_EQ(obs.invariants().violations.at("exclusive-domain-shared"), 1);
  Timeline t = obs.Finish(2);
  for (const Occupancy& o : t.occupancies) EXPECT_TRUE(o.shared);
}

TEST(ObserverTest, APartlyBoundGangIsCaught) {
  Observer obs = TwoPools();
  obs.SetTime(1);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Running"));
  obs.OnPod(Pod("x", 0, 1, "", "Pending"));
  obs.Checkpoint(1);
  EXPECT_EQ(obs.invariants().violations.at("partial-gang"), 1);
  // Once the second pod is bound too, the next step is clean.
  obs.SetTime(2);
  obs.OnPod(Pod("x", 0, 1, "a-1", "Running"));
  obs.Checkpoint(2);
  EXPECT_EQ(obs.invariants().violations.at("partial-gang"), 1);
}

TEST(ObserverTest, APodOutsideItsReservationIsCaught) {
  Observer obs = TwoPools();
  obs.Arrived("default", "x", 0, 1);
  obs.OnJobSet(JobSet("x", R"({"workers/0":"cloud.google.com/gke-nodepool=pool-a"})"));
  obs.SetTime(1);
  obs.OnPod(Pod("x", 0, 0, "b-0", "Running"));
  obs.Checkpoint(1);
  EXPECT_EQ(obs.invariants().violations.at("outside-reservation"), 1);
}

TEST(ObserverTest, OverfullNodeIsCaught) {
  Observer obs = TwoPools();
  obs.SetTime(1);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Running"));
  obs.OnPod(Pod("x", 0, 1, "a-0", "Running"));
  obs.Checkpoint(1);
  EXPECT_GE(obs.invariants().violations.at("capacity-exceeded"), 1);
}

TEST(ObserverTest, FinishedPodsFreeTheirPoolAndTheJobSetFinishes) {
  Observer obs = TwoPools();
  obs.Arrived("default", "x", 0, 2);
  obs.OnJobSet(JobSet("x", R"({"workers/0":"cloud.google.com/gke-nodepool=pool-a"})"));
  obs.SetTime(3);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Running"));
  obs.OnPod(Pod("x", 0, 1, "a-1", "Running"));
  obs.Checkpoint(3);
  obs.SetTime(603);
  obs.OnPod(Pod("x", 0, 0, "a-0", "Succeeded"));
  obs.OnPod(Pod("x", 0, 1, "a-1", "Succeeded"));
  obs.OnJobSet(JobSet("x", "", /*completed=*/true));
  obs.Checkpoint(603);
  EXPECT_TRUE(obs.AllFinished());
  // A pod of another Job may now use the pool.
  obs.SetTime(700);
  obs.OnPod(Pod("y", 0, 0, "a-0", "Running"));
  obs.Checkpoint(700);
  EXPECT_EQ(obs.invariants().Total(), 0);
  Timeline t = obs.Finish(800);
  ASSERT_EQ(t.jobsets.size(), 1u);
  EXPECT_EQ(t.jobsets[0].outcome, "Completed");
  EXPECT_EQ(*t.jobsets[0].finished_s, 603);
  ASSERT_GE(t.occupancies.size(), 1u);
  EXPECT_EQ(t.occupancies[0].start_s, 3);
  EXPECT_EQ(t.occupancies[0].end_s, 603);
}

}  // namespace
}  // namespace phalanx::sim
