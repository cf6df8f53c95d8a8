// End to end for issue 12, as processes over HTTP on phalanx-memory-apiserver's MemoryApiServer: the
// real phalanx-webhook (called over HTTPS), phalanx-controller and phalanx-extender binaries, emulated
// kube-schedulers (sim::Scheduler, inter-pod affinity as sim/pod_affinity.h models it), the emulated Job
// controller and kubelet.
//  - upstream mode without an extender: the same exclusive JobSet lands one Job per pool through
//    upstream's leader affinity, follower nodeSelector and follower refusals;
//  - managed-cluster layout: a second scheduler with the extender, fencing on, the default scheduler
//    beside it — its pods never land in a reserved pool; taints go on release and after a restart only
//    reserved pools stay fenced;
//  - no planner: one PlannerUnavailable Event per JobSet.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/defaulting.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "gtest/gtest.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"
#include "kube/remote_admission.h"
#include "nlohmann/json.hpp"
#include "sim/job_controller.h"
#include "sim/kubelet.h"
#include "sim/scheduler.h"
#include "tests/scheduler-extender/test_objects.h"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using Json = nlohmann::json;
using testing::kPoolKey;

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(60)) {
  return sim::Scheduler::WaitFor(pred, timeout);
}

class Binary {
 public:
  Binary(const std::string& path, std::vector<std::string> args) {
    args.insert(args.begin(), phalanx::testing::BinaryDir() + path);
    child_ = std::make_unique<phalanx::testing::ChildProcess>(args);
  }
  std::string ReadLine() { return child_->ReadLine(std::chrono::seconds(60)); }
  void Kill() {
    ::kill(child_->pid(), SIGKILL);
    child_.reset();
  }
  int Terminate() { return child_->Terminate(); }

 private:
  std::unique_ptr<phalanx::testing::ChildProcess> child_;
};

struct Layout {
  bool upstream = false;       // --exclusive-placement=upstream on webhook and controller, no extender
  bool extender = false;       // phalanx-extender behind a second scheduler "phalanx-scheduler"
  bool fence = false;          // --fence-reserved-domains and --scheduler-name=phalanx-scheduler
  bool planner_check = false;  // the webhook's planner check (grace 0)
  int pools = 4;
  int nodes_per_pool = 2;
};

class System {
 public:
  explicit System(Layout layout) : layout_(layout), server_(cluster_) {
    char dir[] = "/tmp/phalanx-e2e12-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    EXPECT_OK(server_.Start(0));
    kubeconfig_ = dir_ + "/kubeconfig";
    std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                               << server_.url()
                               << "\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: x\n  context:\n"
                                  "    cluster: c\n    user: u\n    namespace: default\ncurrent-context: x\n";
    for (const Json& n : testing::Pools(layout_.pools, layout_.nodes_per_pool)) AddNode(n);
    StartWebhook();
    sim::JobControllerOptions jo;
    jo.run_pods_without_scheduler = false;
    jobs_ = std::make_unique<sim::JobController>(cluster_, jo);
    jobs_->Start();
    kubelet_ = std::make_unique<sim::Kubelet>(cluster_);
    kubelet_->Start();
    std::vector<std::string> controller_flags = {"--kubeconfig=" + kubeconfig_,
                                                 "--health-probe-bind-address=127.0.0.1:0", "--metrics-bind-address=0"};
    if (layout_.upstream) controller_flags.push_back("--exclusive-placement=upstream");
    controller_ = std::make_unique<Binary>("/controller/phalanx-controller", controller_flags);
    controller_->ReadLine();
    if (layout_.extender) StartExtender();
    absl::StatusOr<kube::RestConfig> rc = kube::LoadKubeconfig(kubeconfig_);
    EXPECT_OK(rc.status());
    rc->qps = 1000;
    rc->burst = 1000;
    client_ = *kube::HttpClient::Create(*rc);
    // The cluster's own scheduler: no extender (a managed control plane's), or none needed (upstream).
    sim::SchedulerOptions so;
    so.initial_backoff = absl::Milliseconds(100);
    so.max_backoff = absl::Milliseconds(500);
    default_scheduler_ = std::make_unique<sim::Scheduler>(*client_, so);
    default_scheduler_->Start();
    if (layout_.extender) {
      sim::SchedulerOptions po = so;
      po.scheduler_name = "phalanx-scheduler";
      po.extender.url_prefix = absl::StrCat("http://127.0.0.1:", extender_port_, "/scheduler");
      po.extender.prioritize_verb = "prioritize";
      phalanx_scheduler_ = std::make_unique<sim::Scheduler>(*client_, po);
      phalanx_scheduler_->Start();
    }
  }

  ~System() {
    if (phalanx_scheduler_) phalanx_scheduler_->Stop();
    default_scheduler_->Stop();
    if (extender_) extender_->Terminate();
    controller_->Terminate();
    kubelet_->Stop();
    jobs_->Stop();
    if (webhook_) webhook_->Terminate();
    server_.Stop();
    std::filesystem::remove_all(dir_);
  }

  void StartExtender() {
    std::vector<std::string> flags = {"--kubeconfig=" + kubeconfig_, absl::StrCat("--port=", extender_port_),
                                      "--bind-address=127.0.0.1", "--url-prefix=/scheduler"};
    if (layout_.fence) flags.push_back("--fence-reserved-domains");
    extender_ = std::make_unique<Binary>("/scheduler-extender/phalanx-extender", flags);
    const std::string line = extender_->ReadLine();
    EXPECT_TRUE(absl::StartsWith(line, "listening on 127.0.0.1:")) << line;
    int port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << line;
    if (extender_port_ == 0) extender_port_ = port;
    EXPECT_EQ(port, extender_port_);
  }
  void KillExtender() { extender_->Kill(); }

  kube::MemoryCluster& cluster() { return cluster_; }
  sim::JobController& jobs() { return *jobs_; }

  void AddNode(const Json& node) {
    Json spec = node;
    spec.erase("status");
    ASSERT_OK(cluster_.Create(kube::kNodes, "", spec.dump()).status());
    ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", node["metadata"]["name"].get<std::string>(), kube::PatchType::kMerge,
                             Json{{"status", node["status"]}}.dump())
                  .status());
  }

  // Creates a JobSet (defaulted as the webhook would). Its pods carry spec.priority 0: the Priority
  // admission plugin fills it on a real API server, and upstream's anti-affinity term names it.
  std::string Create(Json js) {
    for (Json& rj : js["spec"]["replicatedJobs"]) rj["template"]["spec"]["template"]["spec"]["priority"] = 0;
    absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(js.dump());
    EXPECT_OK(decoded.status());
    if (!decoded.ok()) return "";
    api::ApplySchemaDefaults(*decoded);
    api::DefaultJobSet(*decoded);
    absl::StatusOr<kube::Object> created = cluster_.Create(kube::kJobSets, "default", api::EncodeJobSet(*decoded));
    EXPECT_OK(created.status());
    return created.ok() ? created->meta.uid : "";
  }

  std::vector<Json> Pods(const std::string& selector) {
    std::vector<Json> out;
    kube::ListOptions lo;
    lo.label_selector = selector;
    absl::StatusOr<kube::ObjectList> list = cluster_.List(kube::kPods, "", lo);
    if (!list.ok()) return out;
    for (const kube::Object& o : list->items) out.push_back(Json::parse(o.json));
    return out;
  }

  // Job name → the one pool all its Running pods are on ("" if spread); only when `jobs` Jobs each
  // run `pods_per_job` pods.
  std::map<std::string, std::string> JobPools(const std::string& jobset, int jobs, int pods_per_job) {
    std::map<std::string, std::set<std::string>> pools;
    std::map<std::string, int> running;
    for (const Json& p : Pods(std::string(api::kJobSetNameKey) + "=" + jobset)) {
      const std::string node = p["spec"].value("nodeName", "");
      if (p["status"].value("phase", "") != "Running" || node.empty()) continue;
      const std::string job = p["metadata"]["labels"].value("batch.kubernetes.io/job-name", "");
      pools[job].insert(PoolOf(node));
      ++running[job];
    }
    std::map<std::string, std::string> out;
    if (static_cast<int>(running.size()) != jobs) return {};
    for (const auto& [job, n] : running) {
      if (n != pods_per_job) return {};
      out[job] = pools[job].size() == 1 ? *pools[job].begin() : "";
    }
    return out;
  }

  static std::string PoolOf(const std::string& node) {
    const size_t a = node.find('-'), b = node.rfind('-');
    return absl::StrCat("pool-", node.substr(a + 1, b - a - 1));
  }

  // Node → the value of its phalanx.dev/reserved taint ("" = none).
  std::map<std::string, std::string> Fences() {
    std::map<std::string, std::string> out;
    absl::StatusOr<kube::ObjectList> nodes = cluster_.List(kube::kNodes, "", {});
    if (!nodes.ok()) return out;
    for (const kube::Object& o : nodes->items) {
      Json n = Json::parse(o.json);
      out[o.meta.name] = "";
      for (const Json& t : n["spec"].value("taints", Json::array())) {
        if (t.value("key", "") == "phalanx.dev/reserved") out[o.meta.name] = t.value("value", "");
      }
    }
    return out;
  }
  // Pools whose every node is fenced with `value`, and the set of all fenced pools.
  std::set<std::string> FencedPools(const std::string& value = "") {
    std::set<std::string> out;
    for (const auto& [node, v] : Fences()) {
      if (!v.empty() && (value.empty() || v == value)) out.insert(PoolOf(node));
    }
    return out;
  }

  // One line per pod of `jobset` (for failure messages).
  std::string Describe(const std::string& jobset) {
    std::string out;
    for (const Json& p : Pods(std::string(api::kJobSetNameKey) + "=" + jobset)) {
      absl::StrAppend(&out, p["metadata"].value("name", ""), " node=", p["spec"].value("nodeName", ""),
                      " phase=", p["status"].value("phase", ""), " gates=", p["spec"].value("schedulingGates", Json()).dump(),
                      " selector=", p["spec"].value("nodeSelector", Json()).dump(),
                      " labels=", p["metadata"].value("labels", Json()).dump(), " priority=", p["spec"].value("priority", Json()).dump(),
                      " affinity=", p["spec"].value("affinity", Json()).dump(),
                      " conditions=", p["status"].value("conditions", Json()).dump(), "\n");
    }
    absl::StatusOr<kube::ObjectList> jobs = cluster_.List(kube::kJobs, "default", {});
    if (jobs.ok()) {
      for (const kube::Object& j : jobs->items) absl::StrAppend(&out, "job ", j.meta.name, " ", Json::parse(j.json)["status"].dump(), "\n");
    }
    return out;
  }

  std::vector<std::string> Events(const std::string& jobset, const std::string& reason) {
    std::vector<std::string> out;
    absl::StatusOr<kube::ObjectList> list = cluster_.List(kube::kEvents, "default", {});
    if (!list.ok()) return out;
    for (const kube::Object& o : list->items) {
      Json e = Json::parse(o.json);
      if (e.value("reason", "") == reason && e["regarding"].value("name", "") == jobset) out.push_back(e.value("note", ""));
    }
    return out;
  }

 private:
  void StartWebhook() {
    const std::string certs = dir_ + "/certs";
    const std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", certs,
                                         " --ip 127.0.0.1 --dns localhost >/dev/null 2>&1");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::vector<std::string> flags = {"--tls-cert-file=" + certs + "/tls.crt", "--tls-private-key-file=" + certs + "/tls.key",
                                      "--port=0", "--bind-address=127.0.0.1", "--health-probe-bind-address=0",
                                      "--kubeconfig=" + kubeconfig_};
    if (layout_.upstream) flags.push_back("--exclusive-placement=upstream");
    if (layout_.fence) flags.push_back("--scheduler-name=phalanx-scheduler");
    if (layout_.planner_check) {
      flags.push_back("--planner-grace=0");
    } else {
      flags.push_back("--planner-check=false");
    }
    webhook_ = std::make_unique<Binary>("/webhook/phalanx-webhook", flags);
    const std::string line = webhook_->ReadLine();
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << line;
    std::vector<kube::RemoteAdmissionOptions> hooks =
        kube::PhalanxWebhooks(absl::StrCat("https://127.0.0.1:", port), certs + "/ca.crt");
    // components/upstream-exclusive: the pod validating webhook fails closed, as upstream's.
    for (auto& h : hooks) {
      if (layout_.upstream && h.name == "vpod.phalanx.dev") h.failure_policy = kube::RemoteAdmissionOptions::FailurePolicy::kFail;
    }
    ASSERT_OK(kube::AddRemoteAdmissionHooks(cluster_, hooks));
  }

  Layout layout_;
  std::string dir_;
  std::string kubeconfig_;
  kube::MemoryCluster cluster_;
  kube::MemoryApiServer server_;
  std::unique_ptr<Binary> webhook_;
  std::unique_ptr<sim::JobController> jobs_;
  std::unique_ptr<sim::Kubelet> kubelet_;
  std::unique_ptr<Binary> controller_;
  std::unique_ptr<Binary> extender_;
  int extender_port_ = 0;
  std::unique_ptr<kube::HttpClient> client_;
  std::unique_ptr<sim::Scheduler> default_scheduler_;
  std::unique_ptr<sim::Scheduler> phalanx_scheduler_;
};

// Each Job whole on one pool, no pool shared.
std::map<std::string, std::string> ExpectOnePoolPerJob(System& sys, const std::string& jobset, int jobs, int pods) {
  std::map<std::string, std::string> pools;
  EXPECT_TRUE(WaitFor([&] {
    pools = sys.JobPools(jobset, jobs, pods);
    return !pools.empty();
  })) << "pods never all ran:\n" << sys.Describe(jobset);
  std::set<std::string> distinct;
  for (const auto& [job, pool] : pools) {
    EXPECT_NE(pool, "") << job << " is spread over several pools";
    distinct.insert(pool);
  }
  EXPECT_EQ(distinct.size(), pools.size()) << "a pool is shared";
  return pools;
}

TEST(ExclusivePlacementEndToEndTest, UpstreamModeWithoutAnExtender) {
  System sys({.upstream = true, .pools = 6, .nodes_per_pool = 2});
  sys.Create(testing::JobSet("train", {{"workers", 3, 2}}));
  std::map<std::string, std::string> pools = ExpectOnePoolPerJob(sys, "train", 3, 2);
  ASSERT_EQ(pools.size(), 3u);
  for (const Json& p : sys.Pods(std::string(api::kJobSetNameKey) + "=train")) {
    const std::string name = p["metadata"]["name"];
    SCOPED_TRACE(name);
    EXPECT_FALSE(p["spec"].contains("schedulingGates") && !p["spec"]["schedulingGates"].empty());  // upstream: no gates
    const std::string job = p["metadata"]["labels"]["batch.kubernetes.io/job-name"];
    if (p["metadata"]["annotations"].value(std::string(api::kJobCompletionIndexKey), "") == "0") {
      // Leader: upstream's two terms.
      EXPECT_EQ(p["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"],
                kPoolKey);
      EXPECT_EQ(p["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].size(), 1u);
    } else {
      // Follower: the leader's pool as nodeSelector.
      EXPECT_EQ(p["spec"]["nodeSelector"].value(kPoolKey, ""), pools[job]);
      EXPECT_FALSE(p["spec"].contains("affinity"));
    }
  }
}

TEST(ExclusivePlacementEndToEndTest, FencingKeepsDefaultSchedulerPodsOutOfReservedPools) {
  System sys({.extender = true, .fence = true, .pools = 4, .nodes_per_pool = 2});
  const std::string uid = sys.Create(testing::JobSet("train", {{"workers", 2, 2}}));
  std::map<std::string, std::string> pools = ExpectOnePoolPerJob(sys, "train", 2, 2);
  std::set<std::string> reserved;
  for (const auto& [job, pool] : pools) reserved.insert(pool);
  ASSERT_EQ(reserved.size(), 2u);
  // Exactly the reserved pools are fenced, for this JobSet; members went to the Phalanx profile and
  // tolerate their fence.
  EXPECT_EQ(sys.FencedPools(), reserved);
  EXPECT_EQ(sys.FencedPools(uid), reserved);
  for (const Json& p : sys.Pods(std::string(api::kJobSetNameKey) + "=train")) {
    EXPECT_EQ(p["spec"]["schedulerName"], "phalanx-scheduler");
    bool tolerates = false;
    for (const Json& t : p["spec"].value("tolerations", Json::array())) {
      tolerates = tolerates || (t.value("key", "") == "phalanx.dev/reserved" && t.value("value", "") == uid);
    }
    EXPECT_TRUE(tolerates) << p["metadata"]["name"];
  }

  // Eight pods of the default scheduler (no extender call): by free CPU the reserved nodes are as
  // attractive as any, yet none lands there.
  for (int i = 0; i < 8; ++i) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", absl::StrCat("web-", i)}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}, {"resources", {{"requests", {{"cpu", "1"}}}}}}}}}}};
    ASSERT_OK(sys.cluster().Create(kube::kPods, "default", pod.dump()).status());
  }
  ASSERT_TRUE(WaitFor([&] {
    std::vector<Json> web = sys.Pods("app=web");
    return web.size() == 8u && std::all_of(web.begin(), web.end(), [](const Json& p) {
             return !p["spec"].value("nodeName", "").empty();
           });
  })) << "web pods never all bound";
  for (const Json& p : sys.Pods("app=web")) {
    EXPECT_FALSE(reserved.contains(System::PoolOf(p["spec"]["nodeName"]))) << p["metadata"]["name"] << " on "
                                                                            << p["spec"]["nodeName"];
  }

  // The JobSet completes: its reservation is released and the fence goes.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WaitFor([&] { return sys.jobs().SucceedJob("default", absl::StrCat("train-workers-", i)).ok(); }));
  }
  EXPECT_TRUE(WaitFor([&] { return sys.FencedPools().empty(); })) << "fence left after release";
}

TEST(ExclusivePlacementEndToEndTest, AfterAnExtenderRestartOnlyReservedPoolsStayFenced) {
  System sys({.extender = true, .fence = true, .pools = 4, .nodes_per_pool = 2});
  const std::string first_uid = sys.Create(testing::JobSet("first", {{"workers", 2, 2}}));
  ExpectOnePoolPerJob(sys, "first", 2, 2);
  ASSERT_EQ(sys.FencedPools(first_uid).size(), 2u);
  sys.KillExtender();
  // While no extender runs: `first` goes away (its fence stays: nobody removes it), `second` arrives
  // and waits gated.
  ASSERT_OK(sys.cluster().Delete(kube::kJobSets, "default", "first"));
  const std::string second_uid = sys.Create(testing::JobSet("second", {{"workers", 1, 2}}));
  ASSERT_TRUE(WaitFor([&] { return sys.Pods(std::string(api::kJobSetNameKey) + "=second").size() == 2u; }));
  EXPECT_EQ(sys.FencedPools(first_uid).size(), 2u);
  sys.StartExtender();
  std::map<std::string, std::string> pools = ExpectOnePoolPerJob(sys, "second", 1, 2);
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return sys.FencedPools(first_uid).empty(); })) << "a released pool is still fenced";
  EXPECT_EQ(sys.FencedPools(), std::set<std::string>{pools.begin()->second});
  EXPECT_EQ(sys.FencedPools(second_uid), std::set<std::string>{pools.begin()->second});
}

TEST(ExclusivePlacementEndToEndTest, WithoutAPlannerTheJobSetGetsOneEvent) {
  System sys({.planner_check = true, .pools = 2, .nodes_per_pool = 2});
  sys.Create(testing::JobSet("train", {{"workers", 2, 2}}));
  ASSERT_TRUE(WaitFor([&] { return sys.Pods(std::string(api::kJobSetNameKey) + "=train").size() == 4u; }));
  for (const Json& p : sys.Pods(std::string(api::kJobSetNameKey) + "=train")) {
    EXPECT_EQ(p["spec"]["schedulingGates"][0]["name"], "phalanx.dev/placement");
  }
  ASSERT_TRUE(WaitFor([&] { return !sys.Events("train", "PlannerUnavailable").empty(); }));
  absl::SleepFor(absl::Seconds(2));  // every gated pod has been admitted by now: still one Event
  std::vector<std::string> events = sys.Events("train", "PlannerUnavailable");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(absl::StrContains(events[0], "phalanx-system/phalanx-extender")) << events[0];
}

}  // namespace
}  // namespace phalanx::extender
