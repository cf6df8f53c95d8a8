// scheduler-extender/pinning.h
//
// Ungate-and-pin: the one JSON Patch the planner sends for each member pod of a reserved Job, removing
// our scheduling gate and adding the domain's constraints together, so the pod never reaches the
// scheduler unpinned (DESIGN §3 "Pinning"; the API's rules for gated pods: reference/kube-scheduling.md
// §2.5; accepted and refused examples: fixtures k8s-v1.36/pinning/).
//
// The patch, in order:
//   1. `test` /spec/schedulingGates/<i>/name == "phalanx.dev/placement", then `remove` /spec/schedulingGates/<i>
//      (the test makes a stale cache fail the whole patch instead of removing somebody else's gate);
//   2. spec.nodeSelector: one entry per label of the domain's path (coarse → fine), added next to the
//      existing entries (the whole map is added when there is none); an entry that is already there with
//      the same value is left alone; the same key with another value is an error: the pod cannot run in
//      this domain and an API server would refuse the change anyway;
//   3. required node affinity:
//      - the pod has none (or an empty nodeSelectorTerms list): one term per node of the domain, each
//        `matchFields: [{key: metadata.name, operator: In, values: [<node>]}]` (one value per such
//        requirement is all the API allows) — this is what lets kube-scheduler's NodeAffinity PreFilter
//        hand the scheduler just the domain's nodes. /spec/affinity and /spec/affinity/nodeAffinity are
//        created only when missing, so pod (anti-)affinity and preferred terms stay untouched;
//      - the pod has terms (the user's, Kueue's): every term gets `<key> In [<value>]` appended to its
//        matchExpressions for every label of the path (the list is created for a matchFields-only term).
//        No term is added or removed: the API allows only appending to existing terms of a gated pod.
//        A completely empty term matches no node and the API forbids adding anything to it, so it is
//        left as it is — it cannot widen where the pod runs. When every term is empty the pod can run
//        nowhere: kFailedPrecondition, the planner must not pin (nor reserve for) it.
//      Requirements the term already has (same key, In, the single same value) are not added again.
//   4. with fencing (PinTarget::fence_value set, scheduler-extender/fencing.h): the toleration
//      `phalanx.dev/reserved=<value>:NoSchedule` (operator Equal) appended to spec.tolerations (the list is
//      created when missing; tolerations may be added to any pod), unless the pod already has it.
//   When the pod already carries all of it (HasPinConstraints), the patch is only the ungate.
//
// Pure functions and value types: thread-safe, never throw. ReadPinShape reports malformed pod JSON as
// kInvalidArgument naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api/json_patch.h"

namespace phalanx::extender {

// PinShape: what the patch builder needs to know about a pod, small enough for the planner to keep one
// per pending pod instead of the pod.
struct PinShape {
  struct Term {
    bool has_match_expressions = false;  // the matchExpressions list exists (possibly empty)
    bool empty = true;                   // no matchExpressions and no matchFields requirement at all
    // Requirements `key In [value]` with exactly one value (what pinning adds), from matchExpressions.
    std::vector<std::pair<std::string, std::string>> single_value_in;
    // Node names of `metadata.name In [<node>]` requirements in matchFields.
    std::vector<std::string> node_names;
  };

  std::vector<std::string> gates;  // spec.schedulingGates[].name, in order
  bool has_node_selector = false;  // spec.nodeSelector is an object (possibly empty)
  std::vector<std::pair<std::string, std::string>> node_selector;  // sorted by key
  bool has_affinity = false;       // spec.affinity is an object
  bool has_node_affinity = false;  // spec.affinity.nodeAffinity is an object
  // spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms; empty
  // when the pod has no required node affinity (or an empty list), which PinPatch treats alike.
  std::vector<Term> required_terms;
  bool has_tolerations = false;  // spec.tolerations is an array (possibly empty)
  // Values of the tolerations for the fencing taint (key phalanx.dev/reserved, operator Equal,
  // effect NoSchedule or unset).
  std::vector<std::string> fence_tolerations;

  // The position of gate `name` in `gates`, or -1.
  int GateIndex(std::string_view name) const;
  // The nodeSelector value for `key`, or nullptr.
  const std::string* NodeSelector(std::string_view key) const;
};

// ReadPinShape reads a Pod (JSON text). kInvalidArgument on malformed JSON, a non-object, or a field
// read here having the wrong type (e.g. "spec.nodeSelector: expected object, got array").
absl::StatusOr<PinShape> ReadPinShape(std::string_view pod_json);

// PinTarget: the reserved domain.
struct PinTarget {
  // The labels of the domain's full path, coarse → fine (e.g. {block, b1}, {rack, r3}): never a finer
  // level alone, since its values may repeat under other coarser domains.
  std::vector<std::pair<std::string, std::string>> path_labels;
  std::vector<std::string> nodes;  // the domain's node names
  // Fencing on: the value of the domain's phalanx.dev/reserved taint, which the pod must tolerate.
  std::string fence_value;
};

// PinPatch: the ungate-and-pin JSON Patch for a pod of shape `pod` (see the file comment).
// kInvalidArgument for an unusable target (no labels, no nodes, an empty key, value or node name);
// kFailedPrecondition when the pod does not carry our gate (an ungated pod's constraints can no longer
// change), a nodeSelector entry names another value for a path key, or every required term is empty.
absl::StatusOr<api::JsonPatch> PinPatch(const PinShape& pod, const PinTarget& target);

// HasPinConstraints: the pod already carries everything PinPatch would add for `target` (all path
// labels in its nodeSelector, and either one metadata.name term per domain node or the path's labels in
// every non-empty term).
bool HasPinConstraints(const PinShape& pod, const PinTarget& target);
// HasPinConstraints without the fencing toleration: the nodeSelector and node affinity parts alone.
bool HasDomainConstraints(const PinShape& pod, const PinTarget& target);

// IsPinned: HasPinConstraints and our gate is gone — the pod was ungated and pinned to `target`, so the
// planner has nothing left to patch (idempotence across retries and planner restarts).
bool IsPinned(const PinShape& pod, const PinTarget& target);

}  // namespace phalanx::extender
