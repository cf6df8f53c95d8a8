// webhook/pod_mutation.h
//
// What the pod mutating webhook (/mutate--v1-pod) changes on a JobSet pod, decided from the pod alone
// (pure: no I/O, no clock). On CREATE of a pod carrying the annotation jobset.sigs.k8s.io/jobset-name and
// not using the node-selector strategy:
//   - label jobset.sigs.k8s.io/priority = spec.priority ("n5" for -5, so the value is a valid label);
//   - scheduling gate phalanx.dev/placement when the pod asks for Phalanx placement (annotation
//     alpha.jobset.sigs.k8s.io/exclusive-topology or phalanx.dev/gang-policy); the scheduler extender's
//     planner removes it once the pod's whole gang has a reserved domain.
// Idempotent: a pod that already carries the label value or the gate gets no change for it, so a second
// call (reinvocationPolicy IfNeeded) adds nothing twice. Other operations change nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/admission.h"
#include "api/json_patch.h"
#include "api/pod.h"

namespace phalanx::webhook {

struct PodMutation {
  std::optional<std::string> priority_label;  // value to write to jobset.sigs.k8s.io/priority
  bool add_placement_gate = false;
  std::vector<std::string> warnings;

  bool empty() const { return !priority_label && !add_placement_gate; }
};

// The priority label value: decimal for >= 0, "n<abs>" for negative priorities.
std::string PriorityLabelValue(int32_t priority);

// True when the pod belongs to a JobSet (annotation jobset.sigs.k8s.io/jobset-name; the webhook's
// objectSelector matches the label of the same key, the controller sets both).
bool IsJobSetPod(const api::Pod& pod);
// True when the pod's JobSet uses the node-selector strategy (both pod webhooks leave it alone).
bool UsesNodeSelectorStrategy(const api::Pod& pod);
// True when the pod asks for Phalanx placement (exclusive topology or a gang policy).
bool WantsPlacement(const api::Pod& pod);

PodMutation DecidePodMutation(const api::Pod& pod, api::AdmissionOperation operation);

// The JSON Patch that applies `mutation` to `pod` as received (creating labels / schedulingGates when
// the pod has none). Empty when the mutation is empty.
api::JsonPatch PodMutationPatch(const api::Pod& pod, const PodMutation& mutation);

}  // namespace phalanx::webhook
