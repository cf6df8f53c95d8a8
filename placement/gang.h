// placement/gang.h
//
// From a JobSet-shaped description to gangs. A JobSet has ReplicatedJobs, each with `replicas`
// child Jobs of `pods_per_job` identical pods. The gang policy (JobSet level, overridable per
// ReplicatedJob unless the JobSet level says JobSet) decides the unit placed all-or-nothing: each
// Job (default, upstream semantics), each ReplicatedJob, or the whole JobSet. Child Jobs are named
// "<jobset>-<replicatedjob>-<index>", as the controller names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "placement/model.h"

namespace phalanx::placement {

struct ReplicatedJobDemand {
  std::string name;
  int32_t replicas = 1;
  int32_t pods_per_job = 1;  // parallelism
  ResourceList requests;     // per pod
  Eligibility eligibility;
  std::string exclusive_key;          // overrides the JobSet's when set
  std::optional<GangPolicy> policy;   // overrides the JobSet's unless that is kJobSet
};

struct JobSetDemand {
  std::string uid;
  std::string namespace_name;  // metadata.namespace
  std::string name;            // metadata.name
  GangPolicy policy = GangPolicy::kJob;
  std::string exclusive_key;
  std::string colocate_key;
  int32_t priority = 0;
  absl::Time created = absl::UnixEpoch();
  std::vector<ReplicatedJobDemand> replicated_jobs;
};

// Gangs in ReplicatedJob and index order.
std::vector<GangDemand> MakeGangs(const JobSetDemand& js);

}  // namespace phalanx::placement
