// controller/startup.h
//
// Start-up ordering (reference §4.8–§4.9). DependsOn: a replicated job proceeds (creation, resume)
// only when each listed dependency has reached its status in the current counters — Ready: ready +
// succeeded + failed == replicas; Complete: succeeded == replicas. A dependency without a status entry
// is not reached; one not visited yet in spec order counts as 0 replicas, as upstream. InOrder
// (deprecated StartupPolicy): a replicated job counts as started when ready + succeeded + failed ==
// replicas. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/jobset.h"

namespace phalanx::controller {

bool InOrderStartup(const api::JobSet& jobset);

// `replicas_seen`: replicas of the replicated jobs visited so far in spec order (including `rjob`).
bool DependenciesReached(const api::ReplicatedJob& rjob, const std::map<std::string, int32_t>& replicas_seen,
                         const std::vector<api::ReplicatedJobStatus>& statuses);

// ready + succeeded + failed == replicas (a missing status counts as all zero).
bool AllReplicasStarted(int32_t replicas, const api::ReplicatedJobStatus* status);

}  // namespace phalanx::controller
