// sim/job_controller.h
//
// JobController: an emulated Kubernetes Job controller on a kube::MemoryCluster, for end-to-end tests of
// the JobSet controller and for the simulator. It watches Jobs and Pods and, per Job:
//  - creates Indexed pods (`<job>-<index>-<suffix>`, owner reference to the Job with
//    blockOwnerDeletion, labels/annotations batch.kubernetes.io/job-name, controller-uid and
//    job-completion-index) for indexes neither succeeded nor running, up to spec.parallelism;
//    new pods go straight to phase Running and Ready (no node) unless `pods_start_ready` is false; with
//    `run_pods_without_scheduler` false they are created Pending and unbound instead, for a scheduler
//    (sim::Scheduler) to place and a kubelet (sim::Kubelet) to run;
//  - sets status active / ready / succeeded / failed / startTime, and the terminal conditions as a
//    v1.36 control plane does (fixtures get-job-complete / get-job-failed): SuccessCriteriaMet +
//    Complete (CompletionsReached) once every index succeeded, FailureTarget + Failed
//    (BackoffLimitExceeded) once failed pods exceed spec.backoffLimit (default 6); active pods of a
//    finished Job are deleted;
//  - spec.podFailurePolicy: each Failed pod (in name order) is matched against the rules in order, the
//    first match deciding — onExitCodes (containerName optional; In / NotIn over the non-zero exit
//    codes of terminated init and regular containers) or onPodConditions (type, status default True);
//    FailJob: the Job fails at once, FailureTarget + Failed with reason PodFailurePolicy and upstream's
//    message ("Container <c> for pod <ns>/<pod> failed with exit code <n> matching FailJob rule at index
//    <i>" / "Pod <ns>/<pod> has condition <type> matching FailJob rule at index <i>"); Ignore: the pod
//    counts neither in status.failed nor against backoffLimit (its index is started again); Count (and
//    FailIndex, not modelled) or no match: counted as usual;
//  - honours spec.suspend: deletes running pods and sets Suspended=True (JobSuspended); on resume flips
//    it to False (JobResumed) and starts pods again;
//  - deletes the pods of a Job that is being deleted (the cluster's garbage collector does the same),
//    and pods left behind by a deleted Job of the same name.
// Tests drive pods with SucceedIndex / FailIndex. Timestamps (startTime, completionTime, condition
// times) come from options.clock.
// Two modes: Start() runs informers and a worker thread; or, without Start(), Step() does the same on
// the caller's thread (the simulator's deterministic driver). Use one or the other. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kube/informer.h"
#include "kube/memory_cluster.h"

namespace phalanx::sim {

struct JobControllerOptions {
  bool pods_start_ready = true;
  // True: pods skip scheduling (Running at once, or Pending until MakeReady when pods_start_ready is
  // false). False: pods are created Pending without spec.nodeName and left to a scheduler and kubelet;
  // pods_start_ready is then ignored.
  bool run_pods_without_scheduler = true;
  // Timestamps written; nullptr = the real clock.
  const Clock* clock = nullptr;
};

class JobController {
 public:
  explicit JobController(kube::MemoryCluster& cluster, JobControllerOptions options = {});
  ~JobController();  // Stop()
  JobController(const JobController&) = delete;
  JobController& operator=(const JobController&) = delete;

  void Start();
  void Stop();

  // Without Start(): sets up the informers on the first call, pumps them, then syncs every queued Job
  // (in queue order), pumping again after each, until none is left. A Job whose sync failed is retried
  // one virtual second later. True if it applied any change or synced anything.
  bool Step();
  // When a failed sync is retried (InfiniteFuture if none).
  absl::Time NextWakeup() const;

  // Brings one Job's pods and status up to date now (the worker calls this on every change).
  absl::Status SyncJob(const std::string& ns, const std::string& name);

  // Marks the running pod of completion index `index` of Job `job` Succeeded / Failed (with `reason`
  // on the pod status). kNotFound if no such running pod.
  absl::Status SucceedIndex(const std::string& ns, const std::string& job, int index);
  absl::Status FailIndex(const std::string& ns, const std::string& job, int index);
  // Every running pod of the Job succeeds (kNotFound if it has none).
  absl::Status SucceedJob(const std::string& ns, const std::string& job);
  // Marks every running pod of the Job Running and Ready (when pods_start_ready is false; kNotFound if
  // it has none).
  absl::Status MakeReady(const std::string& ns, const std::string& job);

  // Number of pods ever created.
  int64_t PodsCreated() const;

 private:
  void Setup();
  void Enqueue(const std::string& ns, const std::string& name);
  void Run();
  absl::Status SetPodPhase(const std::string& ns, const std::string& job, int index, const std::string& phase);
  absl::Status SetPodPhaseRetrying(const std::string& ns, const std::string& job, int index, const std::string& phase);

  std::string Now() const;

  // What a sync reads of one pod, decoded once per pod version (RapidJSON) and kept by namespace/name.
  struct PodView {
    std::string uid;
    std::string resource_version;
    std::string name;
    std::string phase;  // "Pending" when status or status.phase is absent
    int index = -1;     // the completion-index annotation; -1 when absent or not a number
    bool deleting = false;
    bool ready = false;  // the first Ready condition has status "True"
    std::string job_name;        // label batch.kubernetes.io/job-name
    std::string controller_uid;  // label batch.kubernetes.io/controller-uid
    // Same for the sync's outcome (a Failed pod's status is read again, whole, by the failure policy).
    bool SameOutcome(const PodView& o) const {
      return name == o.name && phase == o.phase && index == o.index && deleting == o.deleting && ready == o.ready &&
             job_name == o.job_name && controller_uid == o.controller_uid;
    }
  };
  // The view of `obj` (from the memo when its version was seen already). `*changed` (optional) is set when
  // it differs from the version seen before in what a sync reads (or none was seen).
  PodView ViewOf(const kube::Object& obj, bool* changed);

  kube::MemoryCluster& cluster_;
  const JobControllerOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  std::unique_ptr<kube::Informer> jobs_;
  std::unique_ptr<kube::Informer> pods_;
  std::thread worker_;
  mutable absl::Mutex mu_;
  std::deque<std::pair<std::string, std::string>> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<std::string, std::string>> queued_ ABSL_GUARDED_BY(mu_);
  // Stepped mode: Jobs whose sync failed → when to try again.
  std::map<std::pair<std::string, std::string>, absl::Time> retry_at_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int64_t pods_created_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<std::string, std::string>, PodView> pod_views_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::sim
