// scheduler-extender/planner.h
//
// Planner: the leader's loop around ExtenderState::Plan. While leading (SetLeading), it wakes on every
// cache change (Wake) or every `resync` and runs one round: Plan(now), then writes the reservation
// annotations (one JSON merge patch per JobSet, on metadata.annotations only), then — for gangs whose
// record is on the API — sends each member pod's ungate-and-pin JSON Patch (in parallel, `pin_workers`
// at a time), then the Events. Results go back to the state (Recorded / Pinned / PinFailed), so a failed
// write is retried next round and nothing is ungated before its reservation is recorded. When not
// leading it only calls Sync(), keeping this replica's reservations current for /filter.
// Start() runs the loop on a thread of its own. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kube/client.h"
#include "kube/event_recorder.h"
#include "scheduler-extender/metrics.h"
#include "scheduler-extender/state.h"

namespace phalanx::extender {

class Fencer;

struct PlannerOptions {
  absl::Duration resync = absl::Seconds(1);
  // Rounds are at least this far apart, so a burst of events (every pin echoes back) makes one round.
  absl::Duration min_interval = absl::Milliseconds(5);
  int pin_workers = 16;
  std::string reporting_instance;  // Events' reportingInstance (the pod name)
  // Fencing on: every round first brings node taints to the reservations (scheduler-extender/fencing.h),
  // before any member is ungated. Not owned; nullptr = off.
  Fencer* fencer = nullptr;
};

class Planner {
 public:
  // `ready` gates planning: no round runs before the caches have synced.
  Planner(kube::Client& client, ExtenderState& state, const Clock& clock, Metrics& metrics,
          std::function<bool()> ready, PlannerOptions options = {});
  ~Planner();  // Stop()
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  void Start();
  void Stop();
  void SetLeading(bool leading);
  bool leading() const { return leading_.load(); }
  // Something changed: run a round soon.
  void Wake();
  // One round now (also what the loop runs, and what the simulator calls on its own thread; with
  // pin_workers 1 every write is made in order on the calling thread). True if it wrote anything.
  bool RunOnce();

 private:
  void Loop();
  // True if it wrote anything.
  bool Execute(PlanActions actions);
  // fn(0..n-1) on up to `pin_workers` threads.
  void ForEach(size_t n, const std::function<void(size_t)>& fn);

  kube::Client& client_;
  ExtenderState& state_;
  const Clock& clock_;
  Metrics& metrics_;
  std::function<bool()> ready_;
  const PlannerOptions options_;
  kube::EventRecorder events_;
  std::atomic<bool> leading_{false};
  std::thread thread_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex round_mu_;  // one round at a time
};

}  // namespace phalanx::extender
