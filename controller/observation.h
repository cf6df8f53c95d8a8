// controller/observation.h
//
// Observe: what one reconcile sees of a JobSet's children, in a single pass over the Jobs — the Jobs it
// controls (controller owner reference to this JobSet's uid, kind and apiVersion) sorted into the
// buckets of ClassifyJobs, the replicatedJobsStatus counters of ComputeReplicatedJobsStatus, and the set
// of names taken. Same results as calling those two; one pass because a 10,000-Job JobSet makes the
// reconcile memory-bound (each Job is touched once). Failed Jobs come out in name order (the API
// server's list order, which breaks ties between equal failure times as upstream does). Pure; the
// result points into the Jobs passed in.
#pragma once

#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "api/job.h"
#include "api/jobset.h"
#include "controller/classification.h"

namespace phalanx::controller {

struct Observation {
  ChildJobs jobs;
  std::vector<api::ReplicatedJobStatus> statuses;
  absl::flat_hash_set<std::string_view> names;  // every controlled Job, any bucket
};

// kInvalidArgument as ClassifyJobs.
absl::StatusOr<Observation> Observe(const api::JobSet& jobset, const std::vector<const api::Job*>& jobs);

}  // namespace phalanx::controller
