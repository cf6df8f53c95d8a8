// webhook/planner_watch.h
//
// "Never hang": in Phalanx mode every exclusive/gang pod gets the gate phalanx.dev/placement, and only
// phalanx-extender's planner removes it. The planner runs where the holder of the Lease
// `phalanx-extender` (namespace phalanx-system by default) renews it; when nobody does, gated pods would
// wait forever without a word. PlannerWatch follows that Lease and
//   - exports phalanx_planner_available (1 / 0) and phalanx_webhook_gated_without_planner_total on the
//     webhook's /metrics, for alerts;
//   - records one Warning Event `PlannerUnavailable` on the JobSet of a pod gated while the planner is
//     unavailable — once per JobSet per outage, never per pod (the first gated pod of each JobSet).
// /readyz deliberately does not turn red: the webhook's readiness removes it from its Service, and with
// failurePolicy Fail that would stop every JobSet pod from being created.
//
// Availability (PlannerTracker, pure): the Lease has a holder, and its record (holder, renewTime) changed
// within leaseDurationSeconds + grace of local time, measured from when this process saw it change (as
// leader election does, so clock skew between machines does not matter). No Lease at all counts as
// unavailable once `grace` has passed since start. An extender started without --leader-elect holds no
// Lease: disable the check there (--planner-check=false).
// Thread-safe: NoteGated() is called from admission threads and never blocks on the API.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "common/clock.h"
#include "kube/client.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"

namespace phalanx::webhook {

inline constexpr std::string_view kPlannerUnavailableReason = "PlannerUnavailable";

struct LeaseRecord {
  std::string holder;      // spec.holderIdentity
  std::string renew_time;  // spec.renewTime, as on the wire
  int64_t duration_seconds = 15;  // spec.leaseDurationSeconds
};
// Reads a coordination.k8s.io/v1 Lease (JSON). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<LeaseRecord> ReadLease(std::string_view json);

// The availability rule and the once-per-JobSet-per-outage bookkeeping. Pure (time is passed in);
// not thread-safe on its own (PlannerWatch locks it).
class PlannerTracker {
 public:
  PlannerTracker(absl::Time start, absl::Duration grace);
  // The Lease as last seen (nullopt: deleted / never seen).
  void ObserveLease(const std::optional<LeaseRecord>& lease, absl::Time now);
  bool Available(absl::Time now) const;
  // True when an Event should be sent now for JobSet `uid` (planner unavailable, not yet warned in this
  // outage). Warned JobSets are forgotten when the planner is seen available again.
  bool ShouldWarn(const std::string& jobset_uid, absl::Time now);
  // Forgets warned JobSets while the planner is available (called periodically).
  void Tick(absl::Time now);

 private:
  const absl::Time start_;
  const absl::Duration grace_;
  std::optional<LeaseRecord> lease_;
  absl::Time changed_at_;  // when lease_'s holder/renewTime last changed (local time)
  std::set<std::string> warned_;
};

// The Event's note.
std::string PlannerUnavailableNote(std::string_view lease_namespace, std::string_view lease_name);

struct PlannerWatchOptions {
  std::string lease_namespace = "phalanx-system";
  std::string lease_name = "phalanx-extender";
  absl::Duration grace = absl::Seconds(30);
  absl::Duration tick = absl::Seconds(1);  // how often the gauge and the Event queue are served
  const Clock* clock = nullptr;            // nullptr = real clock
  std::string reporting_instance = "phalanx-webhook";
};

class PlannerWatch {
 public:
  PlannerWatch(kube::Client& client, PlannerWatchOptions options = {});
  ~PlannerWatch();  // Stop()
  PlannerWatch(const PlannerWatch&) = delete;
  PlannerWatch& operator=(const PlannerWatch&) = delete;

  void Start();
  void Stop();

  bool Available() const;
  // A pod was just given the placement gate (PodWebhookOptions::on_gated).
  void NoteGated(const api::Pod& pod);
  // Prometheus text for the webhook's /metrics.
  std::string RenderMetrics() const;
  int64_t EventsSent() const;

 private:
  void Loop();
  void OnLease(const kube::Object* lease);

  kube::Client& client_;
  const PlannerWatchOptions options_;
  RealClock real_clock_;
  const Clock& clock_;
  kube::EventRecorder recorder_;
  std::unique_ptr<kube::Informer> leases_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  PlannerTracker tracker_ ABSL_GUARDED_BY(mu_);
  std::deque<kube::ObjectReference> pending_ ABSL_GUARDED_BY(mu_);
  int64_t gated_without_planner_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t events_sent_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace phalanx::webhook
