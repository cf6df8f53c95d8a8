// End to end, as processes over HTTP: phalanx-memory-apiserver's MemoryApiServer with the real
// phalanx-webhook (called over HTTPS for pods and JobSets), phalanx-controller and phalanx-extender
// binaries, the emulated kube-scheduler (sim::Scheduler, calling the extender over HTTP), the emulated
// Job controller and kubelet. TPU JobSets land one Job per node pool, whole or not at all.
#include <signal.h>
#include <sys/types.h>

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
#include "absl/time/clock.h"
#include "api/defaulting.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "api/scheduling.h"
#include "gtest/gtest.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"
#include "kube/remote_admission.h"
#include "nlohmann/json.hpp"
#include "scheduler-extender/reservation_record.h"
#include "sim/job_controller.h"
#include "sim/kubelet.h"
#include "sim/scheduler.h"
#include "tests/scheduler-extender/test_objects.h"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using testing::JobSet;
using testing::kPoolKey;
using testing::RJ;

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(60)) {
  return sim::Scheduler::WaitFor(pred, timeout);
}

std::string TempDir() {
  char dir[] = "/tmp/phalanx-e2e-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return dir;
}

// One binary of ours, started with its flags; the first stdout line carries its port.
class Binary {
 public:
  Binary(const std::string& path, std::vector<std::string> args) {
    args.insert(args.begin(), phalanx::testing::BinaryDir() + path);
    child_ = std::make_unique<phalanx::testing::ChildProcess>(args);
  }
  std::string ReadLine() { return child_->ReadLine(); }
  void Kill() {
    ::kill(child_->pid(), SIGKILL);
    child_.reset();
  }
  int Terminate() { return child_->Terminate(); }

 private:
  std::unique_ptr<phalanx::testing::ChildProcess> child_;
};

struct Options {
  bool webhook = true;
  int pools = 8;
  int nodes_per_pool = 4;
};

// The whole system on one MemoryCluster.
class System {
 public:
  explicit System(Options options) : options_(options), server_(cluster_) {
    dir_ = TempDir();
    if (options_.webhook) StartWebhook();
    EXPECT_OK(server_.Start(0));
    kubeconfig_ = dir_ + "/kubeconfig";
    std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                               << server_.url()
                               << "\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: x\n  context:\n"
                                  "    cluster: c\n    user: u\n    namespace: default\ncurrent-context: x\n";
    for (const nlohmann::json& n : testing::Pools(options_.pools, options_.nodes_per_pool)) AddNode(n);

    sim::JobControllerOptions jo;
    jo.run_pods_without_scheduler = false;
    jobs_ = std::make_unique<sim::JobController>(cluster_, jo);
    jobs_->Start();
    kubelet_ = std::make_unique<sim::Kubelet>(cluster_);
    kubelet_->Start();
    controller_ = std::make_unique<Binary>(
        "/controller/phalanx-controller",
        std::vector<std::string>{"--kubeconfig=" + kubeconfig_, "--health-probe-bind-address=127.0.0.1:0",
                                 "--metrics-bind-address=0"});
    controller_->ReadLine();
    StartExtender();
    absl::StatusOr<kube::RestConfig> rc = kube::LoadKubeconfig(kubeconfig_);
    EXPECT_OK(rc.status());
    rc->qps = 1000;
    rc->burst = 1000;
    client_ = *kube::HttpClient::Create(*rc);
    sim::SchedulerOptions so;
    so.extender.url_prefix = absl::StrCat("http://127.0.0.1:", extender_port_, "/scheduler");
    so.extender.prioritize_verb = "prioritize";
    so.initial_backoff = absl::Milliseconds(200);
    so.max_backoff = absl::Seconds(1);
    scheduler_ = std::make_unique<sim::Scheduler>(*client_, so);
    scheduler_->Start();
  }

  ~System() {
    scheduler_->Stop();
    if (extender_) extender_->Terminate();
    controller_->Terminate();
    kubelet_->Stop();
    jobs_->Stop();
    server_.Stop();
    std::filesystem::remove_all(dir_);  // kubeconfig and certificates
  }

  // A restarted extender takes the port of the first (the scheduler's configuration names it).
  void StartExtender() {
    extender_ = std::make_unique<Binary>(
        "/scheduler-extender/phalanx-extender",
        std::vector<std::string>{"--kubeconfig=" + kubeconfig_, absl::StrCat("--port=", extender_port_),
                                 "--bind-address=127.0.0.1", "--url-prefix=/scheduler"});
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
  sim::Kubelet& kubelet() { return *kubelet_; }

  void AddNode(const nlohmann::json& node) {
    nlohmann::json spec = node;
    spec.erase("status");
    ASSERT_OK(cluster_.Create(kube::kNodes, "", spec.dump()).status());
    nlohmann::json status = {{"status", node["status"]}};
    ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", node["metadata"]["name"].get<std::string>(),
                             kube::PatchType::kMerge, status.dump())
                  .status());
  }

  // Creates a JobSet (defaulted, as the webhook would when there is none).
  void Create(nlohmann::json js) {
    absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(js.dump());
    ASSERT_OK(decoded.status());
    api::ApplySchemaDefaults(*decoded);
    api::DefaultJobSet(*decoded);
    ASSERT_OK(cluster_.Create(kube::kJobSets, "default", api::EncodeJobSet(*decoded)).status());
  }

  // Pods of a JobSet: name → (node, phase, gated).
  struct PodView {
    std::string job;
    std::string node;
    std::string phase;
    bool gated = false;
    int restart = 0;
  };
  std::map<std::string, PodView> Pods(const std::string& jobset) {
    std::map<std::string, PodView> out;
    kube::ListOptions lo;
    lo.label_selector = std::string(api::kJobSetNameKey) + "=" + jobset;
    absl::StatusOr<kube::ObjectList> list = cluster_.List(kube::kPods, "default", lo);
    if (!list.ok()) return out;
    for (const kube::Object& o : list->items) {
      nlohmann::json p = nlohmann::json::parse(o.json);
      PodView v;
      v.job = o.meta.labels.count("batch.kubernetes.io/job-name") ? o.meta.labels.at("batch.kubernetes.io/job-name")
                                                                   : "";
      v.node = p["spec"].value("nodeName", "");
      v.phase = p["status"].value("phase", "");
      v.gated = p["spec"].contains("schedulingGates") && !p["spec"]["schedulingGates"].empty();
      if (o.meta.labels.count(std::string(api::kRestartsKey))) {
        (void)absl::SimpleAtoi(o.meta.labels.at(std::string(api::kRestartsKey)), &v.restart);
      }
      out[o.meta.name] = v;
    }
    return out;
  }

  // Job name → the one pool all its Running pods of attempt `restart` are on ("" if spread or none);
  // only when every Job has `pods_per_job` such pods.
  std::map<std::string, std::string> JobPools(const std::string& jobset, int jobs, int pods_per_job,
                                              int restart = 0) {
    std::map<std::string, std::set<std::string>> pools;
    std::map<std::string, int> running;
    for (const auto& [name, p] : Pods(jobset)) {
      if (p.phase != "Running" || p.restart != restart || p.node.empty()) continue;
      pools[p.job].insert(PoolOf(p.node));
      ++running[p.job];
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
    // tpu-<pool>-<n>
    const size_t a = node.find('-'), b = node.rfind('-');
    return absl::StrCat("pool-", node.substr(a + 1, b - a - 1));
  }

  std::string ReservationAnnotation(const std::string& jobset) {
    absl::StatusOr<kube::Object> o = cluster_.Get(kube::kJobSets, "default", jobset);
    if (!o.ok()) return "";
    auto it = o->meta.annotations.find(std::string(api::kReservationsKey));
    return it == o->meta.annotations.end() ? "" : it->second;
  }

  // Event notes about `jobset` with `reason`.
  std::vector<std::string> Events(const std::string& jobset, const std::string& reason) {
    std::vector<std::string> out;
    absl::StatusOr<kube::ObjectList> list = cluster_.List(kube::kEvents, "default", {});
    if (!list.ok()) return out;
    for (const kube::Object& o : list->items) {
      nlohmann::json e = nlohmann::json::parse(o.json);
      if (e.value("reason", "") == reason && e["regarding"].value("name", "") == jobset) {
        out.push_back(e.value("note", ""));
      }
    }
    return out;
  }

  bool JobSetCondition(const std::string& jobset, const std::string& type) {
    absl::StatusOr<kube::Object> o = cluster_.Get(kube::kJobSets, "default", jobset);
    if (!o.ok()) return false;
    nlohmann::json js = nlohmann::json::parse(o->json);
    for (const auto& c : js["status"].value("conditions", nlohmann::json::array())) {
      if (c.value("type", "") == type && c.value("status", "") == "True") return true;
    }
    return false;
  }

 private:
  void StartWebhook() {
    const std::string certs = dir_ + "/certs";
    const std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", certs,
                                         " --ip 127.0.0.1 --dns localhost >/dev/null 2>&1");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    webhook_ = std::make_unique<Binary>(
        "/webhook/phalanx-webhook",
        std::vector<std::string>{"--tls-cert-file=" + certs + "/tls.crt", "--tls-private-key-file=" + certs + "/tls.key",
                                 "--port=0", "--bind-address=127.0.0.1", "--health-probe-bind-address=0"});
    const std::string line = webhook_->ReadLine();
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) << line;
    const std::string base = absl::StrCat("https://127.0.0.1:", port);
    // The configuration that ships (manifests/webhook.yaml): four webhooks, the pod ones only for JobSet pods.
    ASSERT_OK(kube::AddRemoteAdmissionHooks(cluster_, kube::PhalanxWebhooks(base, certs + "/ca.crt")));
  }

  Options options_;
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
  std::unique_ptr<sim::Scheduler> scheduler_;
};

// Four slices on eight pools: each Job's four pods on one pool, no pool shared.
void ExpectFourSlices(System& sys, const std::string& name) {
  std::map<std::string, std::string> pools;
  ASSERT_TRUE(WaitFor([&] {
    pools = sys.JobPools(name, 4, 4);
    return !pools.empty();
  })) << "pods never all ran";
  std::set<std::string> distinct;
  for (const auto& [job, pool] : pools) {
    EXPECT_NE(pool, "") << job << " is spread over several pools";
    distinct.insert(pool);
  }
  EXPECT_EQ(distinct.size(), 4u) << "a pool is shared";
}

TEST(ExtenderEndToEndTest, FourTpuSlicesLandOnePerPool) {
  System sys({});
  sys.Create(JobSet("train", {{"workers", 4, 4}}));
  ExpectFourSlices(sys, "train");
  // The reservation is on the JobSet for users to read, and matches where the pods run.
  absl::StatusOr<ReservationRecord> record = DecodeReservationRecord(sys.ReservationAnnotation("train"));
  ASSERT_OK(record.status());
  std::map<std::string, std::string> pools = sys.JobPools("train", 4, 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*record)[absl::StrCat("workers/", i)],
              absl::StrCat(kPoolKey, "=", pools[absl::StrCat("train-workers-", i)]));
  }
  EXPECT_FALSE(sys.Events("train", "GangPlaced").empty());
}

TEST(ExtenderEndToEndTest, AGangThatDoesNotFitWaitsHoldingNothingThenStarts) {
  System sys({});
  sys.Create(JobSet("big", {{"workers", 6, 4}}));
  ASSERT_TRUE(WaitFor([&] { return !sys.JobPools("big", 6, 4).empty(); }));
  // Three Jobs as one gang, two free pools: nothing of it may start or hold a pool.
  sys.Create(JobSet("gang", {{"workers", 3, 4}}, "",
                    {{testing::kExclusive, kPoolKey}, {std::string(api::kGangPolicyKey), "JobSet"}}));
  ASSERT_TRUE(WaitFor([&] { return !sys.Events("gang", "GangWaiting").empty(); }));
  EXPECT_TRUE(absl::StrContains(sys.Events("gang", "GangWaiting").front(), "waits: ")) << sys.Events("gang", "GangWaiting").front();
  ASSERT_TRUE(WaitFor([&] { return sys.Pods("gang").size() == 12u; }));
  for (const auto& [name, p] : sys.Pods("gang")) {
    EXPECT_TRUE(p.gated) << name;
    EXPECT_EQ(p.node, "") << name;
  }
  EXPECT_EQ(sys.ReservationAnnotation("gang"), "");

  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(WaitFor([&] { return sys.jobs().SucceedJob("default", absl::StrCat("big-workers-", i)).ok(); }));
  }
  ASSERT_TRUE(WaitFor([&] { return sys.JobSetCondition("big", "Completed"); }));
  std::map<std::string, std::string> pools;
  ASSERT_TRUE(WaitFor([&] {
    pools = sys.JobPools("gang", 3, 4);
    return !pools.empty();
  }));
  std::set<std::string> distinct;
  for (const auto& [job, pool] : pools) distinct.insert(pool);
  EXPECT_EQ(distinct.size(), 3u);
}

TEST(ExtenderEndToEndTest, AFailureRestartReturnsEachJobToItsPool) {
  System sys({});
  nlohmann::json js = JobSet("train", {{"workers", 2, 2}});
  js["spec"]["failurePolicy"] = {{"maxRestarts", 3}};
  sys.Create(js);
  std::map<std::string, std::string> before;
  ASSERT_TRUE(WaitFor([&] {
    before = sys.JobPools("train", 2, 2);
    return !before.empty();
  }));
  ASSERT_TRUE(WaitFor([&] { return sys.jobs().FailIndex("default", "train-workers-1", 0).ok(); }));
  std::map<std::string, std::string> after;
  ASSERT_TRUE(WaitFor([&] {
    after = sys.JobPools("train", 2, 2, /*restart=*/1);
    return !after.empty();
  }));
  EXPECT_EQ(after, before);
}

TEST(ExtenderEndToEndTest, ANodeFailureMovesItsJobToAHealthyPool) {
  System sys({.pools = 3});
  nlohmann::json js = JobSet("train", {{"workers", 2, 4}});
  js["spec"]["failurePolicy"] = {{"maxRestarts", 3}};
  sys.Create(js);
  std::map<std::string, std::string> before;
  ASSERT_TRUE(WaitFor([&] {
    before = sys.JobPools("train", 2, 4);
    return !before.empty();
  }));
  const std::string lost_pool = before["train-workers-0"];
  const std::string lost_node = absl::StrCat("tpu-", lost_pool.substr(5), "-1");
  ASSERT_OK(sys.kubelet().FailNode(lost_node));
  std::map<std::string, std::string> after;
  ASSERT_TRUE(WaitFor([&] {
    after = sys.JobPools("train", 2, 4, /*restart=*/1);
    return !after.empty();
  }));
  EXPECT_NE(after["train-workers-0"], lost_pool);
  EXPECT_EQ(after["train-workers-1"], before["train-workers-1"]);
  EXPECT_FALSE(sys.Events("train", "GangMoved").empty());
}

TEST(ExtenderEndToEndTest, AKilledExtenderRebuildsItsReservationsFromTheApi) {
  System sys({.pools = 4});
  sys.Create(JobSet("first", {{"workers", 2, 4}}));
  // Killed mid-gang: as soon as the reservation is recorded, while pods are being ungated.
  ASSERT_TRUE(WaitFor([&] { return sys.ReservationAnnotation("first") != ""; }));
  const std::string recorded = sys.ReservationAnnotation("first");
  sys.KillExtender();
  sys.StartExtender();
  std::map<std::string, std::string> pools;
  ASSERT_TRUE(WaitFor([&] {
    pools = sys.JobPools("first", 2, 4);
    return !pools.empty();
  }));
  absl::StatusOr<ReservationRecord> first = DecodeReservationRecord(recorded);
  ASSERT_OK(first.status());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ((*first)[absl::StrCat("workers/", i)],
              absl::StrCat(kPoolKey, "=", pools[absl::StrCat("first-workers-", i)]));
  }
  // A second JobSet gets exactly the two other pools, and the first keeps its record.
  sys.Create(JobSet("second", {{"workers", 2, 4}}));
  ASSERT_TRUE(WaitFor([&] { return !sys.JobPools("second", 2, 4).empty(); }));
  EXPECT_EQ(sys.ReservationAnnotation("first"), recorded);
  absl::StatusOr<ReservationRecord> a = DecodeReservationRecord(recorded);
  absl::StatusOr<ReservationRecord> b = DecodeReservationRecord(sys.ReservationAnnotation("second"));
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  for (const auto& [job, domain] : *b) {
    for (const auto& [j2, d2] : *a) EXPECT_NE(domain, d2) << "double-booked " << domain;
  }
}

TEST(ExtenderEndToEndTest, WithoutTheWebhookFilterPlacesGangsTheSameWay) {
  System sys({.webhook = false});
  sys.Create(JobSet("train", {{"workers", 4, 4}}));
  ExpectFourSlices(sys, "train");
  for (const auto& [name, p] : sys.Pods("train")) EXPECT_FALSE(p.gated) << name;
  EXPECT_NE(sys.ReservationAnnotation("train"), "");
}

}  // namespace
}  // namespace phalanx::extender
