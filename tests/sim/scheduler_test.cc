// The emulated kube-scheduler against MemoryCluster: in-tree filters, the PreFilter narrowing, binding
// through pods/binding, retries, and the extender protocol against a loopback extender whose answers
// are the captured v1.36 fixtures (and whose recorded requests are compared with what the real
// kube-scheduler sent).
#include "sim/scheduler.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kube/http_client.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"
#include "kube/micro_time.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "sim/job_controller.h"
#include "sim/kubelet.h"
#include "tests/kube/fake_clock.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr absl::Duration kWait = absl::Seconds(20);

std::string ExtenderFixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/extender/" + name);
}

// A loopback extender: records every request; the test scripts the answer per verb.
class FakeExtender {
 public:
  struct Answer {
    int code = 200;
    std::string body;
  };
  using Script = std::function<Answer(const std::string& verb, const json& args)>;

  FakeExtender() {
    svr_.Post(R"(/scheduler/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string verb = req.matches[1];
      Script script;
      {
        absl::MutexLock l(&mu_);
        seen_.push_back({verb, req.body, req.get_header_value("Content-Type")});
        script = script_;
      }
      json args = json::parse(req.body, nullptr, false);
      Answer a = script ? script(verb, args) : Answer{500, "no script"};
      res.status = a.code;
      res.set_content(a.body, a.code == 200 ? "application/json" : "text/plain");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }
  ~FakeExtender() {
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Set(Script s) {
    absl::MutexLock l(&mu_);
    script_ = std::move(s);
  }
  struct Seen {
    std::string verb, body, content_type;
  };
  std::vector<Seen> Requests() {
    absl::MutexLock l(&mu_);
    return seen_;
  }
  std::string prefix() const { return absl::StrCat("http://127.0.0.1:", port_, "/scheduler"); }

 private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  Script script_ ABSL_GUARDED_BY(mu_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

// Every node name of an ExtenderArgs body, whichever form it has.
std::vector<std::string> ArgNodeNames(const json& args) {
  std::vector<std::string> out;
  if (args["NodeNames"].is_array()) {
    for (const auto& n : args["NodeNames"]) out.push_back(n.get<std::string>());
  } else if (args["Nodes"].is_object()) {
    for (const auto& n : args["Nodes"]["items"]) out.push_back(n["metadata"]["name"].get<std::string>());
  }
  return out;
}

json AcceptAll(const json& args) {
  return {{"nodeNames", ArgNodeNames(args)}, {"failedNodes", json::object()},
          {"failedAndUnresolvableNodes", json::object()}, {"error", ""}};
}

struct NodeSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  json allocatable = {{"cpu", "4"}, {"memory", "16Gi"}, {"pods", "110"}};
  json taints = json::array();
  bool unschedulable = false;
  bool ready = true;
};

class SchedulerTest : public ::testing::Test {
 protected:
  ~SchedulerTest() override {
    if (sched_) sched_->Stop();
  }

  static SchedulerOptions Fast() {
    SchedulerOptions o;
    o.initial_backoff = absl::Milliseconds(10);
    o.max_backoff = absl::Milliseconds(50);
    return o;
  }

  void StartScheduler(SchedulerOptions o = Fast()) {
    sched_ = std::make_unique<Scheduler>(cluster_, o);
    sched_->Start();
    ASSERT_TRUE(sched_->WaitForSync(kWait));
  }

  void AddNode(const NodeSpec& n) {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n.name}, {"labels", n.labels}}}};
    node["spec"] = json::object();
    if (!n.taints.empty()) node["spec"]["taints"] = n.taints;
    if (n.unschedulable) node["spec"]["unschedulable"] = true;
    ASSERT_OK(cluster_.Create(kube::kNodes, "", node.dump()).status());
    SetNodeStatus(n.name, n.allocatable, n.ready);
  }

  void SetNodeStatus(const std::string& name, const json& allocatable, bool ready) {
    json status = {{"status",
                    {{"capacity", allocatable},
                     {"allocatable", allocatable},
                     {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
    ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", name, kube::PatchType::kMerge, status.dump()).status());
  }

  // A pod with one container requesting `cpu` (empty = nothing), plus `spec` merged in.
  void AddPod(const std::string& name, const std::string& cpu, json spec = json::object(),
              json metadata = json::object()) {
    json container = {{"name", "c"}, {"image", "example.invalid/w:1"}};
    if (!cpu.empty()) container["resources"] = {{"requests", {{"cpu", cpu}}}};
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}, {"namespace", "default"}}}};
    for (auto it = metadata.begin(); it != metadata.end(); ++it) pod["metadata"][it.key()] = it.value();
    pod["spec"] = {{"containers", json::array({container})}};
    for (auto it = spec.begin(); it != spec.end(); ++it) pod["spec"][it.key()] = it.value();
    ASSERT_OK(cluster_.Create(kube::kPods, "default", pod.dump()).status());
  }

  json Pod(const std::string& name) {
    auto got = cluster_.Get(kube::kPods, "default", name);
    return got.ok() ? json::parse(got->json) : json();
  }

  std::string NodeOf(const std::string& name) {
    json p = Pod(name);
    return p.is_object() ? p["spec"].value("nodeName", "") : "";
  }

  bool WaitBound(const std::string& name) {
    return Scheduler::WaitFor([&] { return !NodeOf(name).empty(); }, kWait);
  }

  json PodScheduled(const std::string& name) {
    json p = Pod(name);
    if (!p.is_object() || !p.contains("status")) return json();
    for (const auto& c : p["status"].value("conditions", json::array())) {
      if (c.value("type", "") == "PodScheduled") return c;
    }
    return json();
  }

  // Waits until the pod's PodScheduled condition is False with `reason` and returns its message.
  std::string WaitRefused(const std::string& name, const std::string& reason) {
    std::string message;
    bool ok = Scheduler::WaitFor(
        [&] {
          json c = PodScheduled(name);
          if (!c.is_object() || c.value("status", "") != "False" || c.value("reason", "") != reason) return false;
          message = c.value("message", "");
          return true;
        },
        kWait);
    EXPECT_TRUE(ok) << name << " never got PodScheduled=False " << reason;
    return message;
  }

  void MarkPhase(const std::string& name, const std::string& phase) {
    json patch = {{"status", {{"phase", phase}}}};
    ASSERT_OK(cluster_.Patch(kube::kPodsStatus, "default", name, kube::PatchType::kMerge, patch.dump()).status());
  }

  kube::MemoryCluster cluster_;
  std::unique_ptr<Scheduler> sched_;
};

json NodeAffinity(json terms) {
  return {{"nodeAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", {{"nodeSelectorTerms", terms}}}}}};
}

json Expr(const std::string& key, const std::string& op, std::vector<std::string> values = {}) {
  json e = {{"key", key}, {"operator", op}};
  if (!values.empty()) e["values"] = values;
  return e;
}

json PinTo(const std::string& node) {
  return json::array({{{"matchFields", json::array({{{"key", "metadata.name"}, {"operator", "In"}, {"values", {node}}}})}}});
}

// ---- in-tree filters ----------------------------------------------------------------------------------

TEST_F(SchedulerTest, ResourcesFitAndBindThroughTheBindingSubresource) {
  AddNode({.name = "n1"});
  AddNode({.name = "n2"});
  StartScheduler();
  AddPod("a", "3");
  ASSERT_TRUE(WaitBound("a"));
  AddPod("b", "3");
  ASSERT_TRUE(WaitBound("b"));
  EXPECT_NE(NodeOf("a"), NodeOf("b"));  // 3 + 3 > 4 cpu
  // The binding subresource writes PodScheduled=True: the scheduler went through it.
  EXPECT_EQ(PodScheduled("a").value("status", ""), "True");
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));  // counters are updated once the bind call returned
  EXPECT_EQ(sched_->Stats().binds, 2);
  EXPECT_EQ(sched_->Bindings().at("default/a"), NodeOf("a"));

  AddPod("c", "3");
  EXPECT_EQ(WaitRefused("c", "Unschedulable"), "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_EQ(sched_->LastUnschedulableMessage("default", "c"), "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_TRUE(NodeOf("c").empty());
  // Nothing changes: c is not tried again (its own condition write does not count as a change).
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));
  const int64_t attempts = sched_->Stats().attempts;
  absl::SleepFor(absl::Milliseconds(150));  // several max backoffs
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));
  EXPECT_EQ(sched_->Stats().attempts, attempts);

  // A finished pod no longer holds its requests: c is retried on that change and fits where a was.
  const std::string freed = NodeOf("a");
  MarkPhase("a", "Succeeded");
  ASSERT_TRUE(WaitBound("c"));
  EXPECT_EQ(NodeOf("c"), freed);
}

TEST_F(SchedulerTest, PodCountAndInitContainersCount) {
  AddNode({.name = "n1", .allocatable = {{"cpu", "8"}, {"memory", "16Gi"}, {"pods", "1"}}});
  AddNode({.name = "n2", .allocatable = {{"cpu", "2"}, {"memory", "16Gi"}, {"pods", "10"}}});
  StartScheduler();
  AddPod("first", "", {{"nodeSelector", {{"kubernetes.io/hostname", "n1"}}}});
  AddPod("pinned", "", {{"nodeName", "n1"}});  // bound by its creator, counted against n1
  AddPod("big-init", "1",
         {{"initContainers", json::array({{{"name", "i"}, {"image", "x"},
                                           {"resources", {{"requests", {{"cpu", "3"}}}}}}})}});
  std::string msg = WaitRefused("big-init", "Unschedulable");
  EXPECT_EQ(msg, "0/2 nodes are available: 1 Insufficient cpu, 1 Too many pods.");
  // "first" selects a label no node has.
  EXPECT_EQ(WaitRefused("first", "Unschedulable"),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
}

TEST_F(SchedulerTest, NodeSelectorAndRequiredAffinityOperators) {
  AddNode({.name = "n1", .labels = {{"zone", "a"}, {"gen", "3"}}});
  AddNode({.name = "n2", .labels = {{"zone", "b"}, {"gen", "5"}}});
  AddNode({.name = "n3", .labels = {{"zone", "c"}}});
  StartScheduler();
  struct Case {
    std::string pod;
    json spec;
    std::string want;
  };
  std::vector<Case> cases = {
      {"selector", {{"nodeSelector", {{"zone", "b"}}}}, "n2"},
      {"in", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("zone", "In", {"c"})}}}})}}, "n3"},
      {"notin", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("zone", "NotIn", {"a", "b"})}}}})}}, "n3"},
      {"exists", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("gen", "Exists"), Expr("zone", "NotIn", {"b"})}}}})}}, "n1"},
      {"doesnotexist", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("gen", "DoesNotExist")}}}})}}, "n3"},
      {"gt", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("gen", "Gt", {"4"})}}}})}}, "n2"},
      {"lt", {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("gen", "Lt", {"4"})}}}})}}, "n1"},
      {"terms-ored",
       {{"affinity", NodeAffinity({{{"matchExpressions", {Expr("zone", "In", {"x"})}}},
                                   {{"matchExpressions", {Expr("zone", "In", {"a"})}}}})}},
       "n1"},
      {"selector-and-affinity",
       {{"nodeSelector", {{"zone", "a"}}}, {"affinity", NodeAffinity({{{"matchExpressions", {Expr("gen", "Gt", {"4"})}}}})}},
       ""},
  };
  for (const Case& c : cases) AddPod(c.pod, "", c.spec);
  for (const Case& c : cases) {
    if (c.want.empty()) {
      EXPECT_EQ(WaitRefused(c.pod, "Unschedulable"),
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    } else {
      ASSERT_TRUE(WaitBound(c.pod)) << c.pod;
      EXPECT_EQ(NodeOf(c.pod), c.want) << c.pod;
    }
  }
}

TEST_F(SchedulerTest, MatchFieldsNarrowsTheNodesConsidered) {
  AddNode({.name = "n1"});
  AddNode({.name = "n2"});
  AddNode({.name = "n3"});
  StartScheduler();
  AddPod("pinned", "1", {{"affinity", NodeAffinity(PinTo("n2"))}});
  ASSERT_TRUE(WaitBound("pinned"));
  EXPECT_EQ(NodeOf("pinned"), "n2");
  // n2 is now too small; the other nodes are not considered at all.
  AddPod("pinned-full", "4", {{"affinity", NodeAffinity(PinTo("n2"))}});
  EXPECT_EQ(WaitRefused("pinned-full", "Unschedulable"),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  // Two terms naming nodes: the union; the selector then rules n1 out.
  AddPod("union", "1",
         {{"affinity", NodeAffinity({PinTo("n1")[0], PinTo("n3")[0]})}, {"nodeSelector", {{"kubernetes.io/os", "linux"}}}});
  EXPECT_EQ(WaitRefused("union", "Unschedulable"),
            "0/3 nodes are available: 1 node(s) didn't satisfy plugin(s) [NodeAffinity], 2 node(s) didn't match "
            "Pod's node affinity/selector.");
}

TEST_F(SchedulerTest, TaintsAndTolerations) {
  AddNode({.name = "n1",
           .taints = json::array({{{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}}})});
  AddNode({.name = "n2",
           .taints = json::array({{{"key", "maintenance"}, {"effect", "NoExecute"}},
                                  {{"key", "soft"}, {"effect", "PreferNoSchedule"}}})});
  StartScheduler();
  AddPod("plain", "");
  EXPECT_EQ(WaitRefused("plain", "Unschedulable"),
            "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated "
            "taint {maintenance: }.");
  AddPod("equal", "", {{"tolerations", json::array({{{"key", "dedicated"}, {"operator", "Equal"}, {"value", "gpu"},
                                                     {"effect", "NoSchedule"}}})}});
  ASSERT_TRUE(WaitBound("equal"));
  EXPECT_EQ(NodeOf("equal"), "n1");
  AddPod("wrong-value", "", {{"tolerations", json::array({{{"key", "dedicated"}, {"value", "tpu"}}})}});
  AddPod("exists", "", {{"tolerations", json::array({{{"key", "maintenance"}, {"operator", "Exists"}}})}});
  ASSERT_TRUE(WaitBound("exists"));
  EXPECT_EQ(NodeOf("exists"), "n2");  // PreferNoSchedule does not filter
  EXPECT_EQ(WaitRefused("wrong-value", "Unschedulable"),
            "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated "
            "taint {maintenance: }.");
  AddPod("everything", "", {{"tolerations", json::array({{{"operator", "Exists"}}})}, {"nodeSelector", {{"x", "y"}}}});
  EXPECT_EQ(WaitRefused("everything", "Unschedulable"),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
}

TEST_F(SchedulerTest, CordonedAndNotReadyNodesAndRetryOnNodeChange) {
  AddNode({.name = "n1", .unschedulable = true});
  AddNode({.name = "n2", .ready = false});
  StartScheduler();
  AddPod("p", "1");
  EXPECT_EQ(WaitRefused("p", "Unschedulable"),
            "0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) "
            "were unschedulable.");
  AddPod("tolerates-cordon", "1",
         {{"tolerations", json::array({{{"key", "node.kubernetes.io/unschedulable"}, {"operator", "Exists"},
                                        {"effect", "NoSchedule"}}})}});
  ASSERT_TRUE(WaitBound("tolerates-cordon"));
  EXPECT_EQ(NodeOf("tolerates-cordon"), "n1");
  EXPECT_TRUE(NodeOf("p").empty());
  // The node becomes Ready: the waiting pod is retried on that event.
  SetNodeStatus("n2", {{"cpu", "4"}, {"memory", "16Gi"}, {"pods", "110"}}, true);
  ASSERT_TRUE(WaitBound("p"));
  EXPECT_EQ(NodeOf("p"), "n2");
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));
  EXPECT_FALSE(sched_->LastFailure("default", "p").has_value());  // forgotten once bound
}

TEST_F(SchedulerTest, GatedPodWaitsForItsGateAndOtherSchedulersPodsAreLeftAlone) {
  AddNode({.name = "n1"});
  StartScheduler();
  AddPod("gated", "1", {{"schedulingGates", json::array({{{"name", "phalanx.dev/gang"}}})}});
  AddPod("other", "1", {{"schedulerName", "someone-else"}});
  AddPod("named", "1", {{"schedulerName", "default-scheduler"}});
  ASSERT_TRUE(WaitBound("named"));
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));
  EXPECT_TRUE(NodeOf("gated").empty());
  EXPECT_TRUE(NodeOf("other").empty());
  EXPECT_FALSE(sched_->LastFailure("default", "gated").has_value());
  EXPECT_FALSE(PodScheduled("other").is_object());
  ASSERT_OK(cluster_.Patch(kube::kPods, "default", "gated", kube::PatchType::kJson,
                           R"([{"op":"remove","path":"/spec/schedulingGates"}])")
                .status());
  ASSERT_TRUE(WaitBound("gated"));
  ASSERT_TRUE(sched_->WaitUntilIdle(kWait));
  EXPECT_TRUE(NodeOf("other").empty());
}

TEST_F(SchedulerTest, HigherPriorityFirstThenOlder) {
  AddNode({.name = "n1", .allocatable = {{"cpu", "1"}, {"pods", "10"}}});
  AddPod("low", "1", {{"priority", 10}});
  AddPod("high", "1", {{"priority", 1000}});
  StartScheduler();
  ASSERT_TRUE(WaitBound("high"));
  EXPECT_EQ(WaitRefused("low", "Unschedulable"), "0/1 nodes are available: 1 Insufficient cpu.");
}

TEST_F(SchedulerTest, LeastAllocatedNodeWinsAndTiesGoToTheLowestName) {
  AddNode({.name = "n2"});
  AddNode({.name = "n1"});
  AddNode({.name = "n3", .allocatable = {{"cpu", "8"}, {"memory", "16Gi"}, {"pods", "110"}}});
  StartScheduler();
  AddPod("a", "2");
  ASSERT_TRUE(WaitBound("a"));
  EXPECT_EQ(NodeOf("a"), "n3");  // 6/8 free beats 2/4
  AddPod("c", "1", {{"affinity", NodeAffinity({PinTo("n1")[0], PinTo("n2")[0]})}});
  ASSERT_TRUE(WaitBound("c"));
  EXPECT_EQ(NodeOf("c"), "n1");  // equal scores
}

// ---- extender ------------------------------------------------------------------------------------------

class SchedulerExtenderTest : public SchedulerTest {
 protected:
  SchedulerOptions WithExtender() {
    SchedulerOptions o = Fast();
    o.extender.url_prefix = ext_.prefix();
    return o;
  }
  // The three nodes of the fixtures.
  void AddFixtureNodes() {
    for (const char* n : {"tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"}) AddNode({.name = n});
  }
  std::vector<json> Bodies(const std::string& verb) {
    std::vector<json> out;
    for (const auto& r : ext_.Requests()) {
      if (r.verb == verb) out.push_back(json::parse(r.body));
    }
    return out;
  }
  FakeExtender ext_;
};

std::vector<std::string> Keys(const ordered_json& obj) {
  std::vector<std::string> out;
  for (auto it = obj.begin(); it != obj.end(); ++it) out.push_back(it.key());
  return out;
}

TEST_F(SchedulerExtenderTest, FilterRequestHasTheShapeKubeSchedulerSends) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json& args) { return FakeExtender::Answer{200, AcceptAll(args).dump()}; });
  StartScheduler(WithExtender());
  json mf = json::array({{{"manager", "test"}, {"operation", "Update"}}});
  AddPod("p", "1", json::object(), {{"managedFields", mf}, {"labels", {{"app", "x"}}}});
  ASSERT_TRUE(WaitBound("p"));

  std::vector<FakeExtender::Seen> seen = ext_.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].verb, "filter");
  EXPECT_EQ(seen[0].content_type, "application/json");
  ordered_json ours = ordered_json::parse(seen[0].body);
  ordered_json real = ordered_json::parse(ExtenderFixture("normal.scheduler_filter.request.json"));
  EXPECT_EQ(Keys(ours), Keys(real));  // Pod, Nodes, NodeNames in Go's field order
  EXPECT_TRUE(ours["Nodes"].is_null());
  EXPECT_TRUE(real["Nodes"].is_null());
  ASSERT_TRUE(ours["NodeNames"].is_array());
  EXPECT_EQ(ours["NodeNames"], ordered_json({"tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"}));
  // The pod as the scheduler's informer holds it: no TypeMeta, no managedFields.
  EXPECT_EQ(Keys(ours["Pod"]), Keys(real["Pod"]));
  EXPECT_FALSE(ours["Pod"]["metadata"].contains("managedFields"));
  EXPECT_FALSE(real["Pod"]["metadata"].contains("managedFields"));
  EXPECT_EQ(ours["Pod"]["metadata"]["name"], "p");
  EXPECT_EQ(ours["Pod"]["metadata"]["labels"]["app"], "x");
  EXPECT_FALSE(ours["Pod"]["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ(sched_->Stats().filter_calls, 1);
  EXPECT_EQ(sched_->Stats().prioritize_calls, 0);  // no prioritize verb configured
}

TEST_F(SchedulerExtenderTest, PinnedPodsReachTheExtenderWithOnlyTheirNodes) {
  // As in fixture pinning/ungate-pin: NodeAffinity's PreFilter narrows what the extender sees.
  for (const char* n : {"tpu-a-0", "tpu-a-1", "tpu-b-0", "tpu-b-1"}) AddNode({.name = n});
  ext_.Set([](const std::string&, const json& args) { return FakeExtender::Answer{200, AcceptAll(args).dump()}; });
  StartScheduler(WithExtender());
  AddPod("p", "1", {{"affinity", NodeAffinity({PinTo("tpu-b-0")[0], PinTo("tpu-b-1")[0]})}});
  ASSERT_TRUE(WaitBound("p"));
  json real = json::parse(phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                                          "/pinning/ungate-pin.scheduler_filter.request.json"));
  EXPECT_TRUE(real["Nodes"].is_null());
  std::vector<json> filters = Bodies("filter");
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_TRUE(filters[0]["Nodes"].is_null());
  EXPECT_EQ(ArgNodeNames(filters[0]), (std::vector<std::string>{"tpu-b-0", "tpu-b-1"}));
}

TEST_F(SchedulerExtenderTest, FixtureAnswersAreHonoured) {
  AddFixtureNodes();
  // The fixture's normal answer (lower-camel keys) keeps all three nodes; prioritize favours b-0.
  ext_.Set([](const std::string& verb, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture(absl::StrCat("normal.scheduler_", verb, ".response.json"))};
  });
  SchedulerOptions o = WithExtender();
  o.extender.prioritize_verb = "prioritize";
  StartScheduler(o);
  AddPod("normal", "1");
  ASSERT_TRUE(WaitBound("normal"));
  EXPECT_EQ(NodeOf("normal"), "tpu-node-b-0");
  EXPECT_EQ(sched_->Stats().prioritize_calls, 1);
  std::vector<json> prio = Bodies("prioritize");
  ASSERT_EQ(prio.size(), 1u);
  EXPECT_EQ(ArgNodeNames(prio[0]), (std::vector<std::string>{"tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"}));
}

TEST_F(SchedulerExtenderTest, FailedNodesBecomeTheUnschedulableMessage) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture("case-filter-rejects-all-failednodes.scheduler_filter.response.json")};
  });
  StartScheduler(WithExtender());
  AddPod("busy", "1");
  EXPECT_EQ(WaitRefused("busy", "Unschedulable"), "0/3 nodes are available: 3 extender: TPU slice busy.");
  // The condition has the fields the real scheduler writes (its status as captured in the log file).
  std::string log = ExtenderFixture("scheduler-log-and-events.txt");
  size_t at = log.find("{\"nodeName\":null");
  ASSERT_NE(at, std::string::npos);
  json real = json::parse(log.substr(at, log.find('\n', at) - at))["conditions"][0];
  json ours = PodScheduled("busy");
  std::set<std::string> real_keys, our_keys;
  for (auto it = real.begin(); it != real.end(); ++it) real_keys.insert(it.key());
  for (auto it = ours.begin(); it != ours.end(); ++it) our_keys.insert(it.key());
  EXPECT_EQ(our_keys, real_keys);
  EXPECT_EQ(ours["observedGeneration"], 1);
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture("case-filter-all-unresolvable.scheduler_filter.response.json")};
  });
  AddPod("lacking", "1");
  EXPECT_EQ(WaitRefused("lacking", "Unschedulable"),
            "0/3 nodes are available: 3 extender: node lacks required TPU slice.");
  EXPECT_TRUE(NodeOf("busy").empty());
}

TEST_F(SchedulerExtenderTest, UnknownNodeNameIsASchedulerError) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture("case-filter-unknown-node.scheduler_filter.response.json")};
  });
  StartScheduler(WithExtender());
  AddPod("ghost", "1");
  EXPECT_EQ(WaitRefused("ghost", "SchedulerError"),
            absl::StrCat("extender \"", ext_.prefix(),
                         "\" claims a filtered node \"ghost-node\" which is not found in the input node list"));
  // Faults are retried with backoff without any cluster change.
  ASSERT_TRUE(Scheduler::WaitFor([&] { return sched_->Stats().filter_calls >= 3; }, kWait));
  EXPECT_TRUE(NodeOf("ghost").empty());
  EXPECT_EQ(sched_->LastFailure("default", "ghost")->reason, "SchedulerError");
}

TEST_F(SchedulerExtenderTest, ErrorFieldAndHttp500AreSchedulerErrors) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture("case-filter-error-field.scheduler_filter.response.json")};
  });
  StartScheduler(WithExtender());
  AddPod("error-field", "1");
  EXPECT_EQ(WaitRefused("error-field", "SchedulerError"), "extender filter error: topology service unavailable");
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{500, ExtenderFixture("case-filter-http500.scheduler_filter.response.txt")};
  });
  AddPod("http500", "1");
  EXPECT_EQ(WaitRefused("http500", "SchedulerError"),
            absl::StrCat("failed filter with extender at URL ", ext_.prefix(), "/filter, code 500"));
  // The extender recovers: both pods go through.
  ext_.Set([](const std::string&, const json& args) { return FakeExtender::Answer{200, AcceptAll(args).dump()}; });
  ASSERT_TRUE(WaitBound("error-field"));
  ASSERT_TRUE(WaitBound("http500"));
  EXPECT_GE(sched_->Stats().errors, 2);
}

TEST_F(SchedulerExtenderTest, IgnorableExtenderIsSkippedOnFaults) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json&) { return FakeExtender::Answer{500, "down"}; });
  SchedulerOptions o = WithExtender();
  o.extender.ignorable = true;
  StartScheduler(o);
  AddPod("p", "1");
  ASSERT_TRUE(WaitBound("p"));
  EXPECT_EQ(sched_->Stats().filter_calls, 1);
  // An ignorable extender's answers still count when it gives them.
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{200, ExtenderFixture("case-filter-rejects-all-failednodes.scheduler_filter.response.json")};
  });
  AddPod("q", "1");
  EXPECT_EQ(WaitRefused("q", "Unschedulable"), "0/3 nodes are available: 3 extender: TPU slice busy.");
}

TEST_F(SchedulerExtenderTest, TimeoutIsASchedulerErrorUnlessIgnorable) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json& args) {
    absl::SleepFor(absl::Milliseconds(300));
    return FakeExtender::Answer{200, AcceptAll(args).dump()};
  });
  SchedulerOptions o = WithExtender();
  o.extender.http_timeout = absl::Milliseconds(50);
  StartScheduler(o);
  AddPod("slow", "1");
  std::string msg = WaitRefused("slow", "SchedulerError");
  EXPECT_EQ(msg.rfind(absl::StrCat("failed filter with extender at URL ", ext_.prefix(), "/filter"), 0), 0u) << msg;
  EXPECT_TRUE(NodeOf("slow").empty());
  sched_->Stop();
  o.extender.ignorable = true;
  StartScheduler(o);
  ASSERT_TRUE(WaitBound("slow"));
}

TEST_F(SchedulerExtenderTest, NullNodeNamesFallsBackToNodesAndBothNullMeansNone) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json&) {
    return FakeExtender::Answer{
        200, R"({"Nodes":{"metadata":{},"items":[{"metadata":{"name":"tpu-node-a-1"}}]},"NodeNames":null})"};
  });
  StartScheduler(WithExtender());
  AddPod("fallback", "1");
  ASSERT_TRUE(WaitBound("fallback"));
  EXPECT_EQ(NodeOf("fallback"), "tpu-node-a-1");
  ext_.Set([](const std::string&, const json&) { return FakeExtender::Answer{200, R"({"nodes":null,"nodeNames":null})"}; });
  AddPod("none", "1");
  EXPECT_EQ(WaitRefused("none", "Unschedulable"), "0/3 nodes are available:");
}

TEST_F(SchedulerExtenderTest, PrioritizeScoresAreWeighted) {
  // n-a empty, n-b half full: in-tree least-allocated prefers n-a (90 vs 40 for a 1-cpu pod on 10 cpu).
  json alloc = {{"cpu", "10"}, {"memory", "16Gi"}, {"pods", "110"}};
  AddNode({.name = "n-a", .allocatable = alloc});
  AddNode({.name = "n-b", .allocatable = alloc});
  AddPod("filler", "5", {{"nodeName", "n-b"}});
  ext_.Set([](const std::string& verb, const json& args) {
    if (verb == "filter") return FakeExtender::Answer{200, AcceptAll(args).dump()};
    return FakeExtender::Answer{200, R"([{"host":"n-a","score":0},{"host":"n-b","score":1}])"};
  });
  SchedulerOptions o = WithExtender();
  o.extender.prioritize_verb = "prioritize";
  o.extender.weight = 1;  // n-b: 40 + 1*1*10 = 50 < 90
  StartScheduler(o);
  AddPod("light", "1");
  ASSERT_TRUE(WaitBound("light"));
  EXPECT_EQ(NodeOf("light"), "n-a");
  sched_->Stop();
  o.extender.weight = 10;  // n-b: 40 + 1*10*10 = 140 > 80 (n-a now holds "light")
  StartScheduler(o);
  AddPod("heavy", "1");
  ASSERT_TRUE(WaitBound("heavy"));
  EXPECT_EQ(NodeOf("heavy"), "n-b");
}

TEST_F(SchedulerExtenderTest, OneFeasibleNodeSkipsPrioritize) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json& args) { return FakeExtender::Answer{200, AcceptAll(args).dump()}; });
  SchedulerOptions o = WithExtender();
  o.extender.prioritize_verb = "prioritize";
  StartScheduler(o);
  AddPod("p", "1", {{"affinity", NodeAffinity(PinTo("tpu-node-a-1"))}});
  ASSERT_TRUE(WaitBound("p"));
  EXPECT_EQ(sched_->Stats().filter_calls, 1);
  EXPECT_EQ(sched_->Stats().prioritize_calls, 0);
}

TEST_F(SchedulerExtenderTest, NotNodeCacheCapableSendsWholeNodes) {
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json& args) {
    json items = json::array();
    for (const auto& n : args["Nodes"]["items"]) {
      if (n["metadata"]["name"] == "tpu-node-b-0") items.push_back(n);
    }
    // NodeNames is ignored when the extender is not node-cache-capable.
    json answer = {{"Nodes", {{"metadata", json::object()}, {"items", items}}}, {"NodeNames", {"tpu-node-a-0"}}};
    return FakeExtender::Answer{200, answer.dump()};
  });
  SchedulerOptions o = WithExtender();
  o.extender.node_cache_capable = false;
  StartScheduler(o);
  AddPod("p", "1");
  ASSERT_TRUE(WaitBound("p"));
  EXPECT_EQ(NodeOf("p"), "tpu-node-b-0");
  std::vector<FakeExtender::Seen> seen = ext_.Requests();
  ASSERT_EQ(seen.size(), 1u);
  ordered_json args = ordered_json::parse(seen[0].body);
  EXPECT_EQ(Keys(args), (std::vector<std::string>{"Pod", "Nodes", "NodeNames"}));
  EXPECT_TRUE(args["NodeNames"].is_null());
  EXPECT_EQ(Keys(args["Nodes"]), (std::vector<std::string>{"metadata", "items"}));
  EXPECT_TRUE(args["Nodes"]["metadata"].empty());
  ASSERT_EQ(args["Nodes"]["items"].size(), 3u);
  for (const auto& n : args["Nodes"]["items"]) {
    EXPECT_FALSE(n.contains("kind"));
    EXPECT_EQ(n["status"]["allocatable"]["cpu"], "4");  // whole objects, status included
    EXPECT_EQ(n["status"]["conditions"][0]["type"], "Ready");
  }
}

TEST_F(SchedulerExtenderTest, PercentageOfNodesToScoreCapsTheSearch) {
  for (int i = 0; i < 200; ++i) AddNode({.name = absl::StrCat("n", 1000 + i)});
  ext_.Set([](const std::string&, const json& args) { return FakeExtender::Answer{200, AcceptAll(args).dump()}; });
  SchedulerOptions o = WithExtender();
  o.percentage_of_nodes_to_score = 10;  // 20 nodes, raised to kube-scheduler's floor of 100
  StartScheduler(o);
  AddPod("capped", "1");
  ASSERT_TRUE(WaitBound("capped"));
  sched_->Stop();
  StartScheduler(WithExtender());  // 100 %: every node
  AddPod("all", "1");
  ASSERT_TRUE(WaitBound("all"));
  std::vector<json> filters = Bodies("filter");
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(ArgNodeNames(filters[0]).size(), 100u);
  EXPECT_EQ(ArgNodeNames(filters[1]).size(), 200u);
}

TEST_F(SchedulerExtenderTest, WorksOverHttpAgainstTheMemoryApiServer) {
  kube::MemoryApiServer server(cluster_);
  ASSERT_OK(server.Start());
  auto client = kube::HttpClient::Create(kube::RestConfig{.server = server.url()});
  ASSERT_OK(client.status());
  AddFixtureNodes();
  ext_.Set([](const std::string&, const json& args) {
    json answer = AcceptAll(args);
    answer["nodeNames"] = {"tpu-node-a-1"};
    return FakeExtender::Answer{200, answer.dump()};
  });
  Scheduler sched(**client, WithExtender());
  Kubelet kubelet(**client);
  sched.Start();
  kubelet.Start();
  AddPod("p", "1");
  AddPod("never", "100");
  ASSERT_TRUE(Scheduler::WaitFor(
      [&] { return NodeOf("p") == "tpu-node-a-1" && Pod("p")["status"].value("phase", "") == "Running"; }, kWait));
  EXPECT_EQ(WaitRefused("never", "Unschedulable"), "0/3 nodes are available: 3 Insufficient cpu.");
  ASSERT_TRUE(sched.WaitUntilIdle(kWait));
  EXPECT_EQ(sched.Stats().binds, 1);
  sched.Stop();
  kubelet.Stop();
  server.Stop();
}

// ---- with the Job controller and the kubelet ------------------------------------------------------------

TEST_F(SchedulerTest, JobPodsAreScheduledThenRunByTheKubelet) {
  AddNode({.name = "n1"});
  AddNode({.name = "n2"});
  StartScheduler();
  Kubelet kubelet(cluster_);
  kubelet.Start();
  JobController jobs(cluster_, JobControllerOptions{.run_pods_without_scheduler = false});
  jobs.Start();
  json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", "train"}, {"namespace", "default"}}},
              {"spec",
               {{"parallelism", 2},
                {"completions", 2},
                {"completionMode", "Indexed"},
                {"template",
                 {{"spec",
                   {{"restartPolicy", "Never"},
                    {"containers", json::array({{{"name", "w"}, {"image", "x"},
                                                 {"resources", {{"requests", {{"cpu", "3"}}}}}}})}}}}}}}};
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", job.dump()).status());
  auto pods = [&] {
    std::map<std::string, std::string> node_by_pod;
    auto list = cluster_.List(kube::kPods, "default", {.label_selector = "batch.kubernetes.io/job-name=train"});
    if (!list.ok()) return node_by_pod;
    for (const auto& o : list->items) {
      json p = json::parse(o.json);
      if (p["status"].value("phase", "") != "Running") continue;
      node_by_pod[o.meta.name] = p["spec"].value("nodeName", "");
    }
    return node_by_pod;
  };
  ASSERT_TRUE(Scheduler::WaitFor([&] { return pods().size() == 2; }, kWait));
  std::set<std::string> nodes;
  for (const auto& [pod, node] : pods()) nodes.insert(node);
  EXPECT_EQ(nodes, (std::set<std::string>{"n1", "n2"}));  // 3 cpu each: one per node
  ASSERT_TRUE(Scheduler::WaitFor(
      [&] {
        auto got = cluster_.Get(kube::kJobs, "default", "train");
        return got.ok() && json::parse(got->json)["status"].value("ready", 0) == 2;
      },
      kWait));
  ASSERT_OK(jobs.SucceedIndex("default", "train", 0));
  ASSERT_OK(jobs.SucceedIndex("default", "train", 1));
  ASSERT_TRUE(Scheduler::WaitFor(
      [&] {
        auto got = cluster_.Get(kube::kJobs, "default", "train");
        return got.ok() && json::parse(got->json)["status"].value("succeeded", 0) == 2;
      },
      kWait));
  EXPECT_TRUE(Scheduler::WaitFor([&] { return kubelet.PodsStarted() == 2; }, kWait));
  jobs.Stop();
  kubelet.Stop();
}

// ---- stepped mode (the simulator's driver): no threads, a virtual clock ---------------------------

namespace stepped {

// A cluster and a scheduler stepped on one virtual clock.
struct SteppedWorld {
  explicit SteppedWorld(SchedulerOptions o = {}, uint64_t seed = 1)
      : cluster(kube::MemoryClusterOptions{.clock = &clock, .seed = seed}) {
    o.clock = &clock;
    sched = std::make_unique<Scheduler>(cluster, std::move(o));
  }
  void Node(const std::string& name, const std::string& cpu = "4") {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}, {"spec", json::object()}};
    ASSERT_OK(cluster.Create(kube::kNodes, "", node.dump()).status());
    json alloc = {{"cpu", cpu}, {"memory", "16Gi"}, {"pods", "110"}};
    json status = {{"status",
                    {{"allocatable", alloc}, {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
    ASSERT_OK(cluster.Patch(kube::kNodesStatus, "", name, kube::PatchType::kMerge, status.dump()).status());
  }
  void Pod(const std::string& name, const std::string& cpu, json spec = json::object()) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"containers",
                   json::array({{{"name", "c"},
                                 {"image", "example.invalid/w:1"},
                                 {"resources", {{"requests", {{"cpu", cpu}}}}}}})}}}};
    for (auto it = spec.begin(); it != spec.end(); ++it) pod["spec"][it.key()] = it.value();
    ASSERT_OK(cluster.Create(kube::kPods, "default", pod.dump()).status());
  }
  json Get(const std::string& name) {
    auto got = cluster.Get(kube::kPods, "default", name);
    return got.ok() ? json::parse(got->json) : json();
  }
  std::string NodeOf(const std::string& name) {
    json p = Get(name);
    return p.is_object() ? p["spec"].value("nodeName", "") : "";
  }
  void SetPhase(const std::string& name, const std::string& phase) {
    json patch = {{"status", {{"phase", phase}}}};
    ASSERT_OK(cluster.Patch(kube::kPodsStatus, "default", name, kube::PatchType::kMerge, patch.dump()).status());
  }
  // Steps until nothing changes (bounded: a livelock fails instead of hanging).
  void Settle() {
    for (int i = 0; i < 50; ++i) {
      if (!sched->Step()) return;
    }
    ADD_FAILURE() << "Scheduler::Step() still making progress after 50 calls";
  }

  kube::testing::FakeClock clock;
  kube::MemoryCluster cluster;
  std::unique_ptr<Scheduler> sched;
};

TEST(SteppedSchedulerTest, IdenticalClustersGiveIdenticalBindings) {
  auto run = [](std::map<std::string, std::string>* out) {
    SteppedWorld w;
    for (int i = 0; i < 6; ++i) w.Node(absl::StrCat("n", i), i % 2 == 0 ? "4" : "8");
    for (int i = 0; i < 20; ++i) {
      json spec = json::object();
      if (i % 3 == 0) spec["priority"] = 100 + i;
      if (i % 5 == 0) spec["affinity"] = NodeAffinity(PinTo(absl::StrCat("n", i % 6)));
      w.Pod(absl::StrCat("p", i), i % 4 == 0 ? "2" : "1", spec);
    }
    w.Settle();
    *out = w.sched->Bindings();
  };
  std::map<std::string, std::string> a, b;
  run(&a);
  run(&b);
  EXPECT_EQ(a.size(), 20u);  // 25 cpu asked of 36
  EXPECT_EQ(a, b);
  std::set<std::string> nodes;
  for (const auto& [pod, node] : a) nodes.insert(node);
  EXPECT_GT(nodes.size(), 1u) << "pods spread by least-allocated scoring";
}

TEST(SteppedSchedulerTest, InProcessTransportGetsTheHttpBodyAndItsAnswerIsHonoured) {
  std::vector<std::pair<std::string, std::string>> calls;
  SchedulerOptions o;
  o.extender.url_prefix = "inproc://extender";
  o.extender.prioritize_verb = "prioritize";
  o.extender.transport = [&](const std::string& verb, const std::string& body) -> absl::StatusOr<std::string> {
    calls.push_back({verb, body});
    if (verb == "prioritize") return std::string(R"([{"Host":"b","Score":10},{"Host":"c","Score":1}])");
    json answer = {{"NodeNames", {"b", "c"}}, {"FailedNodes", {{"a", "extender: slice busy"}}}, {"Error", ""}};
    return answer.dump();
  };
  SteppedWorld w(o);
  for (const char* n : {"a", "b", "c"}) w.Node(n);
  w.Pod("p", "1");
  w.Settle();
  EXPECT_EQ(w.NodeOf("p"), "b");  // the extender's prioritize score decides between b and c
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, "filter");
  ordered_json args = ordered_json::parse(calls[0].second);
  EXPECT_EQ(Keys(args), (std::vector<std::string>{"Pod", "Nodes", "NodeNames"}));
  EXPECT_TRUE(args["Nodes"].is_null());
  EXPECT_EQ(args["NodeNames"], ordered_json({"a", "b", "c"}));
  EXPECT_EQ(args["Pod"]["metadata"]["name"], "p");
  EXPECT_FALSE(args["Pod"].contains("kind"));
  EXPECT_EQ(calls[1].first, "prioritize");
  EXPECT_EQ(ordered_json::parse(calls[1].second)["NodeNames"], ordered_json({"b", "c"}));
  EXPECT_EQ(w.sched->Stats().filter_calls, 1);
  EXPECT_EQ(w.sched->Stats().prioritize_calls, 1);
}

TEST(SteppedSchedulerTest, TransportFaultsBackOffOnTheVirtualClock) {
  bool down = true;
  SchedulerOptions o;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(10);
  o.extender.url_prefix = "inproc://extender";
  o.extender.transport = [&](const std::string&, const std::string& body) -> absl::StatusOr<std::string> {
    if (down) return absl::UnavailableError("extender process not running");
    return AcceptAll(json::parse(body)).dump();
  };
  SteppedWorld w(o);
  w.Node("n1");
  w.Pod("p", "1");
  const absl::Time t0 = w.clock.Now();
  w.Settle();
  EXPECT_TRUE(w.NodeOf("p").empty());
  ASSERT_TRUE(w.sched->LastFailure("default", "p").has_value());
  EXPECT_EQ(w.sched->LastFailure("default", "p")->reason, "SchedulerError");
  EXPECT_EQ(w.sched->LastFailure("default", "p")->message,
            "failed filter with extender at URL inproc://extender/filter: extender process not running");
  EXPECT_EQ(w.sched->Stats().attempts, 1);
  EXPECT_EQ(w.sched->NextWakeup(), t0 + absl::Seconds(1));
  // Nothing happens before the backoff is over, whatever the wall clock does.
  w.clock.Advance(absl::Milliseconds(999));
  EXPECT_FALSE(w.sched->Step());
  EXPECT_EQ(w.sched->Stats().attempts, 1);
  // Then one attempt per backoff, doubling: 1 s, 2 s, 4 s.
  w.clock.Advance(absl::Milliseconds(1));
  w.Settle();
  EXPECT_EQ(w.sched->Stats().attempts, 2);
  EXPECT_EQ(w.sched->NextWakeup(), t0 + absl::Seconds(3));
  w.clock.Advance(absl::Seconds(2));
  w.Settle();
  EXPECT_EQ(w.sched->Stats().attempts, 3);
  EXPECT_EQ(w.sched->NextWakeup(), t0 + absl::Seconds(7));
  json cond;
  const json pod = w.Get("p");
  for (const auto& c : pod["status"]["conditions"]) {
    if (c["type"] == "PodScheduled") cond = c;
  }
  EXPECT_EQ(cond["lastTransitionTime"], kube::FormatTime(t0)) << "a transition time from the virtual clock, kept";
  down = false;
  w.clock.Advance(absl::Seconds(4));
  w.Settle();
  EXPECT_EQ(w.NodeOf("p"), "n1");
  EXPECT_EQ(w.sched->NextWakeup(), absl::InfiniteFuture());
}

TEST(SteppedSchedulerTest, UnschedulablePodWaitsForAChangeThenItsBackoff) {
  SchedulerOptions o;
  o.initial_backoff = absl::Seconds(1);
  SteppedWorld w(o);
  w.Node("n1", "4");
  w.Pod("first", "3", {{"affinity", NodeAffinity(PinTo("n1"))}});
  w.Settle();
  ASSERT_EQ(w.NodeOf("first"), "n1");
  w.Pod("second", "3", {{"affinity", NodeAffinity(PinTo("n1"))}});
  w.Settle();
  EXPECT_TRUE(w.NodeOf("second").empty());
  EXPECT_EQ(w.sched->LastUnschedulableMessage("default", "second"), "0/1 nodes are available: 1 Insufficient cpu.");
  // Parked: no time makes it due, only a change.
  EXPECT_EQ(w.sched->NextWakeup(), absl::InfiniteFuture());
  w.clock.Advance(absl::Minutes(5));
  EXPECT_FALSE(w.sched->Step());
  // The first pod finishes: its cpu is given back (the per-node totals are kept by the pod handler).
  w.SetPhase("first", "Succeeded");
  w.Settle();
  EXPECT_EQ(w.NodeOf("second"), "n1");
  EXPECT_EQ(w.sched->Stats().attempts, 3);
}

TEST(SteppedSchedulerTest, PinnedPodsMessageCountsTheNodesLeftOut) {
  SteppedWorld w;
  for (int i = 0; i < 5; ++i) w.Node(absl::StrCat("n", i), "1");
  w.Pod("big", "2", {{"affinity", NodeAffinity({PinTo("n1")[0], PinTo("n2")[0]})}});
  w.Settle();
  EXPECT_EQ(w.sched->LastUnschedulableMessage("default", "big"),
            "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
}

TEST(SteppedSchedulerTest, PodRefusedForResourcesWaitsForResourcesNotForOtherBindings) {
  SteppedWorld w;
  w.Node("n1", "4");
  w.Node("n2", "4");
  w.Pod("big", "3", {{"affinity", NodeAffinity(PinTo("n1"))}});
  w.Settle();
  w.Pod("second", "3", {{"affinity", NodeAffinity(PinTo("n1"))}});
  w.Settle();
  ASSERT_TRUE(w.NodeOf("second").empty());
  EXPECT_EQ(w.sched->Stats().attempts, 2);
  w.clock.Advance(absl::Minutes(1));  // its backoff is long over
  // Another pod being bound cannot give n1 cpu back: "second" is not looked at again.
  w.Pod("other", "1", {{"affinity", NodeAffinity(PinTo("n2"))}});
  w.Settle();
  EXPECT_EQ(w.NodeOf("other"), "n2");
  EXPECT_EQ(w.sched->Stats().attempts, 3);
  EXPECT_EQ(w.sched->NextWakeup(), absl::InfiniteFuture());
  // A pod going away does.
  ASSERT_OK(w.cluster.Delete(kube::kPods, "default", "big"));
  w.Settle();
  EXPECT_EQ(w.NodeOf("second"), "n1");
  EXPECT_EQ(w.sched->Stats().attempts, 4);
}

TEST(SteppedSchedulerTest, PodRefusedByTheExtenderIsRetriedAfterAnyPodChange) {
  SchedulerOptions o;
  o.extender.url_prefix = "inproc://extender";
  o.extender.transport = [](const std::string&, const std::string& body) -> absl::StatusOr<std::string> {
    json args = json::parse(body);
    if (args["Pod"]["metadata"]["name"] == "refused") {
      return json({{"NodeNames", json::array()}, {"FailedNodes", {{"n1", "gang incomplete"}}}}).dump();
    }
    return AcceptAll(args).dump();
  };
  SteppedWorld w(o);
  w.Node("n1");
  w.Pod("refused", "1");
  w.Settle();
  EXPECT_EQ(w.sched->LastUnschedulableMessage("default", "refused"), "0/1 nodes are available: 1 gang incomplete.");
  EXPECT_EQ(w.sched->NextWakeup(), absl::InfiniteFuture());
  const absl::Time bound_at = w.clock.Now();
  w.Pod("accepted", "1");
  w.Settle();
  EXPECT_EQ(w.NodeOf("accepted"), "n1");
  // The extender's verdict may depend on other pods: the binding makes "refused" due after its backoff.
  EXPECT_EQ(w.sched->NextWakeup(), bound_at + absl::Seconds(1));
}

}  // namespace stepped

}  // namespace
}  // namespace phalanx::sim
