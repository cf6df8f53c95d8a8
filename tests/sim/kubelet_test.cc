// The emulated kubelet against MemoryCluster: bound pods start (status shaped like fixture
// api/patch-pod-status-running), unbound pods are left alone, node failure fails the node's pods and
// recovery lets new pods run, graceful deletions are finished.
#include "sim/kubelet.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/micro_time.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "sim/scheduler.h"
#include "tests/kube/fake_clock.h"
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

// ---- stepped mode (the simulator's driver): no threads, a virtual clock ---------------------------

namespace stepped {

class SteppedKubeletTest : public ::testing::Test {
 protected:
  SteppedKubeletTest() : cluster_(kube::MemoryClusterOptions{.clock = &clock_}) {}

  void SetUp() override {
    for (const char* n : {"n1", "n2"}) {
      json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n}}}};
      ASSERT_OK(cluster_.Create(kube::kNodes, "", node.dump()).status());
      json status = {{"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
      ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", n, kube::PatchType::kMerge, status.dump()).status());
    }
  }

  // Runs per pod name: "ok-*" 10 minutes then exit 0, "oom-*" 5 minutes then 137 OOMKilled, others
  // until stopped.
  KubeletOptions Options() {
    KubeletOptions o;
    o.clock = &clock_;
    o.run = [this](const kube::Object& pod) -> std::optional<PodRun> {
      asked_.push_back(pod.meta.name);
      if (pod.meta.name.rfind("ok-", 0) == 0) return PodRun{absl::Minutes(10), 0, ""};
      if (pod.meta.name.rfind("oom-", 0) == 0) return PodRun{absl::Minutes(5), 137, "OOMKilled"};
      return std::nullopt;
    };
    return o;
  }

  void AddPod(const std::string& name, const std::string& node, int containers = 1) {
    json cs = json::array();
    for (int i = 0; i < containers; ++i) {
      cs.push_back({{"name", i == 0 ? "worker" : "sidecar"}, {"image", "example.invalid/w:1"}});
    }
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"nodeName", node}, {"containers", cs}}}};
    ASSERT_OK(cluster_.Create(kube::kPods, "default", pod.dump()).status());
  }

  json Get(const kube::Resource& r, const std::string& ns, const std::string& name) {
    auto got = cluster_.Get(r, ns, name);
    return got.ok() ? json::parse(got->json) : json();
  }
  json Pod(const std::string& name) { return Get(kube::kPods, "default", name); }
  static json Cond(const json& obj, const std::string& type) {
    for (const auto& c : obj["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json();
  }
  void Settle(Kubelet& k) {
    for (int i = 0; i < 50; ++i) {
      if (!k.Step()) return;
    }
    ADD_FAILURE() << "Kubelet::Step() still making progress after 50 calls";
  }
  // The key sets of a terminated container status: ours and the real kubelet's (fixture).
  static std::set<std::string> Keys(const json& obj) {
    std::set<std::string> out;
    for (auto it = obj.begin(); it != obj.end(); ++it) out.insert(it.key());
    return out;
  }

  kube::testing::FakeClock clock_;
  kube::MemoryCluster cluster_;
  std::vector<std::string> asked_;
};

TEST_F(SteppedKubeletTest, PodsRunForTheirDurationAndEndWithTheirExitCode) {
  Kubelet kubelet(cluster_, Options());
  AddPod("ok-1", "n1");
  AddPod("oom-1", "n1", 2);
  AddPod("forever", "n2");
  const absl::Time start = clock_.Now();
  Settle(kubelet);
  for (const char* p : {"ok-1", "oom-1", "forever"}) {
    EXPECT_EQ(Pod(p)["status"]["phase"], "Running") << p;
    EXPECT_EQ(Pod(p)["status"]["startTime"], kube::FormatTime(start)) << p;
  }
  EXPECT_EQ(asked_.size(), 3u) << "run is asked once per started pod";
  EXPECT_EQ(kubelet.NextWakeup(), start + absl::Minutes(5));

  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  Settle(kubelet);
  EXPECT_EQ(Pod("oom-1")["status"]["phase"], "Running") << "not before its time";

  clock_.Advance(absl::Seconds(1));
  Settle(kubelet);
  json oom = Pod("oom-1");
  EXPECT_EQ(oom["status"]["phase"], "Failed");
  EXPECT_EQ(Cond(oom, "Ready").value("reason", ""), "PodFailed");
  EXPECT_EQ(Cond(oom, "ContainersReady").value("status", ""), "False");
  ASSERT_EQ(oom["status"]["containerStatuses"].size(), 2u);
  const json& worker = oom["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(worker["exitCode"], 137);
  EXPECT_EQ(worker["reason"], "OOMKilled");
  EXPECT_EQ(worker["startedAt"], kube::FormatTime(start));
  EXPECT_EQ(worker["finishedAt"], kube::FormatTime(start + absl::Minutes(5)));
  EXPECT_EQ(oom["status"]["containerStatuses"][1]["state"]["terminated"]["exitCode"], 0);
  // The real kubelet's failed-pod patch has the same fields (container IDs aside).
  json real = json::parse(phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                                          "/api/patch-pod-status-failed.request.json"));
  std::set<std::string> want = Keys(real["status"]["containerStatuses"][0]["state"]["terminated"]);
  want.erase("containerID");
  EXPECT_EQ(Keys(worker), want);
  EXPECT_EQ(kubelet.NextWakeup(), start + absl::Minutes(10));

  clock_.Advance(absl::Minutes(5));
  Settle(kubelet);
  json ok = Pod("ok-1");
  EXPECT_EQ(ok["status"]["phase"], "Succeeded");
  EXPECT_EQ(Cond(ok, "Ready").value("reason", ""), "PodCompleted");
  EXPECT_EQ(ok["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 0);
  EXPECT_EQ(ok["status"]["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(Pod("forever")["status"]["phase"], "Running");
  EXPECT_EQ(kubelet.NextWakeup(), absl::InfiniteFuture());
  EXPECT_EQ(kubelet.PodsStarted(), 3);
  EXPECT_EQ(kubelet.PodsFinished(), 2);
  EXPECT_FALSE(kubelet.Step());
}

TEST_F(SteppedKubeletTest, FailPodEndsARunningPodNow) {
  Kubelet kubelet(cluster_, Options());
  AddPod("ok-1", "n1");
  AddPod("pending", "");
  Settle(kubelet);
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(kubelet.FailPod("default", "ok-1", 42, "Error"));
  json pod = Pod("ok-1");
  EXPECT_EQ(pod["status"]["phase"], "Failed");
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 42);
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"],
            kube::FormatTime(clock_.Now()));
  EXPECT_EQ(kubelet.NextWakeup(), absl::InfiniteFuture()) << "its timed end is forgotten";
  EXPECT_EQ(kubelet.FailPod("default", "ok-1", 1, "Error").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(kubelet.FailPod("default", "pending", 1, "Error").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(kubelet.FailPod("default", "nope", 1, "Error").code(), absl::StatusCode::kNotFound);
  clock_.Advance(absl::Hours(1));
  Settle(kubelet);
  EXPECT_EQ(Pod("ok-1")["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 42);
}

TEST_F(SteppedKubeletTest, FailedNodeIsTaintedAndItsPodsAreMarkedDisrupted) {
  Kubelet kubelet(cluster_, Options());
  AddPod("forever", "n1");
  AddPod("other", "n2");
  Settle(kubelet);
  ASSERT_OK(kubelet.FailNode("n1"));
  json node = Get(kube::kNodes, "", "n1");
  ASSERT_TRUE(node["spec"]["taints"].is_array());
  ASSERT_EQ(node["spec"]["taints"].size(), 1u);
  EXPECT_EQ(node["spec"]["taints"][0]["key"], "node.kubernetes.io/unreachable");
  EXPECT_EQ(node["spec"]["taints"][0]["effect"], "NoExecute");
  Settle(kubelet);
  json pod = Pod("forever");
  EXPECT_EQ(pod["status"]["phase"], "Failed");
  EXPECT_EQ(pod["status"]["reason"], "NodeLost");
  EXPECT_EQ(Cond(pod, "DisruptionTarget").value("status", ""), "True");
  EXPECT_EQ(Cond(pod, "DisruptionTarget").value("reason", ""), "DeletionByTaintManager");
  EXPECT_EQ(Pod("other")["status"]["phase"], "Running");
  EXPECT_EQ(kubelet.PodsFailed(), 1);
  ASSERT_OK(kubelet.RecoverNode("n1"));
  EXPECT_FALSE(Get(kube::kNodes, "", "n1")["spec"].contains("taints"));
  AddPod("after", "n1");
  Settle(kubelet);
  EXPECT_EQ(Pod("after")["status"]["phase"], "Running");
}

}  // namespace stepped

}  // namespace
}  // namespace phalanx::sim
