// api/scheduling.h
//
// What scheduling needs from Nodes and Pods, read off their JSON: node labels, allocatable, taints,
// cordon and readiness; pod requests (containers summed, init containers as the maximum, plus
// overhead — the scheduler's rule), nodeSelector, required node affinity, tolerations, priority and
// scheduling gates. Used by `phalanx plan` (a `kubectl get nodes,pods -o yaml` List) and the extender.
// Quantities are parsed with api/quantity.h (cpu in milli-units). Never throws.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/jobset.h"
#include "api/meta.h"

namespace phalanx::api {

using Resources = std::map<std::string, int64_t>;

struct TaintInfo {
  std::string key, value, effect;  // effect: NoSchedule | PreferNoSchedule | NoExecute
};

struct TolerationInfo {
  std::string key, op = "Equal", value, effect;  // op: Equal | Exists; empty effect = all
};

struct NodeSelectorRequirementInfo {
  std::string key, op;  // In | NotIn | Exists | DoesNotExist | Gt | Lt
  std::vector<std::string> values;
};

// One term of requiredDuringSchedulingIgnoredDuringExecution; `node_names` from matchFields
// metadata.name In [...].
struct NodeSelectorTermInfo {
  std::vector<NodeSelectorRequirementInfo> match_expressions;
  std::vector<std::string> node_names;
};

struct PodScheduling {
  Resources requests;
  StringMap node_selector;
  std::vector<NodeSelectorTermInfo> required_terms;
  std::vector<TolerationInfo> tolerations;
  std::optional<int32_t> priority;
  std::vector<std::string> scheduling_gates;
};

struct NodeInfo {
  std::string name;
  StringMap labels;
  Resources allocatable;
  std::vector<TaintInfo> taints;
  bool unschedulable = false;
  bool ready = false;  // Ready condition True
};

struct PodInfo {
  ObjectMeta metadata;
  std::string node_name;
  std::string phase;  // Pending | Running | Succeeded | Failed | Unknown
  std::string controller_kind;  // kind of the controller owner ("Job", "DaemonSet", ...)
  PodScheduling scheduling;
};

struct ClusterState {
  std::vector<NodeInfo> nodes;
  std::vector<PodInfo> pods;
};

// One container's requests (limits standing in for missing requests, as the API server defaults them)
// and, for init containers, whether it is a restartable "sidecar" (restartPolicy: Always).
struct ContainerRequests {
  Resources requests;
  bool restartable = false;
};

// What a pod requests, by kube-scheduler's rule (component-helpers resource.PodRequests): containers
// summed; each init container taken as a maximum, sidecars adding to the sum and to every later init
// container; pod-level `spec.resources` (when given) replacing the result for cpu, memory and
// hugepages-*; `spec.overhead` added. Sums saturate at the int64 maximum. Both the template and the
// pod decoders use it, so a gang is reserved for exactly what its pods are filtered with.
Resources PodRequests(const std::vector<Resources>& containers, const std::vector<ContainerRequests>& init_containers,
                      const std::optional<Resources>& pod_level, const Resources& overhead);

// A `v1` List (or NodeList / PodList) holding Nodes and Pods; other kinds are skipped. A single Node
// or Pod document is accepted too. kInvalidArgument naming the item on malformed content.
absl::StatusOr<ClusterState> DecodeClusterState(std::string_view json);

// The scheduling view of a JobSet's pod template.
absl::StatusOr<PodScheduling> TemplateScheduling(const PodTemplateSpec& pod);

}  // namespace phalanx::api
