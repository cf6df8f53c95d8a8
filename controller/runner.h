// controller/runner.h
//
// Runner: the thin, impure half of the controller. It keeps informers on JobSets, Jobs and Services
// (owned objects enqueue their controlling JobSet), a WorkQueue of JobSet keys served by `workers`
// threads once every informer has synced, and for each key: decode the cached JobSet and its owned Jobs, call the pure Reconcile, then
// apply the Plan through kube::Client in upstream's order —
//   deletions (foreground, uid precondition) → headless Service → Job creations → Job suspend/resume
//   updates (status write clearing startTime first when needed), each fan-out with at most
//   `max_parallelism` concurrent calls → one JobSet status write (409 → requeue) → Events → metrics →
//   TTL deletion of the JobSet.
// Any failed step ends the reconcile with an error and a rate-limited requeue (no status write);
// AlreadyExists on create and NotFound on delete count as done (the cache was behind). A JobSet whose
// managedBy names another controller is left completely alone.
// Thread-safe; Start() once, Stop() once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/job.h"
#include "common/clock.h"
#include "controller/metrics.h"
#include "controller/work_queue.h"
#include "kube/client.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"

namespace phalanx::controller {

struct RunnerOptions {
  int workers = 2;
  int max_parallelism = 50;  // concurrent API calls per fan-out (upstream MaxParallelism)
  std::string namespace_;    // "" = all namespaces
  const Clock* clock = nullptr;  // nullptr = real clock
  Metrics* metrics = nullptr;    // nullptr = none
  std::string reporting_instance = "phalanx-controller";
  // Test hook for crash safety: called at "after-deletes" and "after-status-write" with the JobSet key;
  // returning true makes the runner behave as if the process died right there (the reconcile stops, and
  // every later key is dropped unprocessed).
  std::function<bool(std::string_view point, const std::string& key)> crash_point;
};

class Runner {
 public:
  Runner(kube::Client& client, RunnerOptions options = {});
  ~Runner();  // Stop()
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void Start();
  void Stop();
  bool WaitForSync(absl::Duration timeout) const;

  // The simulator's way, instead of Start(): pumps the informers and reconciles every key due at the
  // clock's now, on the calling thread, until none is left. Returns true if anything changed or ran.
  bool Step();
  // When a key waits only for time (a requeue or backoff): the earliest such time; InfiniteFuture if
  // none.
  absl::Time NextWakeup() const;

  // One reconcile of "<ns>/<name>" now, on the calling thread. Returns the requeue delay the plan asked
  // for, if any.
  absl::StatusOr<std::optional<absl::Duration>> ReconcileKey(const std::string& key);

  // True after a crash_point fired.
  bool Crashed() const;
  // True when the queue holds nothing (for tests waiting for quiescence).
  bool Idle() const { return queue_.Idle(); }

 private:
  // Creates the informers and their handlers (once).
  void Setup();
  void Worker();
  // One key from the queue: reconcile, requeue as the result asks, Done.
  void Process(const std::string& key);
  void OnJob(const kube::Object* old_obj, const kube::Object* new_obj);
  void OnService(const kube::Object& obj);
  std::vector<std::shared_ptr<const api::Job>> OwnedJobs(const std::string& uid) const;
  bool CrashAt(std::string_view point, const std::string& key);

  kube::Client& client_;
  RunnerOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  kube::EventRecorder recorder_;
  WorkQueue queue_;
  std::unique_ptr<kube::Informer> jobsets_;
  std::unique_ptr<kube::Informer> jobs_;
  std::unique_ptr<kube::Informer> services_;
  std::vector<std::thread> workers_;

  mutable absl::Mutex mu_;
  // Owner JobSet uid → job "<ns>/<name>" → decoded Job.
  std::map<std::string, std::map<std::string, std::shared_ptr<const api::Job>>> jobs_by_owner_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> owner_of_job_ ABSL_GUARDED_BY(mu_);
  bool crashed_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// The Job informer's cache transform: identity and owner references only. The runner keeps its own
// decoded api::Job per owner (what Reconcile reads and what Job updates are built from) and reads
// nothing else of a Job back from the informer, so caching the whole object would hold each Job twice.
void KeepJobIdentity(kube::Object& job);

// Runs fn(0..n-1) with at most `max_parallel` calls in flight; returns the first error (all run).
absl::Status ParallelFor(size_t n, int max_parallel, const std::function<absl::Status(size_t)>& fn);

}  // namespace phalanx::controller
