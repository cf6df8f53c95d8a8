// api/labels.h
//
// Every label, annotation, finalizer and scheduling-gate key Phalanx reads or writes, in one place.
// Values and meaning follow upstream JobSet (jobset.sigs.k8s.io) where the key is upstream's; keys
// under phalanx.dev are Phalanx's own. Writer → reader is noted on each group.
#pragma once

#include <string_view>

namespace phalanx::api {

// JobSet API identity.
inline constexpr std::string_view kJobSetGroup = "jobset.x-k8s.io";
inline constexpr std::string_view kJobSetVersion = "v1alpha2";
inline constexpr std::string_view kJobSetApiVersion = "jobset.x-k8s.io/v1alpha2";
inline constexpr std::string_view kJobSetKind = "JobSet";
// spec.managedBy value that means "this controller".
inline constexpr std::string_view kJobSetControllerName = "jobset.sigs.k8s.io/jobset-controller";

// Controller → child Job and pod template, as label AND annotation (same value).
inline constexpr std::string_view kJobSetNameKey = "jobset.sigs.k8s.io/jobset-name";
inline constexpr std::string_view kJobSetUidKey = "jobset.sigs.k8s.io/jobset-uid";
inline constexpr std::string_view kReplicatedJobNameKey = "jobset.sigs.k8s.io/replicatedjob-name";
inline constexpr std::string_view kReplicatedJobReplicasKey =
    "jobset.sigs.k8s.io/replicatedjob-replicas";
inline constexpr std::string_view kGlobalReplicasKey = "jobset.sigs.k8s.io/global-replicas";
inline constexpr std::string_view kJobIndexKey = "jobset.sigs.k8s.io/job-index";
inline constexpr std::string_view kJobGlobalIndexKey = "jobset.sigs.k8s.io/job-global-index";
inline constexpr std::string_view kGroupNameKey = "jobset.sigs.k8s.io/group-name";
inline constexpr std::string_view kGroupReplicasKey = "jobset.sigs.k8s.io/group-replicas";
inline constexpr std::string_view kJobGroupIndexKey = "jobset.sigs.k8s.io/job-group-index";
// SHA-1 hex of "<namespace>/<jobName>" (upstream documents SHA-256 but implements SHA-1).
inline constexpr std::string_view kJobKey = "jobset.sigs.k8s.io/job-key";
inline constexpr std::string_view kRestartsKey = "jobset.sigs.k8s.io/restart-attempt";
// Only with the RestartJob gate (off in Phalanx): read, never written.
inline constexpr std::string_view kJobRestartsKey = "jobset.sigs.k8s.io/job-restart-attempt";
inline constexpr std::string_view kCoordinatorKey = "jobset.sigs.k8s.io/coordinator";

// Pod webhook → pod label: decimal spec.priority ("n5" for -5, so the value is a valid label).
inline constexpr std::string_view kPriorityKey = "jobset.sigs.k8s.io/priority";

// User → JobSet or ReplicatedJob template annotations; controller copies them to Job and pod template.
inline constexpr std::string_view kExclusiveKey = "alpha.jobset.sigs.k8s.io/exclusive-topology";
inline constexpr std::string_view kNodeSelectorStrategyKey = "alpha.jobset.sigs.k8s.io/node-selector";
// Node-selector strategy: node label / pod nodeSelector key and node taint key.
inline constexpr std::string_view kNamespacedJobKey = "alpha.jobset.sigs.k8s.io/namespaced-job";
inline constexpr std::string_view kNoScheduleTaintKey = "alpha.jobset.sigs.k8s.io/no-schedule";

// Other upstream keys read by Phalanx.
inline constexpr std::string_view kInPlaceRestartAttemptKey =
    "jobset.sigs.k8s.io/in-place-restart-attempt";
inline constexpr std::string_view kDisableInPlaceRestartKey =
    "jobset.sigs.k8s.io/disable-in-place-restart";
// Job controller → pod annotation and label on Indexed Jobs.
inline constexpr std::string_view kJobCompletionIndexKey = "batch.kubernetes.io/job-completion-index";

// Phalanx placement (DESIGN §3). User → JobSet / ReplicatedJob template annotations:
inline constexpr std::string_view kGangPolicyKey = "phalanx.dev/gang-policy";  // Job|ReplicatedJob|JobSet
inline constexpr std::string_view kColocateKey = "phalanx.dev/colocate-topology";
// Controller → child Job and pod template annotations: the gang the Job belongs to.
inline constexpr std::string_view kGangNameKey = "phalanx.dev/gang";
inline constexpr std::string_view kGangSizeKey = "phalanx.dev/gang-size";  // Jobs in the gang
// Extender → JobSet annotation: the reservation of the JobSet's gangs (scheduler-extender/reservation_record.h).
inline constexpr std::string_view kReservationsKey = "phalanx.dev/reservations";
// Pod webhook → pod scheduling gate for gang / exclusive pods; removed by the extender's planner.
inline constexpr std::string_view kPlacementGate = "phalanx.dev/placement";

// Kueue keys Phalanx recognizes.
inline constexpr std::string_view kKueueQueueNameKey = "kueue.x-k8s.io/queue-name";
inline constexpr std::string_view kKueueTopologyGate = "kueue.x-k8s.io/topology";

}  // namespace phalanx::api
