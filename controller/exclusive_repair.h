// controller/exclusive_repair.h
//
// The exclusive-placement repair loop's decisions (upstream's pod controller, reference/jobset.md §5.5),
// pure: no I/O, no clock. A scheduled, live leader pod (completion index "0", exclusive-topology
// annotation K, spec.nodeName set, no deletionTimestamp) defines its Job's domain: the label K of its
// node. Every other pod of the Job (same job-key label and the same controller owner uid) must carry
// nodeSelector[K] equal to it. When one does not (or has no nodeSelector at all):
//   - the leader's node is unknown (deleted, maintenance): nothing is deleted, the leader is retried;
//   - otherwise every follower of the Job is deleted (background propagation), each first getting the
//     pod condition DisruptionTarget=True, reason ExclusivePlacementViolation, message "Pod violated
//     JobSet exclusive placement policy" (skipped when already there), so a podFailurePolicy can ignore
//     these deletions.
// The leader's node without label K is an error (retried). Value types; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace phalanx::controller {

inline constexpr std::string_view kDisruptionTarget = "DisruptionTarget";
inline constexpr std::string_view kExclusivePlacementViolation = "ExclusivePlacementViolation";
inline constexpr std::string_view kExclusivePlacementViolationMessage = "Pod violated JobSet exclusive placement policy";

// What the loop knows about one pod.
struct RepairPod {
  std::string ns;
  std::string name;
  std::string uid;
  std::string owner_uid;  // controller ownerReference uid; "" when none
  std::string job_key;    // label jobset.sigs.k8s.io/job-key; "" when absent
  std::optional<std::string> exclusive_key;    // annotation alpha.jobset.sigs.k8s.io/exclusive-topology
  std::optional<std::string> completion_index;  // annotation batch.kubernetes.io/job-completion-index
  std::string node_name;
  std::optional<std::map<std::string, std::string>> node_selector;
  bool deleting = false;
  bool has_disruption_target = false;  // condition DisruptionTarget=True already present
};

// Reads a Pod (JSON text as the API sent it). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<RepairPod> ReadRepairPod(std::string_view pod_json);

// True for the pods the loop starts from: leader, scheduled, exclusive, not being deleted.
bool IsRepairLeader(const RepairPod& pod);

struct RepairDecision {
  // Followers to mark and delete (empty when placement is fine or must be retried).
  std::vector<RepairPod> delete_followers;
  // Set when the leader must be looked at again (unknown topology, node without the label).
  std::optional<std::string> retry;
};

// `job_pods`: pods with the leader's job-key (the leader itself may be among them; pods of another
// owner are ignored). `leader_node_labels`: nullopt when the leader's node is not known.
RepairDecision DecideRepair(const RepairPod& leader, const std::vector<RepairPod>& job_pods,
                            const std::optional<std::map<std::string, std::string>>& leader_node_labels);

// The strategic merge patch for pods/status adding the DisruptionTarget condition at `now`.
std::string DisruptionTargetPatch(absl::Time now);

}  // namespace phalanx::controller
