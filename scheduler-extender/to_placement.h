// scheduler-extender/to_placement.h
//
// Kubernetes objects (api/) → the placement engine's value types (placement/): nodes, bound pods,
// pod eligibility, and a JobSet's demand. Shared by the extender and `phalanx plan`, so both reason
// about a cluster identically. Pure.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "api/jobset.h"
#include "api/scheduling.h"
#include "placement/gang.h"
#include "placement/model.h"

namespace phalanx::extender {

placement::Node ToNode(const api::NodeInfo& node);

// The Job a JobSet pod belongs to, from its labels jobset-uid, replicatedjob-name and job-index (all
// three present and the index an integer), else nullopt.
std::optional<placement::JobKey> JobKeyOf(const api::PodInfo& pod);

// The pod as a bound pod, or nullopt when it holds nothing (not bound, or Succeeded/Failed).
// JobSet pods carry their JobKey.
std::optional<placement::BoundPod> ToBoundPod(const api::PodInfo& pod);

placement::Eligibility ToEligibility(const api::PodScheduling& pod);
placement::ResourceList ToResources(const api::Resources& resources);

// The JobSet's demand: per replicated job, replicas × parallelism pods with the pod template's
// requests and eligibility; gang policy, exclusive and colocate keys from the JobSet and Job-template
// annotations. The gang identity is the JobSet UID, or "<namespace>/<name>" for a JobSet not yet
// created (offline planning). kInvalidArgument for an unknown gang policy or a malformed template.
absl::StatusOr<placement::JobSetDemand> ToJobSetDemand(const api::JobSet& jobset);

}  // namespace phalanx::extender
