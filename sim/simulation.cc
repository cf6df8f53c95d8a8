#include "sim/simulation.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/jobset.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/clock.h"
#include "common/strings.h"
#include "controller/runner.h"
#include "kube/informer.h"
#include "kube/memory_cluster.h"
#include "kube/remote_admission.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "scheduler-extender/caches.h"
#include "scheduler-extender/handler.h"
#include "scheduler-extender/metrics.h"
#include "scheduler-extender/planner.h"
#include "scheduler-extender/state.h"
#include "scheduler-extender/topology_config.h"
#include "sim/job_controller.h"
#include "sim/kubelet.h"
#include "sim/observer.h"
#include "sim/scheduler.h"
#include "sim/virtual_clock.h"
#include "webhook/handler.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

// 2026-01-01T00:00:00Z: every run starts at the same instant, so timestamps are repeatable.
constexpr int64_t kEpochSeconds = 1767225600;
// Rounds of stepping one instant may take before it is called a loop.
constexpr int kMaxRounds = 100000;

// Well-known label chains (coarse → fine) of the shapes the cluster generator makes.
const std::vector<std::vector<std::string>>& KnownChains() {
  static const auto* chains = new std::vector<std::vector<std::string>>{
      {"cloud.google.com/gce-topology-block", "cloud.google.com/gce-topology-subblock",
       "cloud.google.com/gce-topology-host"},
      {"topology.k8s.aws/network-node-layer-1", "topology.k8s.aws/network-node-layer-2",
       "topology.k8s.aws/network-node-layer-3"},
  };
  return *chains;
}

// Rows when no JobSet asks for exclusivity: the first of these keys the nodes carry.
const std::vector<std::string>& FallbackRowKeys() {
  static const auto* keys = new std::vector<std::string>{
      "cloud.google.com/gke-nodepool", "nvidia.com/gpu.clique", "cloud.google.com/gce-topology-subblock",
      "topology.k8s.aws/network-node-layer-3", "kubernetes.io/hostname"};
  return *keys;
}

struct NodeFacts {
  std::set<std::string> label_keys;
  std::string resource = "cpu";
};

NodeFacts ReadNodeFacts(const ClusterSpec& spec) {
  NodeFacts f;
  bool tpu = false, gpu = false;
  for (const std::string& text : spec.nodes) {
    json n = json::parse(text, nullptr, false);
    if (!n.is_object()) continue;
    const json& labels = n["metadata"]["labels"];
    if (labels.is_object()) {
      for (auto it = labels.begin(); it != labels.end(); ++it) f.label_keys.insert(it.key());
    }
    const json& alloc = n["status"]["allocatable"];
    if (alloc.is_object()) {
      tpu = tpu || alloc.contains("google.com/tpu");
      gpu = gpu || alloc.contains("nvidia.com/gpu");
    }
  }
  f.resource = tpu ? "google.com/tpu" : gpu ? "nvidia.com/gpu" : "cpu";
  return f;
}

// The exclusive-topology keys of a JobSet (its own annotation and its ReplicatedJobs'), and the pods of
// one attempt.
struct JobSetFacts {
  std::vector<std::string> exclusive_keys;
  int pods = 0;
};

JobSetFacts ReadJobSetFacts(const std::string& text) {
  JobSetFacts f;
  absl::StatusOr<api::JobSet> js = api::DecodeJobSet(text);
  if (!js.ok()) return f;
  auto key_of = [](const api::ObjectMeta& m) -> std::string {
    if (!m.annotations) return "";
    auto it = m.annotations->find(std::string(api::kExclusiveKey));
    return it == m.annotations->end() ? "" : it->second;
  };
  std::string top = key_of(js->metadata);
  if (!top.empty()) f.exclusive_keys.push_back(top);
  for (const api::ReplicatedJob& rj : js->spec.replicated_jobs.value_or(std::vector<api::ReplicatedJob>{})) {
    std::string k = key_of(rj.template_.metadata);
    if (!k.empty()) f.exclusive_keys.push_back(k);
    f.pods += rj.replicas_or_default() * rj.template_.spec.parallelism.value_or(1);
  }
  return f;
}

std::vector<std::vector<std::string>> ChainsPresent(const NodeFacts& facts) {
  std::vector<std::vector<std::string>> out;
  for (const auto& chain : KnownChains()) {
    if (std::all_of(chain.begin(), chain.end(), [&](const std::string& k) { return facts.label_keys.count(k); })) {
      out.push_back(chain);
    }
  }
  return out;
}

// The rows' label paths: every exclusive key the workload uses (most used first), each extended to its
// chain's coarser keys, then the first fallback key the nodes carry, for nodes no JobSet asked about.
std::vector<std::vector<std::string>> RowKeys(const NodeFacts& facts, const std::vector<std::vector<std::string>>& chains,
                                              const Workload& workload) {
  std::map<std::string, int> votes;
  for (const WorkloadJobSet& w : workload.jobsets) {
    for (const std::string& k : ReadJobSetFacts(w.json).exclusive_keys) ++votes[k];
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [k, n] : votes) {
    if (facts.label_keys.count(k)) ranked.emplace_back(-n, k);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> keys;
  for (const auto& [n, k] : ranked) keys.push_back(k);
  for (const std::string& k : FallbackRowKeys()) {
    if (facts.label_keys.count(k)) {
      keys.push_back(k);
      break;
    }
  }
  std::vector<std::vector<std::string>> out;
  for (const std::string& key : keys) {
    std::vector<std::string> path = {key};
    for (const auto& chain : chains) {
      auto at = std::find(chain.begin(), chain.end(), key);
      if (at != chain.end()) path.assign(chain.begin(), at + 1);
    }
    out.push_back(std::move(path));
  }
  return out;
}

absl::Status CreateNode(kube::MemoryCluster& cluster, const std::string& text) {
  json node = json::parse(text, nullptr, false);
  if (!node.is_object()) return absl::InvalidArgumentError("a node is not a JSON object");
  json status = node.contains("status") ? node["status"] : json::object();
  node.erase("status");
  absl::StatusOr<kube::Object> created = cluster.Create(kube::kNodes, "", node.dump());
  if (!created.ok()) return created.status();
  json patch = {{"status", status}};
  return cluster.Patch(kube::kNodesStatus, "", created->meta.name, kube::PatchType::kMerge, patch.dump()).status();
}

// A pod of the dump, already running on its node: created, bound, Running; it never ends.
absl::Status CreateBoundPod(kube::MemoryCluster& cluster, const std::string& text) {
  json pod = json::parse(text, nullptr, false);
  if (!pod.is_object()) return absl::InvalidArgumentError("a pod is not a JSON object");
  std::string ns = pod["metadata"].value("namespace", "default");
  std::string node = pod["spec"].value("nodeName", "");
  pod.erase("status");
  pod["spec"].erase("nodeName");
  for (const char* f : {"resourceVersion", "uid", "creationTimestamp", "managedFields", "ownerReferences"}) {
    pod["metadata"].erase(f);
  }
  absl::StatusOr<kube::Object> created = cluster.Create(kube::kPods, ns, pod.dump());
  if (!created.ok()) return created.status();
  json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", created->meta.name}, {"namespace", ns}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
  absl::StatusOr<kube::Object> bound = cluster.Create(kube::kPodsBinding, ns, binding.dump());
  if (!bound.ok()) return bound.status();
  json status = {{"status", {{"phase", "Running"}}}};
  return cluster.Patch(kube::kPodsStatus, ns, created->meta.name, kube::PatchType::kMerge, status.dump()).status();
}

std::string DenialMessage(const absl::Status& st) {
  std::string m(st.message());
  // Keep the one line a user needs.
  size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

class Driver {
 public:
  Driver(const ClusterSpec& spec, const Workload& workload, const SimulationOptions& options)
      : spec_(spec), workload_(workload), options_(options), clock_(absl::FromUnixSeconds(kEpochSeconds)) {}

  absl::StatusOr<Timeline> Run();

 private:
  double Seconds() const { return absl::ToDoubleSeconds(clock_.Now() - start_); }
  absl::Status Settle();
  void Arrive(const WorkloadJobSet& w);
  void ApplyFault(const Fault& f);
  void Observe();
  void DeleteFinished();
  absl::Time NextDue(size_t next_arrival, size_t next_fault) const;

  const ClusterSpec& spec_;
  const Workload& workload_;
  const SimulationOptions& options_;
  VirtualClock clock_;
  absl::Time start_;
  std::unique_ptr<kube::MemoryCluster> cluster_;
  std::unique_ptr<controller::Runner> runner_;
  std::unique_ptr<JobController> jobs_;
  std::unique_ptr<extender::ExtenderState> state_;
  std::unique_ptr<extender::Metrics> metrics_;
  std::unique_ptr<extender::Caches> caches_;
  std::unique_ptr<extender::Planner> planner_;
  std::unique_ptr<extender::Handler> handler_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Kubelet> kubelet_;
  std::unique_ptr<Observer> observer_;
  std::vector<std::unique_ptr<kube::Informer>> watches_;  // the observer's
  std::map<std::string, absl::Duration> durations_;       // "<ns>/<jobset>" → pod duration
  std::multimap<absl::Time, std::string> recoveries_;     // node recoveries due
  std::set<std::string> deleted_;                         // finished JobSets already deleted
};

absl::Time Driver::NextDue(size_t next_arrival, size_t next_fault) const {
  absl::Time next = absl::InfiniteFuture();
  if (next_arrival < workload_.jobsets.size()) next = std::min(next, start_ + workload_.jobsets[next_arrival].arrival);
  if (next_fault < workload_.faults.size()) next = std::min(next, start_ + workload_.faults[next_fault].at);
  if (!recoveries_.empty()) next = std::min(next, recoveries_.begin()->first);
  next = std::min(next, runner_->NextWakeup());
  next = std::min(next, jobs_->NextWakeup());
  next = std::min(next, scheduler_->NextWakeup());
  next = std::min(next, kubelet_->NextWakeup());
  return next;
}

absl::Status Driver::Settle() {
  for (int round = 0; round < kMaxRounds; ++round) {
    bool progress = false;
    progress |= runner_->Step();
    progress |= jobs_->Step();
    if (options_.gangs) {
      caches_->Pump();
      progress |= planner_->RunOnce();
    }
    progress |= scheduler_->Step();
    progress |= kubelet_->Step();
    if (!progress) return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat("the simulation did not settle at t=", static_cast<int64_t>(Seconds()), "s"));
}

void Driver::Arrive(const WorkloadJobSet& w) {
  durations_[absl::StrCat(w.namespace_, "/", w.name)] = w.pod_duration;
  absl::StatusOr<kube::Object> created = cluster_->Create(kube::kJobSets, w.namespace_, w.json);
  if (!created.ok()) {
    observer_->Rejected(w.namespace_, w.name, Seconds(), DenialMessage(created.status()));
    return;
  }
  observer_->Arrived(w.namespace_, w.name, Seconds(), ReadJobSetFacts(w.json).pods);
}

void Driver::ApplyFault(const Fault& f) {
  if (f.node) {
    absl::Status st = kubelet_->FailNode(f.node->node);
    if (!st.ok()) {
      observer_->AddMark(Mark{MarkKind::kNodeFailure, Seconds(), "", "",
                              absl::StrCat("node fault skipped: ", st.message())});
      return;
    }
    if (f.node->recover_after) recoveries_.emplace(clock_.Now() + *f.node->recover_after, f.node->node);
    return;
  }
  const PodFault& p = *f.pod;
  kube::ListOptions lo;
  lo.label_selector = absl::StrCat(AsAbsl(api::kJobSetNameKey), "=", p.jobset, ",", AsAbsl(api::kReplicatedJobNameKey),
                                   "=", p.replicated_job, ",", AsAbsl(api::kJobIndexKey), "=", p.job_index, ",",
                                   AsAbsl(api::kJobCompletionIndexKey), "=", p.pod_index);
  absl::StatusOr<kube::ObjectList> pods = cluster_->List(kube::kPods, p.namespace_, lo);
  const std::string what = absl::StrCat(p.namespace_, "/", p.jobset, " ", p.replicated_job, "/", p.job_index, " pod ",
                                        p.pod_index);
  if (pods.ok()) {
    for (const kube::Object& pod : pods->items) {
      if (pod.meta.deletion_timestamp) continue;
      absl::Status st = kubelet_->FailPod(pod.meta.namespace_, pod.meta.name, p.exit_code, p.reason);
      if (!st.ok()) continue;
      json doc = json::parse(pod.json, nullptr, false);
      std::string node = doc.is_object() && doc["spec"].is_object() ? doc["spec"].value("nodeName", "") : "";
      observer_->AddMark(Mark{MarkKind::kPodFailure, Seconds(), observer_->RowOf(node),
                              absl::StrCat(p.namespace_, "/", p.jobset),
                              absl::StrCat("pod ", pod.meta.name, " failed: exit ", p.exit_code, " (", p.reason, ")")});
      return;
    }
  }
  observer_->AddMark(Mark{MarkKind::kPodFailure, Seconds(), "", absl::StrCat(p.namespace_, "/", p.jobset),
                          absl::StrCat("pod fault skipped: no running pod for ", what)});
}

void Driver::Observe() {
  observer_->SetTime(Seconds());
  for (auto& w : watches_) w->Pump();
  observer_->Checkpoint(Seconds());
}

void Driver::DeleteFinished() {
  // What the observer recorded as finished is deleted with its Jobs and pods.
  for (const WorkloadJobSet& w : workload_.jobsets) {
    const std::string key = absl::StrCat(w.namespace_, "/", w.name);
    if (deleted_.count(key) || !observer_->IsFinished(key)) continue;
    kube::DeleteOptions opts;
    opts.propagation = kube::Propagation::kBackground;
    absl::Status st = cluster_->Delete(kube::kJobSets, w.namespace_, w.name, opts);
    (void)st;  // a rejected JobSet was never there
    deleted_.insert(key);
  }
}

absl::StatusOr<Timeline> Driver::Run() {
  if (spec_.nodes.empty()) return absl::InvalidArgumentError("the cluster has no nodes");
  start_ = clock_.Now();
  kube::MemoryClusterOptions mo;
  mo.clock = &clock_;
  mo.seed = options_.seed;
  mo.graceful_pod_deletion = true;
  // Every watch is drained every round, so little history is ever replayed; each retained event keeps
  // two object versions alive, which at 100,000 pods is most of the memory.
  mo.history_limit = 1000;
  cluster_ = std::make_unique<kube::MemoryCluster>(mo);

  const NodeFacts facts = ReadNodeFacts(spec_);
  const std::vector<std::vector<std::string>> chains = ChainsPresent(facts);

  // The cluster: nodes, then the dump's running pods (before any webhook: they are nobody's JobSet).
  for (const std::string& n : spec_.nodes) {
    absl::Status st = CreateNode(*cluster_, n);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("cluster: ", st.message()));
  }
  for (const std::string& p : spec_.bound_pods) {
    absl::Status st = CreateBoundPod(*cluster_, p);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("cluster: a running pod: ", st.message()));
  }

  // Admission: the real webhook's handler, called as kube-apiserver calls it.
  std::vector<kube::RemoteAdmissionOptions> hooks;
  for (kube::RemoteAdmissionOptions& o : kube::PhalanxWebhooks("", "")) {
    const bool pod_hook = o.rules[0].resource == "pods";
    if (pod_hook && !options_.gangs) continue;
    o.transport = [](const std::string& path, const std::string& body) -> absl::StatusOr<std::pair<int, std::string>> {
      webhook::HttpReply r = webhook::HandleAdmission(path, "application/json", body);
      return std::make_pair(r.status, std::move(r.body));
    };
    hooks.push_back(std::move(o));
  }
  absl::Status hooked = kube::AddRemoteAdmissionHooks(*cluster_, hooks);
  if (!hooked.ok()) return hooked;

  // The controller, the Job controller.
  controller::RunnerOptions ro;
  ro.clock = &clock_;
  ro.max_parallelism = 1;
  runner_ = std::make_unique<controller::Runner>(*cluster_, ro);
  JobControllerOptions jo;
  jo.run_pods_without_scheduler = false;
  jo.clock = &clock_;
  jobs_ = std::make_unique<JobController>(*cluster_, jo);

  // The planner and extender.
  extender::StateOptions so;
  if (!chains.empty()) {
    extender::TopologySource source;
    source.name = "the simulated cluster's labels";
    for (const auto& chain : chains) {
      absl::StatusOr<extender::TopologyChain> c = extender::ParseTopologyFlag(absl::StrJoin(chain, ","));
      if (!c.ok()) return c.status();
      source.chains.push_back(*std::move(c));
    }
    absl::StatusOr<placement::TopologyConfig> topology = extender::MergeTopology({source});
    if (!topology.ok()) return topology.status();
    so.topology = *std::move(topology);
  }
  state_ = std::make_unique<extender::ExtenderState>(so);
  metrics_ = std::make_unique<extender::Metrics>();
  caches_ = std::make_unique<extender::Caches>(*cluster_, *state_);
  extender::PlannerOptions po;
  po.pin_workers = 1;
  po.reporting_instance = "phalanx-simulate";
  planner_ = std::make_unique<extender::Planner>(*cluster_, *state_, clock_, *metrics_, nullptr, po);
  planner_->SetLeading(true);
  handler_ = std::make_unique<extender::Handler>(*state_, *metrics_);

  // kube-scheduler, with the extender in gang mode.
  SchedulerOptions sched;
  sched.clock = &clock_;
  sched.percentage_of_nodes_to_score = 0;  // kube-scheduler's adaptive default
  if (options_.gangs) {
    sched.extender.url_prefix = "in-process://phalanx-extender";
    sched.extender.filter_verb = "filter";
    sched.extender.prioritize_verb = "prioritize";
    sched.extender.transport = [this](const std::string& verb, const std::string& body) -> absl::StatusOr<std::string> {
      extender::Reply r = verb == "filter" ? handler_->Filter(body) : handler_->Prioritize(body);
      if (r.status != 200) return absl::UnavailableError(absl::StrCat("code ", r.status, ": ", r.body));
      return std::move(r.body);
    };
  }
  scheduler_ = std::make_unique<Scheduler>(*cluster_, sched);

  // Kubelets: each JobSet pod runs for its JobSet's duration and exits 0; other pods run on.
  KubeletOptions ko;
  ko.clock = &clock_;
  ko.run = [this](const kube::Object& pod) -> std::optional<PodRun> {
    auto js = pod.meta.labels.find(std::string(api::kJobSetNameKey));
    if (js == pod.meta.labels.end()) return std::nullopt;
    auto d = durations_.find(absl::StrCat(pod.meta.namespace_, "/", js->second));
    if (d == durations_.end()) return std::nullopt;
    PodRun run;
    run.duration = d->second;
    return run;
  };
  kubelet_ = std::make_unique<Kubelet>(*cluster_, ko);

  // The observer's own watches (keys only in their caches).
  ObserverOptions oo;
  oo.resource = facts.resource;
  oo.chains = chains;
  oo.row_keys = RowKeys(facts, chains, workload_);
  oo.gangs = options_.gangs;
  observer_ = std::make_unique<Observer>(oo);
  kube::InformerOptions io;
  io.cache_transform = kube::KeepIdentityOnly;
  auto watch = [&](const kube::Resource& r, kube::EventHandlers h) {
    auto inf = std::make_unique<kube::Informer>(*cluster_, r, io);
    inf->AddHandlers(std::move(h));
    watches_.push_back(std::move(inf));
  };
  Observer* obs = observer_.get();
  watch(kube::kNodes, {[obs](const kube::Object& o) { obs->OnNode(o.json); },
                       [obs](const kube::Object&, const kube::Object& o) { obs->OnNode(o.json); },
                       [obs](const kube::Object& o) { obs->OnNodeDeleted(o.meta.name); }});
  watch(kube::kJobSets, {[obs](const kube::Object& o) { obs->OnJobSet(o.json); },
                         [obs](const kube::Object&, const kube::Object& o) { obs->OnJobSet(o.json); }, nullptr});
  watch(kube::kPods, {[obs](const kube::Object& o) { obs->OnPod(o.json); },
                      [obs](const kube::Object&, const kube::Object& o) { obs->OnPod(o.json); },
                      [obs](const kube::Object& o) { obs->OnPodDeleted(o.meta.namespace_, o.meta.name); }});
  watch(kube::kEvents, {[obs](const kube::Object& o) { obs->OnEvent(o.json); },
                        [obs](const kube::Object&, const kube::Object& o) { obs->OnEvent(o.json); }, nullptr});

  size_t next_arrival = 0, next_fault = 0;
  const size_t total = workload_.jobsets.size();
  while (true) {
    const absl::Time now = clock_.Now();
    while (next_arrival < total && start_ + workload_.jobsets[next_arrival].arrival <= now) {
      Arrive(workload_.jobsets[next_arrival++]);
    }
    while (next_fault < workload_.faults.size() && start_ + workload_.faults[next_fault].at <= now) {
      ApplyFault(workload_.faults[next_fault++]);
    }
    while (!recoveries_.empty() && recoveries_.begin()->first <= now) {
      absl::Status st = kubelet_->RecoverNode(recoveries_.begin()->second);
      (void)st;  // a node that went away stays away
      recoveries_.erase(recoveries_.begin());
    }
    absl::Status settled = Settle();
    if (!settled.ok()) return settled;
    Observe();
    DeleteFinished();
    if (options_.progress) options_.progress(Seconds(), observer_->Finished(), total);
    if (next_arrival == total && observer_->AllFinished()) break;
    absl::Time next = NextDue(next_arrival, next_fault);
    if (next == absl::InfiniteFuture() || next - start_ > options_.max_time) break;
    // Something due now did nothing: move on rather than spin.
    clock_.Set(std::max(next, now + absl::Milliseconds(100)));
  }
  Timeline t = observer_->Finish(Seconds());
  t.cluster_name = spec_.name;
  t.workload_name = workload_.name;
  t.seed = options_.seed;
  return t;
}

}  // namespace

absl::StatusOr<Timeline> Simulate(const ClusterSpec& cluster, const Workload& workload,
                                  const SimulationOptions& options) {
  Driver driver(cluster, workload, options);
  return driver.Run();
}

}  // namespace phalanx::sim
