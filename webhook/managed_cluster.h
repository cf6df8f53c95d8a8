// webhook/managed_cluster.h
//
// Pod webhook options for managed clusters (GKE, EKS, AKS…), where Phalanx placement runs as a second
// scheduler (a kube-scheduler profile with the extender) and the planner fences reserved domains with the
// taint phalanx.dev/reserved=<JobSet uid>:NoSchedule (scheduler-extender/fencing.h):
//   - scheduler_name: the pods the mutating webhook gates get spec.schedulerName = <name>, so they go to
//     the Phalanx profile; set only when the pod names the default scheduler ("" or
//     "default-scheduler") — a pod naming another scheduler keeps it, with a warning;
//   - tolerate_fence_in_daemonsets: pods controlled by a DaemonSet (apps/v1) get the toleration
//     {key: phalanx.dev/reserved, operator: Exists, effect: NoSchedule}, so a DaemonSet rollout still
//     reaches the nodes of reserved domains. Such pods reach the webhook only through a webhook
//     configuration that selects them (manifests/components/fencing).
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/json_patch.h"
#include "api/pod.h"

namespace phalanx::webhook {

inline constexpr std::string_view kFenceTaintKey = "phalanx.dev/reserved";

struct ManagedClusterOptions {
  std::string scheduler_name;              // "" = leave spec.schedulerName alone
  bool tolerate_fence_in_daemonsets = false;

  bool enabled() const { return !scheduler_name.empty() || tolerate_fence_in_daemonsets; }
};

// What the options read from the pod beyond api::Pod.
struct PodSchedulingShape {
  std::string scheduler_name;  // spec.schedulerName ("" when absent)
  bool has_tolerations = false;   // spec.tolerations is an array
  bool tolerates_fence = false;   // some toleration already covers phalanx.dev/reserved NoSchedule
};
// Reads a Pod (JSON). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<PodSchedulingShape> ReadPodSchedulingShape(std::string_view pod_json);

// True when the pod's controller is a DaemonSet (apps/v1).
bool IsDaemonSetPod(const api::Pod& pod);

// Appends the options' operations to `patch` (after the gate, when `gated`) and warnings to `warnings`.
void AddManagedClusterOps(const api::Pod& pod, const PodSchedulingShape& shape, bool gated,
                          const ManagedClusterOptions& options, api::JsonPatch& patch,
                          std::vector<std::string>& warnings);

}  // namespace phalanx::webhook
