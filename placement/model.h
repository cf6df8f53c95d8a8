// placement/model.h
//
// Value types the placement engine is fed with: nodes and bound pods (cluster state), the demand of a
// gang (what must be placed all-or-nothing) and the pod asking Filter/Prioritize. Callers convert
// Kubernetes objects into these; the engine never sees JSON. Quantities are plain int64 in the unit
// the caller chose per resource (by convention milli-units for cpu, bytes for memory, units for
// extended resources such as google.com/tpu); the engine only adds, subtracts and compares them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/time/time.h"

namespace phalanx::placement {

// Resource name → quantity. Ordered, so equal lists compare and print the same.
using ResourceList = absl::btree_map<std::string, int64_t>;

// The resource name a node's pod limit is published under. Every pod implicitly requests 1.
inline constexpr char kPodsResource[] = "pods";

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
  friend bool operator==(const Taint&, const Taint&) = default;
};

enum class TolerationOperator { kEqual, kExists };

// Kubernetes toleration semantics: an empty key with kExists tolerates every taint; an unset effect
// matches every effect. tolerationSeconds is irrelevant to placement and not modelled.
struct Toleration {
  std::string key;
  TolerationOperator op = TolerationOperator::kEqual;
  std::string value;
  std::optional<TaintEffect> effect;
  friend bool operator==(const Toleration&, const Toleration&) = default;
};

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };

struct NodeSelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;
  friend bool operator==(const NodeSelectorRequirement&, const NodeSelectorRequirement&) = default;
};

// One nodeSelectorTerm of required node affinity: every match expression must hold, and when
// `node_names` is non-empty (matchFields metadata.name In [...]) the node's name must be listed.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<std::string> node_names;
  friend bool operator==(const NodeSelectorTerm&, const NodeSelectorTerm&) = default;
};

// Where a pod may run, as far as node labels and taints decide it. `required_terms` are ORed (an
// empty list means no affinity constraint), exactly like requiredDuringSchedulingIgnoredDuringExecution.
struct Eligibility {
  absl::btree_map<std::string, std::string> node_selector;
  std::vector<NodeSelectorTerm> required_terms;
  std::vector<Toleration> tolerations;
  friend bool operator==(const Eligibility&, const Eligibility&) = default;
};

// A node as the engine needs it. `allocatable` without a "pods" entry means no pod-count limit.
struct Node {
  std::string name;
  absl::btree_map<std::string, std::string> labels;
  ResourceList allocatable;
  std::vector<Taint> taints;
  bool unschedulable = false;  // spec.unschedulable (cordoned)
  bool ready = true;           // Ready condition is True
};

// Identity of one child Job across restart attempts: JobSet UID + ReplicatedJob name + job index.
struct JobKey {
  std::string jobset_uid;
  std::string replicated_job;
  int32_t index = 0;

  friend bool operator==(const JobKey&, const JobKey&) = default;
  friend bool operator<(const JobKey& a, const JobKey& b) {
    return std::tie(a.jobset_uid, a.replicated_job, a.index) <
           std::tie(b.jobset_uid, b.replicated_job, b.index);
  }
  template <typename H>
  friend H AbslHashValue(H h, const JobKey& k) {
    return H::combine(std::move(h), k.jobset_uid, k.replicated_job, k.index);
  }
};

// A pod already bound to a node (Pending-with-nodeName or Running; terminal pods are removed by the
// caller). `job` is set for JobSet pods; `daemonset` pods may share exclusive domains.
struct BoundPod {
  std::string uid;
  std::string node_name;
  ResourceList requests;
  std::optional<JobKey> job;
  bool daemonset = false;
};

// Which unit is placed all-or-nothing (annotation phalanx.dev/gang-policy).
enum class GangPolicy { kJob, kReplicatedJob, kJobSet };

// Identity of a gang: the JobSet, narrowed to a ReplicatedJob (policy ReplicatedJob or Job) and to a
// job index (policy Job). Empty `replicated_job` / `job_index` -1 mean "all of them".
struct GangId {
  std::string jobset_uid;
  std::string replicated_job;
  int32_t job_index = -1;

  friend bool operator==(const GangId&, const GangId&) = default;
  friend bool operator<(const GangId& a, const GangId& b) {
    return std::tie(a.jobset_uid, a.replicated_job, a.job_index) <
           std::tie(b.jobset_uid, b.replicated_job, b.job_index);
  }
  template <typename H>
  friend H AbslHashValue(H h, const GangId& g) {
    return H::combine(std::move(h), g.jobset_uid, g.replicated_job, g.job_index);
  }
};

// One child Job of a gang: `pods` identical pods (parallelism) with `requests` each.
// `exclusive_key` non-empty: the Job gets one whole domain of that node label key to itself.
struct JobDemand {
  JobKey key;
  std::string name;  // child Job name, for explanations only
  int32_t pods = 1;
  ResourceList requests;
  Eligibility eligibility;
  std::string exclusive_key;
};

// What a gang needs. `owner` names it for humans ("ml/train"). `colocate_key` non-empty: every Job
// of the gang lies within one domain of that (coarser) key.
struct GangDemand {
  GangId id;
  std::string owner;
  GangPolicy policy = GangPolicy::kJob;
  std::vector<JobDemand> jobs;
  std::string colocate_key;
  int32_t priority = 0;
  absl::Time created = absl::UnixEpoch();
};

// The pod a Filter/Prioritize call is about. `job` set for JobSet pods; `exclusive_key` set when the
// pod's Job must sit on a reserved domain (then no reservation means no node fits).
struct PodDemand {
  std::optional<JobKey> job;
  ResourceList requests;
  Eligibility eligibility;
  std::string exclusive_key;
  bool daemonset = false;
};

}  // namespace phalanx::placement
