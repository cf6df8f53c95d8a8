// api/expand.h
//
// Expand: a JobSet → the child Jobs and headless Service its controller creates (upstream JobSet
// reference §2.1–§2.2, §3.1–§3.3), plus Phalanx's gang annotations (DESIGN §3). Pure and deterministic:
// the same JobSet and restart count always give the same objects, in spec order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/job.h"
#include "api/jobset.h"

namespace phalanx::api {

struct Expansion {
  std::vector<Job> jobs;           // every replicated job, every index, in spec order
  std::optional<Service> service;  // present when network.enableDNSHostnames is true
};

// kInvalidArgument when the JobSet has no metadata.name (a generateName alone is not yet a name).
absl::StatusOr<Expansion> Expand(const JobSet& jobset, int32_t restarts);

// One child Job: replicated job `rjob_index`, job index `job_index`, attempt `restarts`.
// Precondition: the JobSet has a name and `rjob_index` is in range.
Job ExpandJob(const JobSet& jobset, size_t rjob_index, int32_t job_index, int32_t restarts);

// The headless Service, or nullopt when DNS hostnames are not enabled.
std::optional<Service> ExpandService(const JobSet& jobset);

// network.subdomain when set and non-empty, else the JobSet name.
std::string Subdomain(const JobSet& jobset);

// The gang policy in force for a replicated job: its template annotation, else the JobSet's, else
// "Job" when exclusive placement is requested, else empty (no gang).
std::string GangPolicy(const JobSet& jobset, const ReplicatedJob& rjob);

// The exclusive-topology key for a replicated job (template annotation wins over the JobSet's).
std::optional<std::string> ExclusiveTopology(const JobSet& jobset, const ReplicatedJob& rjob);

}  // namespace phalanx::api
