// controller/exclusive_repair_loop.h
//
// ExclusiveRepairLoop: the impure half of controller/exclusive_repair.h — informers on JobSet pods
// (label jobset.sigs.k8s.io/jobset-name exists) and on Nodes, a queue of leader pods
// ("<namespace>/<name>"), one worker. A leader is queued when it or any pod of its Job changes; for
// each: DecideRepair over the cached pods of its job-key, then for every follower to remove: patch the
// DisruptionTarget condition onto pods/status (strategic merge, skipped when present; a failed write
// skips that pod's deletion) and delete it with background propagation, at most `max_parallelism` calls
// at a time. Errors and unknown topology requeue the leader with backoff.
// Runs only where upstream exclusive placement is used (phalanx-controller --exclusive-placement=upstream).
// Thread-safe; Start() once, Stop() once.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controller/exclusive_repair.h"
#include "controller/work_queue.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace phalanx::controller {

struct ExclusiveRepairOptions {
  int max_parallelism = 50;
  std::string namespace_;        // "" = all namespaces
  const Clock* clock = nullptr;  // nullptr = real clock
};

class ExclusiveRepairLoop {
 public:
  ExclusiveRepairLoop(kube::Client& client, ExclusiveRepairOptions options = {});
  ~ExclusiveRepairLoop();  // Stop()
  ExclusiveRepairLoop(const ExclusiveRepairLoop&) = delete;
  ExclusiveRepairLoop& operator=(const ExclusiveRepairLoop&) = delete;

  void Start();
  void Stop();
  bool WaitForSync(absl::Duration timeout) const;
  bool Idle() const { return queue_.Idle(); }

  // One pass over leader "<ns>/<name>" now, on the calling thread.
  absl::Status RepairLeader(const std::string& key);
  // Followers deleted so far (for tests and logs).
  int64_t Deleted() const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name | job-key

  void OnPod(const kube::Object& obj);
  void OnPodDeleted(const kube::Object& obj);
  void Worker();

  kube::Client& client_;
  const ExclusiveRepairOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  WorkQueue queue_;
  std::unique_ptr<kube::Informer> pods_;
  std::unique_ptr<kube::Informer> nodes_;
  std::thread worker_;

  mutable absl::Mutex mu_;
  std::map<Key, RepairPod> pods_by_name_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::set<std::string>> names_by_job_ ABSL_GUARDED_BY(mu_);  // (ns, job-key) → names
  std::map<std::string, std::map<std::string, std::string>> node_labels_ ABSL_GUARDED_BY(mu_);
  int64_t deleted_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace phalanx::controller
