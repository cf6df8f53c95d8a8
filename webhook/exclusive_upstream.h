// webhook/exclusive_upstream.h
//
// Upstream JobSet's exclusive placement, for installations without Phalanx's planner
// (--exclusive-placement=upstream; reference/jobset.md §5.3–5.4). Pure decisions: the pods and nodes
// the decisions need come in through LeaderLookup (webhook/cluster_view.h serves it from informers;
// tests pass a table). No I/O, no clock; thread-safe as long as the lookup is.
//
// Mutation (CREATE of a pod with annotation jobset.sigs.k8s.io/jobset-name, not using the node-selector
// strategy):
//   - label jobset.sigs.k8s.io/priority = spec.priority when the pod has a priority;
//   - with annotation alpha.jobset.sigs.k8s.io/exclusive-topology = K:
//     leader (annotation batch.kubernetes.io/job-completion-index == "0"): one required pod-affinity
//       term (job-key In [own], topologyKey K, namespaceSelector {}) and one required anti-affinity term
//       (job-key Exists, job-key NotIn [own], priority In [own priority label]) appended, user terms kept;
//     follower: when its leader is found and scheduled, nodeSelector[K] = the leader node's label K.
//       Leader not found / not scheduled: no change (the validating webhook refuses the pod). The
//       leader's Node unknown, or without label K: the pod is refused with that error.
// Validation (CREATE): followers without a nodeSelector, without key K in it, whose leader cannot be
// found, or whose leader is not scheduled are refused with upstream's messages (all listed below).
// Leader lookup: name prefix "<jobset-name>-<replicatedjob-name>-<job-index>-0" from the pod's labels;
// candidates being deleted or in phase Failed/Succeeded are dropped; exactly one must remain and share
// the follower's controller owner uid.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/admission.h"
#include "api/json_patch.h"
#include "api/pod.h"
#include "webhook/pod_validation.h"

namespace phalanx::webhook {

// --exclusive-placement: who enforces alpha.jobset.sigs.k8s.io/exclusive-topology.
enum class ExclusivePlacementMode {
  kPhalanx,   // the placement gate; the extender's planner reserves and pins (default)
  kUpstream,  // upstream JobSet's leader affinity + follower nodeSelector + admission refusals
};
// "phalanx" | "upstream"; kInvalidArgument otherwise.
absl::StatusOr<ExclusivePlacementMode> ParseExclusivePlacementMode(std::string_view text);
std::string_view ExclusivePlacementModeName(ExclusivePlacementMode mode);

// Upstream's messages (reference §5.4), exact.
inline constexpr std::string_view kFollowerSelectorNotSet = "follower pod node selector not set";
inline constexpr std::string_view kFollowerSelectorMissingKey =
    "follower pod node selector for topology domain not found. missing selector: ";
inline constexpr std::string_view kLeaderNotScheduled =
    "leader pod not yet scheduled, not creating follower pod. this is an expected, transient error";

// What the lookups need to know about a pod.
struct PodSummary {
  std::string ns;
  std::string name;
  std::string owner_uid;  // uid of the controller ownerReference; "" when none
  std::string node_name;  // spec.nodeName
  std::string phase;      // status.phase
  bool deleting = false;  // metadata.deletionTimestamp set
};

// The index key upstream files a pod under: its name without the last "-<suffix>", for pods carrying
// the exclusive-topology annotation whose name has at least 5 dash-separated parts; nullopt otherwise.
std::optional<std::string> LeaderIndexKey(std::string_view pod_name, bool has_exclusive_annotation);

// The leader's name prefix for a follower, or "pod missing label: <key>".
absl::StatusOr<std::string> LeaderPodName(const api::Pod& pod);

// True for completion index "0" (annotation batch.kubernetes.io/job-completion-index).
bool IsLeaderPod(const api::Pod& pod);

// The pods and nodes the decisions read.
class LeaderLookup {
 public:
  virtual ~LeaderLookup() = default;
  // Pods in `ns` filed under `index_key` (LeaderIndexKey), in any state.
  virtual std::vector<PodSummary> PodsByIndexKey(std::string_view ns, std::string_view index_key) const = 0;
  // The labels of node `name`; nullopt when the node is not known.
  virtual std::optional<std::map<std::string, std::string>> NodeLabels(std::string_view name) const = 0;
};

// The follower's leader among `candidates` (those filed under its leader name): drops pods being
// deleted or Failed/Succeeded, then requires exactly one ("expected 1 leader pod (<name>), but got <n>.
// this is an expected, transient error") owned by the same controller as the follower ("follower pod
// has no owner reference", "leader pod \"<name>\" has no owner reference", "follower pod owner UID (<a>)
// != leader pod owner UID (<b>)"). Errors are kFailedPrecondition with exactly that message.
absl::StatusOr<PodSummary> SelectLeader(const api::Pod& follower, std::string_view leader_name,
                                        const std::vector<PodSummary>& candidates);
// LeaderPodName + PodsByIndexKey + SelectLeader.
absl::StatusOr<PodSummary> FindLeader(const api::Pod& follower, const LeaderLookup& lookup);

// Which of the pod's affinity lists exist already (so the patch appends instead of creating).
struct AffinityShape {
  bool has_affinity = false;
  bool has_pod_affinity = false;
  bool has_pod_affinity_required = false;  // podAffinity.requiredDuringSchedulingIgnoredDuringExecution
  bool has_pod_anti_affinity = false;
  bool has_pod_anti_affinity_required = false;
};
// Reads spec.affinity of a Pod (JSON text). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<AffinityShape> ReadAffinityShape(std::string_view pod_json);

struct UpstreamMutation {
  std::optional<std::string> priority_label;  // value for jobset.sigs.k8s.io/priority
  // Leader: the topology key and the values its two terms carry.
  std::optional<std::string> leader_topology_key;
  std::string job_key;         // own jobset.sigs.k8s.io/job-key label ("" when absent)
  std::string priority_value;  // own priority label after this mutation ("" when none)
  // Follower: nodeSelector[first] = second.
  std::optional<std::pair<std::string, std::string>> node_selector;
  // Set when the pod must be refused (the leader's node is unknown or lacks the topology label).
  std::optional<std::string> error;

  bool empty() const { return !priority_label && !leader_topology_key && !node_selector; }
};

UpstreamMutation DecideUpstreamMutation(const api::Pod& pod, api::AdmissionOperation operation,
                                        const LeaderLookup& lookup);

// The JSON Patch applying `mutation` to the pod as received (shape: its affinity lists).
api::JsonPatch UpstreamMutationPatch(const api::Pod& pod, const AffinityShape& shape,
                                     const UpstreamMutation& mutation);

// The two terms as JSON (also what the end-to-end emulation reads back).
std::string LeaderAffinityTermJson(std::string_view job_key, std::string_view topology_key);
std::string LeaderAntiAffinityTermJson(std::string_view job_key, std::string_view priority,
                                       std::string_view topology_key);

PodVerdict ValidatePodUpstream(const api::Pod& pod, api::AdmissionOperation operation,
                               const LeaderLookup& lookup);

}  // namespace phalanx::webhook
