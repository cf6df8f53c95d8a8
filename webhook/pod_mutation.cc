#include "webhook/pod_mutation.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "api/labels.h"

namespace phalanx::webhook {

std::string PriorityLabelValue(int32_t priority) {
  if (priority >= 0) return std::to_string(priority);
  // -INT32_MIN overflows int32; widen first.
  return absl::StrCat("n", -static_cast<int64_t>(priority));
}

bool IsJobSetPod(const api::Pod& pod) {
  return pod.metadata.Annotation(api::kJobSetNameKey).has_value();
}

bool UsesNodeSelectorStrategy(const api::Pod& pod) {
  return pod.metadata.Annotation(api::kNodeSelectorStrategyKey).has_value();
}

bool WantsPlacement(const api::Pod& pod) {
  return pod.metadata.Annotation(api::kExclusiveKey).has_value() ||
         pod.metadata.Annotation(api::kGangPolicyKey).has_value();
}

PodMutation DecidePodMutation(const api::Pod& pod, api::AdmissionOperation operation) {
  PodMutation m;
  if (operation != api::AdmissionOperation::kCreate) return m;
  if (!IsJobSetPod(pod) || UsesNodeSelectorStrategy(pod)) return m;
  if (pod.priority) {
    std::string value = PriorityLabelValue(*pod.priority);
    if (pod.metadata.Label(api::kPriorityKey) != value) m.priority_label = std::move(value);
  }
  if (WantsPlacement(pod) && !pod.HasSchedulingGate(api::kPlacementGate)) {
    if (!pod.node_name.empty()) {
      // The API server rejects a pod with both spec.nodeName and schedulingGates.
      m.warnings.push_back(absl::StrCat("pod is bound by spec.nodeName; Phalanx placement gate ",
                                        std::string(api::kPlacementGate), " not added"));
    } else {
      m.add_placement_gate = true;
    }
  }
  return m;
}

api::JsonPatch PodMutationPatch(const api::Pod& pod, const PodMutation& mutation) {
  api::JsonPatch patch;
  if (mutation.priority_label) {
    patch.SetMapEntry("/metadata/labels", pod.metadata.labels.has_value(),
                      std::string(api::kPriorityKey), *mutation.priority_label);
  }
  if (mutation.add_placement_gate) {
    patch.AppendToList("/spec/schedulingGates", pod.scheduling_gates.has_value(),
                       api::PatchValue::Object(
                           {{"name", api::PatchValue::String(std::string(api::kPlacementGate))}}));
  }
  return patch;
}

}  // namespace phalanx::webhook
