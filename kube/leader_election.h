// kube/leader_election.h
//
// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, as Kubernetes controllers do it.
// A candidate acquires the Lease when it is absent, released (empty holder) or expired — not renewed
// for leaseDurationSeconds as *observed locally* (the time this candidate last saw the record change,
// from the injected Clock, so clock skew between machines does not matter) — and then renews it every
// retry_period. A leader that cannot renew within renew_deadline stops leading. Stop() releases the
// Lease (empty holder) so a successor need not wait out the lease, unless release_on_stop is false.
// Writes carry the Lease's resourceVersion, so two candidates never both win (409 → retry later).
// Defaults follow upstream JobSet: lease 15 s, renew deadline 10 s, retry 2 s.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kube/client.h"

namespace phalanx::kube {

struct LeaderElectionConfig {
  std::string namespace_ = "default";
  std::string name;          // Lease name
  std::string identity;      // this candidate, unique (e.g. "<pod>_<uuid>")
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_stop = true;
};

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // holder changed (observed)
};

class LeaderElector {
 public:
  LeaderElector(Client& client, const Clock& clock, LeaderElectionConfig config, LeaderCallbacks callbacks = {});
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the acquire/renew loop on a thread of its own.
  void Start();
  // Stops the loop; releases the Lease if leading and release_on_stop. Idempotent.
  void Stop();

  bool IsLeader() const;
  // The holder last observed ("" if none).
  std::string Leader() const;

  // One acquire-or-renew step (what the loop does every retry_period). Returns whether this candidate
  // holds the Lease afterwards; errors are API failures other than a lost race (409 → false).
  absl::StatusOr<bool> TryAcquireOrRenew();
  // Gives up the Lease now if held (empty holder, as on Stop()).
  absl::Status Release();

 private:
  void Run();
  void SetLeader(bool leading);

  Client& client_;
  const Clock& clock_;
  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  std::string observed_record_ ABSL_GUARDED_BY(mu_);  // holder + renewTime, to detect changes
  absl::Time observed_time_ ABSL_GUARDED_BY(mu_);
  absl::Time last_renew_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::kube
