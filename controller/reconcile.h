// controller/reconcile.h
//
// One reconcile of a JobSet as a pure function: the observed JobSet, the Jobs and Services it owns and
// the time → a Plan of API actions, the new status (only when it changed) and the events to emit after
// the status write. It follows upstream JobSet's order exactly (reference §4.2):
//   skip if being deleted or managedBy names another controller → classify Jobs, recompute
//   replicatedJobsStatus → finished: delete active Jobs, apply TTL, stop → delete previous-attempt
//   Jobs → RestartingJobSet=False/JobsReady when all ready → failed Jobs: failure policy, stop →
//   succeeded Jobs: success policy, stop if satisfied → headless Service → create missing Jobs
//   (BlockingRecreate, InOrder, dependsOn) → suspend or resume.
// Classic behaviour: the RestartJob, InPlaceRestart and ElasticJobSet gates are off; PVCs of
// volumeClaimPolicies are not created. Jobs not controlled by this JobSet (by owner uid) are ignored.
// Callers apply deletions, the Service, creations and updates, then write `new_status` once (a
// conflict means: reconcile again), then emit `events`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/job.h"
#include "api/jobset.h"
#include "controller/conditions.h"

namespace phalanx::controller {

struct JobRef {
  std::string name;
  std::string uid;
  friend bool operator==(const JobRef&, const JobRef&) = default;
};

// Suspend or resume of an existing Job: the whole Job to PUT (resourceVersion as observed).
struct JobUpdate {
  api::Job job;
  // Resume of a started Job: first a status write with startTime cleared (Kubernetes forbids pod
  // template edits of a started Job), then the PUT.
  bool clear_start_time = false;
};

struct Plan {
  // Being deleted, or managed by another controller: do nothing at all.
  bool skip = false;
  std::vector<JobRef> delete_jobs;  // foreground propagation, uid precondition
  std::optional<api::Service> create_service;
  std::vector<api::Job> create_jobs;
  std::vector<JobUpdate> update_jobs;
  // TTL expired: delete the JobSet with foreground propagation.
  bool delete_jobset = false;
  std::optional<api::JobSetStatus> new_status;  // present iff the status changed
  std::vector<Event> events;
  // The terminal condition set by this reconcile (for the completed/failed counters).
  StatusUpdate::Terminal terminal = StatusUpdate::Terminal::kNone;
  std::optional<absl::Duration> requeue_after;
};

// Errors: a child Job with a malformed restart-attempt label, a gated failure-policy action, an unusable
// terminal-condition time with a TTL. The caller retries with backoff.
absl::StatusOr<Plan> Reconcile(const api::JobSet& jobset, const std::vector<api::Job>& jobs,
                               const std::vector<api::Service>& services, absl::Time now);

// The same over pointers (the runner's cache hands out shared Jobs; no copies).
absl::StatusOr<Plan> Reconcile(const api::JobSet& jobset, const std::vector<const api::Job*>& jobs,
                               const std::vector<const api::Service*>& services, absl::Time now);

}  // namespace phalanx::controller
