// sim/scheduler.h
//
// Scheduler: an emulated kube-scheduler (v1.36 behaviour, single-pod path) for end-to-end tests and the
// simulator. It watches Nodes and Pods through any kube::Client (MemoryCluster, or HttpClient against
// MemoryApiServer) and, one pod at a time on its worker thread, in queue order (priority descending,
// then creationTimestamp, then namespace/name):
//  - candidates: spec.nodeName empty, no spec.schedulingGates, no deletionTimestamp, phase Pending,
//    spec.schedulerName == options.scheduler_name (absent = "default-scheduler");
//  - PreFilter (NodeAffinity): when every required nodeSelectorTerm names nodes through matchFields
//    metadata.name In [...], only the union of those nodes is considered; the others are reported as
//    "node(s) didn't satisfy plugin(s) [NodeAffinity]";
//  - in-tree filters, first failure wins per node, in kube-scheduler's plugin order: a NotReady node
//    counts as tainted node.kubernetes.io/not-ready:NoSchedule; NodeUnschedulable (spec.unschedulable
//    unless the taint node.kubernetes.io/unschedulable:NoSchedule is tolerated); TaintToleration
//    (NoSchedule / NoExecute); NodeAffinity (nodeSelector and required terms: In, NotIn, Exists,
//    DoesNotExist, Gt, Lt, matchFields metadata.name; an empty term matches nothing); NodeResourcesFit
//    (requests of the node's pods that are not Succeeded/Failed, plus pods this scheduler bound but
//    has not yet seen bound, plus this pod's must fit status.allocatable; "Too many pods" against the
//    "pods" allocatable — a node without a "pods" allocatable has no pod limit here). The feasible-node
//    search stops at percentageOfNodesToScore as kube-scheduler computes it (100 = every node);
//  - extender Filter (options.extender.url_prefix non-empty or a transport set, and filter_verb set,
//    only when at least one node is feasible): POST <prefix>/<verb> (or the in-process transport with
//    the same body), body ExtenderArgs exactly as kube-scheduler sends it
//    ({"Pod": pod without metadata.managedFields, "Nodes": null, "NodeNames": [...]} when
//    node_cache_capable, else {"Pod", "Nodes": {"metadata":{},"items":[Node...]}, "NodeNames": null};
//    objects without kind/apiVersion, as kube-scheduler's informers hold them),
//    answer decoded case-insensitively; only HTTP 200; NodeNames must be a subset of the input; a null
//    NodeNames falls back to Nodes.items; both null = no node; FailedNodes /
//    FailedAndUnresolvableNodes messages become the nodes' reasons. Faults (transport, timeout, non-200,
//    undecodable answer, non-empty Error, a node name not in the input — in either answer form) skip
//    the extender when `ignorable`, else fail
//    the attempt with reason SchedulerError;
//  - one feasible node: chosen without scoring. Several: in-tree score (least allocated, 0..100,
//    averaged over the resources the pod requests) plus, with a prioritize verb, extender Score ×
//    weight × 10 (Prioritize faults are ignored, as kube-scheduler does); highest total wins, ties go
//    to the lowest node name (repeatable runs);
//  - bind: POST pods/binding with a v1 Binding;
//  - no feasible node: status write PodScheduled=False reason Unschedulable with kube-scheduler's
//    message "0/N nodes are available: <count> <reason>, <count> <reason>." (identical reasons
//    aggregated, sorted as strings; nothing after the colon when no node gave a reason);
//    faults: reason SchedulerError with the fault's message. An unschedulable pod is retried after any
//    Node or Pod change (status-only changes of pending pods do not count) — except that a pod refused
//    by in-tree filters alone (no extender verdict) waits for a Node change or for resources given
//    back (a pod deleted, finished, moved or shrunk), as kube-scheduler's queueing hints skip pods
//    being bound for those plugins; a faulted pod is retried after its backoff; both wait out a
//    per-pod backoff (initial_backoff doubling to max_backoff), read on options.clock.
// Not modelled: preemption, nominated nodes, inter-pod affinity, topology spread, ports, volumes,
// extender bind/preempt verbs and managedResources, the unschedulable-pods flush timer.
// Cost (the simulator's scale: tens of thousands of nodes, ~100k pods): the resources in use per node
// are kept up to date by the pod handler (a pod's previous contribution subtracted, the new one added;
// assumed pods likewise), an attempt reads nodes in place (a pod pinned through matchFields looks up
// only its nodes), bound pods leave the queue, due pods are kept in priority order and pods waiting
// in backoff in time order, and a change wakes only the pods parked as unschedulable.
// Two modes: Start() runs informers and a worker thread; or, without Start(), Step() does the same on
// the caller's thread (the simulator's deterministic driver) and NextWakeup() says when a pod in
// backoff is due. Use one or the other. Thread-safe; informer handlers only update caches and the
// queue.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/scheduling.h"
#include "common/clock.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace phalanx::sim {

// One KubeSchedulerConfiguration.extenders[] entry (only the fields modelled).
struct SchedulerExtenderOptions {
  std::string url_prefix;              // "" = no extender, e.g. "http://127.0.0.1:8888/scheduler"
  std::string filter_verb = "filter";  // "" = no Filter call
  std::string prioritize_verb;         // "" = no Prioritize call
  int64_t weight = 1;
  absl::Duration http_timeout = absl::Seconds(5);
  bool node_cache_capable = true;
  bool ignorable = false;
  // For an https:// url_prefix: the CA bundle checking the extender's certificate; empty = no check
  // (kube-scheduler's rule when enableHTTPS has neither caFile nor caData).
  std::string ca_file;
  // Set: the extender is called in process through this (same request body, same answer handling; a
  // non-OK status counts as a transport fault) instead of HTTP; url_prefix then only names it in
  // messages. Called on the scheduling thread (Step()'s caller in stepped mode).
  std::function<absl::StatusOr<std::string>(const std::string& verb, const std::string& body)> transport;
};

struct SchedulerOptions {
  std::string scheduler_name = "default-scheduler";
  // kube-scheduler's percentageOfNodesToScore: 100 = every node; 0 = adaptive (50 - nodes/125, at
  // least 5 %); never fewer than 100 nodes are searched.
  int percentage_of_nodes_to_score = 100;
  SchedulerExtenderOptions extender;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(10);
  // Backoffs and the timestamps written; nullptr = the real clock.
  const Clock* clock = nullptr;
};

struct SchedulerStats {
  int64_t attempts = 0;            // scheduling cycles run
  int64_t binds = 0;               // successful pods/binding
  int64_t unschedulable = 0;       // attempts ending Unschedulable
  int64_t errors = 0;              // attempts ending SchedulerError (extender or bind faults)
  int64_t filter_calls = 0;        // extender Filter requests sent
  int64_t prioritize_calls = 0;    // extender Prioritize requests sent
};

// The outcome of a pod's last failed attempt.
struct SchedulingFailure {
  std::string reason;   // "Unschedulable" | "SchedulerError"
  std::string message;  // as written to the PodScheduled condition
};

class Scheduler {
 public:
  explicit Scheduler(kube::Client& client, SchedulerOptions options = {});
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the informers and the worker. Stop() ends them; both idempotent (no restart after Stop).
  void Start();
  void Stop();
  // Both informers have listed once.
  bool WaitForSync(absl::Duration timeout) const;

  // Without Start(): sets up the informers on the first call, pumps them, then runs every attempt due
  // at the clock's now, on the calling thread (pumping again after each, so its own writes are seen),
  // until none is due. True if it applied any change or ran any attempt. Deterministic for a given
  // cluster history.
  bool Step();
  // The earliest time a pod waits for only because of its backoff; the clock's now if one is due
  // already; InfiniteFuture if none.
  absl::Time NextWakeup() const;

  // Blocks until the informers reflect every Node and Pod currently in the API (checked with a List)
  // and no pod is waiting for an attempt it is due (a pod in backoff after a change counts as due; a pod
  // that is unschedulable with nothing changed since does not). True if reached within `timeout`.
  bool WaitUntilIdle(absl::Duration timeout);
  // Polls `condition` (every 5 ms) until true or `timeout`; returns its last value.
  static bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

  SchedulerStats Stats() const;
  // The last failed attempt of pod ns/name since it was created or last bound; nullopt if none.
  std::optional<SchedulingFailure> LastFailure(const std::string& ns, const std::string& name) const;
  // The message of the last Unschedulable attempt of ns/name ("" if none).
  std::string LastUnschedulableMessage(const std::string& ns, const std::string& name) const;
  // Every pod this scheduler bound ("ns/name" → node).
  std::map<std::string, std::string> Bindings() const;

 private:
  struct PodRecord;
  struct NodeRecord;
  struct QueueEntry;
  using Key = std::pair<std::string, std::string>;
  // Due order: priority descending, then creationTimestamp, then the key.
  using ActiveKey = std::tuple<int32_t, std::string, Key>;  // (-priority, creation, key)

  // Creates the informers and their handlers (once; Start() and Step() share it).
  void Setup();
  void OnPod(const kube::Object* old_obj, const kube::Object* new_obj);
  void OnNode(const kube::Object* old_obj, const kube::Object* new_obj);
  void Run();
  // Picks the next due pod; false when none.
  bool NextDue(Key* key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration UntilNextDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queue bookkeeping: takes an entry out of the set it is in / files it by its dirty flag and backoff.
  void Unlink(const Key& key, QueueEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void File(const Key& key, QueueEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseFromQueue(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Something scheduling-relevant changed: parked (unschedulable) pods become due again.
  // `capacity_freed`: also those refused by in-tree filters alone (a pod gave resources back, or a Node
  // changed).
  void WakeParked(bool capacity_freed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes what pod `key` adds to its node's used resources (bound and not finished, or assumed).
  // True if that gave resources back (the pod's charge went away, moved, or shrank).
  bool Recharge(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t Pump();
  void ScheduleOne(const Key& key);
  // `capacity_only`: an Unschedulable verdict from in-tree filters alone (see WakeParked).
  void RecordFailure(const Key& key, int64_t generation_seen, const std::string& reason,
                     const std::string& message, bool capacity_only = false);
  bool CaughtUp();

  kube::Client& client_;
  const SchedulerOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  std::unique_ptr<kube::Informer> nodes_;
  std::unique_ptr<kube::Informer> pods_;
  std::thread worker_;

  mutable absl::Mutex mu_;
  std::map<Key, std::shared_ptr<const PodRecord>> pods_by_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const NodeRecord>> nodes_by_name_ ABSL_GUARDED_BY(mu_);
  std::map<Key, QueueEntry> queue_ ABSL_GUARDED_BY(mu_);  // every candidate pod
  std::set<ActiveKey> active_ ABSL_GUARDED_BY(mu_);                // dirty, backoff over
  std::set<std::pair<absl::Time, Key>> backoff_ ABSL_GUARDED_BY(mu_);  // dirty, in backoff
  std::set<Key> parked_ ABSL_GUARDED_BY(mu_);                      // unschedulable, waiting for a change
  std::set<Key> parked_for_capacity_ ABSL_GUARDED_BY(mu_);  // ... refused by in-tree filters alone
  // node → requests of the pods charged to it (with "pods": their count).
  std::unordered_map<std::string, api::Resources> used_ ABSL_GUARDED_BY(mu_);  // looked up only
  // pod → (node, requests) it is charged with.
  std::map<Key, std::pair<std::string, api::Resources>> charged_ ABSL_GUARDED_BY(mu_);
  // Pods bound by this scheduler whose binding the informer has not shown yet: key → (node, requests).
  std::map<Key, std::pair<std::string, api::Resources>> assumed_ ABSL_GUARDED_BY(mu_);
  std::map<Key, SchedulingFailure> failures_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> bindings_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by every scheduling-relevant change
  size_t next_start_node_ ABSL_GUARDED_BY(mu_) = 0;   // rotation over a pinned pod's nodes
  std::string next_start_name_ ABSL_GUARDED_BY(mu_);  // rotation over all nodes (name order)
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  SchedulerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::sim
