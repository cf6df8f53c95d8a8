// sim/pod_affinity.h
//
// Required inter-pod affinity and anti-affinity of the pod being scheduled, as kube-scheduler's
// InterPodAffinity filter decides them — as far as upstream JobSet's exclusive placement needs it
// (reference/jobset.md §5.3): a leader's pod-affinity term to its own job-key (satisfied by the first pod
// of a group when no pod in the cluster matches yet, kube-scheduler's self-affinity rule) and its
// anti-affinity term against other Jobs' pods of the same priority, on one topology key. Per term:
//   affinity: the node must carry the term's topologyKey, and some placed pod matching the term's
//     selector (in the term's namespaces) must run on a node with the same value; if no pod in the
//     cluster matches any affinity term and the pod matches all of them itself, it passes;
//   anti-affinity: no placed pod matching the term may run on a node with the node's value of the key.
// Namespaces: namespaceSelector {} = all; else the listed namespaces, or the pod's own when none.
// Label selectors: matchLabels and matchExpressions In, NotIn, Exists, DoesNotExist.
// Not modelled: the symmetric check of existing pods' anti-affinity against the incoming pod,
// preferred terms, matchLabelKeys/mismatchLabelKeys, namespaceSelector with labels (read as the pod's
// own namespace). Pure; value types.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace phalanx::sim {

using Labels = std::map<std::string, std::string>;

struct LabelRequirement {
  std::string key;
  std::string op;  // In | NotIn | Exists | DoesNotExist
  std::vector<std::string> values;
};

struct PodAffinityTerm {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;
  std::string topology_key;
  bool all_namespaces = false;      // namespaceSelector {}
  std::vector<std::string> namespaces;

  bool Selects(const Labels& labels) const;
  bool InNamespace(const std::string& ns, const std::string& own_ns) const;
};

struct PodAffinitySpec {
  std::vector<PodAffinityTerm> affinity;       // podAffinity.requiredDuringSchedulingIgnoredDuringExecution
  std::vector<PodAffinityTerm> anti_affinity;  // podAntiAffinity.required...
  bool empty() const { return affinity.empty() && anti_affinity.empty(); }
};

// Reads spec.affinity of a Pod (JSON). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<PodAffinitySpec> ReadPodAffinity(std::string_view pod_json);

// A pod already placed (bound or assumed).
struct PlacedPod {
  std::string ns;
  const Labels* labels = nullptr;
  const Labels* node_labels = nullptr;  // of the node it is on; nullptr when the node is unknown
};

// Built once per scheduling attempt from every placed pod; then asked per node.
class PodAffinityCheck {
 public:
  PodAffinityCheck(const PodAffinitySpec& spec, const std::string& ns, const Labels& labels,
                   const std::vector<PlacedPod>& placed);
  // "" when `node_labels` passes; else kube-scheduler's reason text.
  std::string Reason(const Labels& node_labels) const;

 private:
  PodAffinitySpec spec_;
  bool any_affinity_match_ = false;  // some placed pod matches some affinity term
  bool self_match_ = false;          // the pod matches all its affinity terms itself
  std::vector<std::set<std::string>> affinity_values_;  // per affinity term: topology values with a match
  std::vector<std::set<std::string>> anti_values_;      // per anti-affinity term
};

}  // namespace phalanx::sim
