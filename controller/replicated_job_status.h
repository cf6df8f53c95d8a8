// controller/replicated_job_status.h
//
// status.replicatedJobsStatus, recomputed every reconcile from the current attempt's Jobs (reference
// §1.10): per replicated job in spec order, ready / succeeded / failed / active / suspended. Jobs whose
// replicatedjob-name label names no replicated job of the spec are not counted. Pure.
#pragma once

#include <string_view>
#include <vector>

#include "api/jobset.h"
#include "controller/classification.h"

namespace phalanx::controller {

std::vector<api::ReplicatedJobStatus> ComputeReplicatedJobsStatus(const api::JobSet& jobset,
                                                                  const ChildJobs& jobs);

// Equal as map-lists keyed by name (order ignored), comparing the counters and jobRestarts arrays.
bool SameReplicatedJobsStatus(const std::vector<api::ReplicatedJobStatus>& a,
                              const std::vector<api::ReplicatedJobStatus>& b);

// The entry named `name`, or nullptr.
const api::ReplicatedJobStatus* FindReplicatedJobStatus(const std::vector<api::ReplicatedJobStatus>& statuses,
                                                        std::string_view name);

}  // namespace phalanx::controller
