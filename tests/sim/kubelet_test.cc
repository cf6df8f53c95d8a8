// The emulated kubelet against MemoryCluster: bound pods start (status shaped like fixture
// api/patch-pod-status-running), unbound pods are left alone, node failure fails the node's pods and
// recovery lets new pods run, graceful deletions are finished.
#include "sim/kubelet.h"

#include <set>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "sim/scheduler.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

constexpr absl::Duration kWait = absl::Seconds(20);

class KubeletTest : public ::testing::Test {
 protected:
  explicit KubeletTest(kube::MemoryClusterOptions options = {}) : cluster_(options), kubelet_(cluster_) {}

  void SetUp() override {
    for (const char* n : {"n1", "n2"}) {
      json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n}}}};
      ASSERT_OK(cluster_.Create(kube::kNodes, "", node.dump()).status());
      json status = {{"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
      ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", n, kube::PatchType::kMerge, status.dump()).status());
    }
    kubelet_.Start();
    ASSERT_TRUE(kubelet_.WaitForSync(kWait));
  }
  void TearDown() override { kubelet_.Stop(); }

  void AddPod(const std::string& name, const std::string& node) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"containers", json::array({{{"name", "worker"}, {"image", "example.invalid/w:1"}}})}}}};
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    ASSERT_OK(cluster_.Create(kube::kPods, "default", pod.dump()).status());
  }

  json Get(const kube::Resource& r, const std::string& ns, const std::string& name) {
    auto got = cluster_.Get(r, ns, name);
    return got.ok() ? json::parse(got->json) : json();
  }
  std::string Phase(const std::string& pod) {
    json p = Get(kube::kPods, "default", pod);
    return p.is_object() ? p["status"].value("phase", "") : "";
  }
  static std::string Cond(const json& obj, const std::string& type) {
    if (!obj.is_object() || !obj.contains("status")) return "";
    for (const auto& c : obj["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c.value("status", "");
    }
    return "";
  }
  bool WaitPhase(const std::string& pod, const std::string& phase) {
    return Scheduler::WaitFor([&] { return Phase(pod) == phase; }, kWait);
  }

  kube::MemoryCluster cluster_;
  Kubelet kubelet_;
};

TEST_F(KubeletTest, BoundPodsStartUnboundPodsWait) {
  AddPod("unbound", "");
  // A binding through the API, as a scheduler does, keeps its PodScheduled condition.
  AddPod("bound", "");
  ASSERT_OK(cluster_
                .Create(kube::kPodsBinding, "default",
                        R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"bound","namespace":"default"},)"
                        R"("target":{"apiVersion":"v1","kind":"Node","name":"n1"}})")
                .status());
  ASSERT_TRUE(WaitPhase("bound", "Running"));
  json pod = Get(kube::kPods, "default", "bound");
  json real = json::parse(phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                                          "/api/patch-pod-status-running.request.json"));
  // The same conditions as the real kubelet's patch, all True, and the scheduler's one kept.
  for (const auto& c : real["status"]["conditions"]) {
    EXPECT_EQ(Cond(pod, c["type"].get<std::string>()), "True") << c["type"];
    for (const auto& ours : pod["status"]["conditions"]) {
      if (ours["type"] != c["type"]) continue;
      std::set<std::string> want, got;
      for (auto it = c.begin(); it != c.end(); ++it) want.insert(it.key());
      for (auto it = ours.begin(); it != ours.end(); ++it) got.insert(it.key());
      EXPECT_EQ(got, want) << c["type"];
    }
  }
  EXPECT_EQ(Cond(pod, "PodScheduled"), "True");
  ASSERT_EQ(pod["status"]["containerStatuses"].size(), 1u);
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["name"], "worker");
  EXPECT_TRUE(pod["status"]["containerStatuses"][0]["state"].contains("running"));
  EXPECT_TRUE(pod["status"].contains("startTime"));
  EXPECT_TRUE(Scheduler::WaitFor([&] { return kubelet_.PodsStarted() == 1; }, kWait));
  EXPECT_EQ(Phase("unbound"), "Pending");
}

TEST_F(KubeletTest, FailedNodeFailsItsPodsUntilRecovered) {
  AddPod("on-n1", "n1");
  AddPod("on-n2", "n2");
  ASSERT_TRUE(WaitPhase("on-n1", "Running"));
  ASSERT_TRUE(WaitPhase("on-n2", "Running"));
  ASSERT_OK(kubelet_.FailNode("n1"));
  EXPECT_EQ(Cond(Get(kube::kNodes, "", "n1"), "Ready"), "False");
  ASSERT_TRUE(WaitPhase("on-n1", "Failed"));
  json pod = Get(kube::kPods, "default", "on-n1");
  EXPECT_EQ(pod["status"]["reason"], "NodeLost");
  EXPECT_EQ(pod["status"]["message"], "Node n1 which was running pod on-n1 is unresponsive");
  EXPECT_EQ(Cond(pod, "Ready"), "False");
  // A pod bound to the failed node later fails too; the healthy node's pod is untouched.
  AddPod("late", "n1");
  ASSERT_TRUE(WaitPhase("late", "Failed"));
  EXPECT_EQ(Phase("on-n2"), "Running");
  EXPECT_TRUE(Scheduler::WaitFor([&] { return kubelet_.PodsFailed() == 2; }, kWait));

  ASSERT_OK(kubelet_.RecoverNode("n1"));
  EXPECT_EQ(Cond(Get(kube::kNodes, "", "n1"), "Ready"), "True");
  AddPod("after", "n1");
  ASSERT_TRUE(WaitPhase("after", "Running"));
  EXPECT_EQ(Phase("on-n1"), "Failed");  // failed pods stay failed
  EXPECT_FALSE(kubelet_.FailNode("no-such-node").ok());
}

class GracefulKubeletTest : public KubeletTest {
 protected:
  GracefulKubeletTest() : KubeletTest(kube::MemoryClusterOptions{.graceful_pod_deletion = true}) {}
};

TEST_F(GracefulKubeletTest, GracefulDeletionIsFinished) {
  AddPod("p", "n1");
  ASSERT_TRUE(WaitPhase("p", "Running"));
  ASSERT_OK(cluster_.Delete(kube::kPods, "default", "p"));
  ASSERT_TRUE(Scheduler::WaitFor([&] { return absl::IsNotFound(cluster_.Get(kube::kPods, "default", "p").status()); },
                                 kWait));
  EXPECT_TRUE(Scheduler::WaitFor([&] { return kubelet_.DeletionsFinished() == 1; }, kWait));
}

TEST_F(GracefulKubeletTest, WithoutFinishingDeletionsPodsStayTerminating) {
  kubelet_.Stop();
  Kubelet lazy(cluster_, KubeletOptions{.finish_deletions = false});
  lazy.Start();
  AddPod("p", "n1");
  ASSERT_TRUE(WaitPhase("p", "Running"));
  ASSERT_OK(cluster_.Delete(kube::kPods, "default", "p"));
  // Events reach the kubelet in order: once a later pod runs, it has seen the deletion too.
  AddPod("q", "n1");
  ASSERT_TRUE(WaitPhase("q", "Running"));
  json pod = Get(kube::kPods, "default", "p");
  ASSERT_TRUE(pod.is_object());
  EXPECT_TRUE(pod["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(lazy.DeletionsFinished(), 0);
  lazy.Stop();
}

}  // namespace
}  // namespace phalanx::sim
