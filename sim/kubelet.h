// sim/kubelet.h
//
// Kubelet: a minimal emulated kubelet (one for every node) for end-to-end tests and the simulator,
// working through any kube::Client. It watches Pods and:
//  - starts pods bound to a node (spec.nodeName set) in phase Pending: a status patch to phase Running
//    with PodReadyToStartContainers, Initialized, Ready and ContainersReady True, startTime and a running
//    containerStatus per container (the shape of fixture api/patch-pod-status-running);
//  - finishes graceful deletion: a pod with deletionTimestamp set (MemoryClusterOptions::
//    graceful_pod_deletion) is deleted again with gracePeriodSeconds 0, as a kubelet does once the
//    containers stopped;
//  - FailNode(name): the node's Ready condition goes False (reason KubeletNotReady) and every pod on
//    it that is not Succeeded/Failed becomes Failed with reason NodeLost ("Node <node> which was
//    running pod <pod> is unresponsive"), Ready and ContainersReady False; pods bound to a failed node
//    later fail the same way instead of starting. RecoverNode(name): Ready True again, and new pods
//    start there.
// Pod status writes replace the status of the version the decision was made on (conditions merged by
// type), so a pod that changed meanwhile answers 409 and is looked at again on its next event; other
// failures are retried on the worker's next pass (every 200 ms). Node Ready is a strategic-merge status
// patch. Thread-safe; one worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace phalanx::sim {

struct KubeletOptions {
  // Start bound pods (Pending → Running). Off: pods stay Pending (tests drive them).
  bool start_pods = true;
  // Finish graceful deletions (deletionTimestamp set → delete with gracePeriodSeconds 0).
  bool finish_deletions = true;
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

  // Node failure and recovery (see the file comment). Errors of the node status write are returned
  // (kNotFound for an unknown node); pod updates are done by the worker.
  absl::Status FailNode(const std::string& node);
  absl::Status RecoverNode(const std::string& node);

  int64_t PodsStarted() const;
  int64_t PodsFailed() const;
  int64_t DeletionsFinished() const;

 private:
  using Key = std::pair<std::string, std::string>;
  void Enqueue(const std::string& ns, const std::string& name);
  void Run();
  // Brings one pod in line; false if a write failed (retried later).
  bool SyncPod(const Key& key);
  absl::Status SetNodeReady(const std::string& node, bool ready);

  kube::Client& client_;
  const KubeletOptions options_;
  std::unique_ptr<kube::Informer> pods_;
  std::thread worker_;
  mutable absl::Mutex mu_;
  std::set<Key> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> failed_nodes_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t started_pods_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failed_pods_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t deletions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::sim
