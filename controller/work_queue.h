// controller/work_queue.h
//
// WorkQueue: the controller's queue of JobSet keys ("<namespace>/<name>"), with the guarantees
// Kubernetes controllers rely on:
//  - a key is handed to at most one worker at a time (per-key serialization); adding a key that is
//    being processed marks it dirty, and it is handed out again after Done();
//  - a key queued several times is processed once (deduplication);
//  - AddAfter delays a key; AddRateLimited delays it by base × 2^(failures) capped at max (exponential
//    per-key backoff), Forget resets the failure count.
// Thread-safe. Delays use the clock given (the real clock by default).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace phalanx::controller {

class WorkQueue {
 public:
  explicit WorkQueue(absl::Duration base_delay = absl::Milliseconds(5),
                     absl::Duration max_delay = absl::Seconds(1000), const Clock* clock = nullptr);

  void Add(const std::string& key);
  void AddAfter(const std::string& key, absl::Duration delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;

  // Blocks until a key is ready; nullopt once ShutDown() was called.
  std::optional<std::string> Get();
  // Get without blocking: a key ready now, else nullopt.
  std::optional<std::string> TryGet();
  // When the earliest delayed key becomes ready; InfiniteFuture if none is delayed.
  absl::Time NextDelayed() const;
  // The worker finished `key` (from Get).
  void Done(const std::string& key);
  void ShutDown();

  // Keys ready now (not counting delayed or in-process ones).
  size_t Len() const;
  // True when nothing is queued, delayed or in process.
  bool Idle() const;

 private:
  void AddLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PromoteDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::optional<std::string> PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RealClock real_clock_;
  const Clock& clock_;
  const absl::Duration base_delay_;
  const absl::Duration max_delay_;
  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> processing_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, std::string> waiting_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace phalanx::controller
