// scheduler-extender/to_placement.h
//
// Kubernetes objects (api/) → the placement engine's value types (placement/): nodes, bound pods,
// pod eligibility, and a JobSet's demand. Shared by the extender and `phalanx plan`, so both reason
// about a cluster identically. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

// Gang membership through the owner chain (Pod -> Job -> JobSet). Labels are written by whoever
// creates the pod, so they only claim a Job: a pod of another tenant can copy them. The claim holds
// when the pod lives in the JobSet's namespace (the tenant boundary) and its controller owner is the
// batch/v1 Job "<jobset>-<replicatedJob>-<index>" that the JobSet's controller creates for the key —
// the JobSet name and namespace taken from the JobSet the extender knows by the claimed UID, never
// from the pod. The API server does not authenticate ownerReferences, so within one namespace this is
// as strong as any check can be (whoever may create pods there may also edit the JobSet); across
// namespaces a copied label set never holds. No Job informer needed: one string comparison per pod.
struct MemberClaim {
  std::string ns;         // the pod's namespace
  std::string owner_job;  // name of the controller owner when it is a batch/v1 Job, else ""
};
MemberClaim ClaimOf(const api::PodInfo& pod);
bool ClaimHolds(const MemberClaim& claim, const placement::JobKey& job, std::string_view jobset_namespace,
                std::string_view jobset_name);

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
