// sim/kubelet.h
//
// Kubelet: a minimal emulated kubelet (one for every node) for end-to-end tests and the simulator,
// working through any kube::Client. It watches Pods and:
//  - starts pods bound to a node (spec.nodeName set) in phase Pending: a status write to phase Running
//    with PodReadyToStartContainers, Initialized, Ready and ContainersReady True, startTime and a running
//    containerStatus per container (the shape of fixture api/patch-pod-status-running);
//  - runs them: with options.run set, a started pod runs for the PodRun's duration (read on
//    options.clock) and then ends — exit code 0: phase Succeeded, every container terminated with
//    exitCode 0 reason Completed; else phase Failed, the first container terminated with that exit code
//    and reason (e.g. Error, OOMKilled), the others with 0 / Completed — with Ready and ContainersReady
//    False (reason PodCompleted / PodFailed), the shapes of fixtures api/patch-pod-status-succeeded-index0
//    and api/patch-pod-status-failed. Without run (or when it answers nullopt) a pod runs until stopped;
//  - FailPod(ns, name, exit_code, reason): a running pod's container dies now, as above;
//  - finishes graceful deletion: a pod with deletionTimestamp set (MemoryClusterOptions::
//    graceful_pod_deletion) is deleted again with gracePeriodSeconds 0, as a kubelet does once the
//    containers stopped;
//  - FailNode(name): the node's Ready condition goes False (reason KubeletNotReady), the node gets the
//    node.kubernetes.io/unreachable:NoExecute taint the node lifecycle controller adds, and every pod on
//    it that is not Succeeded/Failed becomes Failed with reason NodeLost ("Node <node> which was
//    running pod <pod> is unresponsive"), Ready and ContainersReady False, and DisruptionTarget True
//    (reason DeletionByTaintManager, as the taint-eviction controller marks the pods it evicts, so a
//    podFailurePolicy onPodConditions rule can match); pods bound to a failed node later fail the same
//    way instead of starting. RecoverNode(name): Ready True again, the taint removed, new pods start.
// Pod status writes replace the status of the version the decision was made on (conditions merged by
// type), so a pod that changed meanwhile answers 409 and is looked at again on its next event; other
// failures are retried on the next pass. Node Ready is a strategic-merge status patch; the taint an
// update of the node (retried on conflicts).
// Two modes: Start() runs an informer and a worker thread (passes every 200 ms at most); or, without
// Start(), Step() does the same on the caller's thread (the simulator's deterministic driver) and
// NextWakeup() says when the next pod ends. Use one or the other. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace phalanx::sim {

// How a started pod runs: for `duration`, then it ends with `exit_code` (0 = Succeeded, else Failed
// with `reason`, "Error" when empty).
struct PodRun {
  absl::Duration duration;
  int exit_code = 0;
  std::string reason;
};

struct KubeletOptions {
  // Start bound pods (Pending → Running). Off: pods stay Pending (tests drive them).
  bool start_pods = true;
  // Finish graceful deletions (deletionTimestamp set → delete with gracePeriodSeconds 0).
  bool finish_deletions = true;
  // Asked once per pod when it starts; nullptr or nullopt = the pod runs until stopped.
  std::function<std::optional<PodRun>(const kube::Object& pod)> run;
  // Pod run times and the timestamps written; nullptr = the real clock.
  const Clock* clock = nullptr;
};

class Kubelet {
 public:
  explicit Kubelet(kube::Client& client, KubeletOptions options = {});
  ~Kubelet();  // Stop()
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  void Start();
  void Stop();
  bool WaitForSync(absl::Duration timeout) const;

  // Without Start(): sets up the informer on the first call, pumps it, then does every pod action due
  // at the clock's now (starts, ends, node failures, deletions), pumping again after its own writes,
  // until none is left. True if it applied any change or wrote anything. Deterministic (pods in
  // namespace/name order).
  bool Step();
  // When the next running pod ends (InfiniteFuture if none is timed).
  absl::Time NextWakeup() const;

  // Node failure and recovery (see the file comment). Errors of the node writes are returned
  // (kNotFound for an unknown node); pod updates are done by the worker (or the next Step()).
  absl::Status FailNode(const std::string& node);
  absl::Status RecoverNode(const std::string& node);
  // The running pod ns/name fails now with `exit_code` (0 is taken as 1: a failure) and `reason`
  // ("Error" when empty). kNotFound if there is no such pod, kFailedPrecondition if it is not Running
  // (or is being deleted); write errors as returned by the client.
  absl::Status FailPod(const std::string& ns, const std::string& name, int exit_code, const std::string& reason);

  int64_t PodsStarted() const;
  int64_t PodsFailed() const;     // failed by a node failure
  int64_t PodsFinished() const;   // ended by their run or FailPod (Succeeded or Failed)
  int64_t DeletionsFinished() const;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Ending {
    absl::Time at;
    int exit_code = 0;
    std::string reason;
  };
  // What a decision about a pod needs, kept by the informer handlers (the informer's cache keeps no
  // object bodies).
  struct PodView {
    bool readable = false;
    std::string node;
    std::string phase;
    bool deleting = false;
    std::string uid;
  };
  void Setup();
  void Observe(const kube::Object* obj);
  void Enqueue(const std::string& ns, const std::string& name);
  void Run();
  // One pass: syncs queued (and retried) pods, ends pods that are due. True if anything was written.
  bool Pass();
  // Brings one pod in line; false if a write failed (retried later). `*wrote` set on a write.
  bool SyncPod(const Key& key, bool* wrote);
  // Ends a running pod with `exit_code`/`reason` (the terminated status above). Returns the write's
  // status; kNotFound / kFailedPrecondition when the pod is gone / not Running.
  absl::Status EndPod(const Key& key, int exit_code, const std::string& reason);
  absl::Status SetNodeReady(const std::string& node, bool ready);
  absl::Status SetUnreachableTaint(const std::string& node, bool present);
  // Queues every pod known to be bound to `node`.
  void EnqueueNode(const std::string& node);

  kube::Client& client_;
  const KubeletOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  std::unique_ptr<kube::Informer> pods_;
  std::thread worker_;
  mutable absl::Mutex mu_;
  std::set<Key> queue_ ABSL_GUARDED_BY(mu_);
  std::map<Key, PodView> views_ ABSL_GUARDED_BY(mu_);
  std::set<Key> retry_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> failed_nodes_ ABSL_GUARDED_BY(mu_);
  // Where each pod seen is bound (so a node failure looks only at its own pods).
  std::map<Key, std::string> node_of_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<Key>> pods_by_node_ ABSL_GUARDED_BY(mu_);
  // Timed running pods: when each ends, and the same in time order.
  std::map<Key, Ending> endings_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, Key>> ending_order_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t started_pods_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failed_pods_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t finished_pods_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t deletions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::sim
