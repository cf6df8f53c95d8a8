#include "webhook/pod_validation.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/labels.h"
#include "webhook/pod_mutation.h"
#include "webhook/warning_text.h"

namespace phalanx::webhook {
namespace {

std::string S(std::string_view s) { return std::string(s); }

bool KnownGangPolicy(std::string_view v) {
  return v == "Job" || v == "ReplicatedJob" || v == "JobSet";
}

}  // namespace

PodVerdict ValidatePod(const api::Pod& pod, api::AdmissionOperation operation) {
  PodVerdict v;
  if (operation != api::AdmissionOperation::kCreate) return v;
  if (!IsJobSetPod(pod)) return v;

  // Our gate where the mutating webhook would not have put it: the creator wrote it.
  const bool gated = pod.HasSchedulingGate(api::kPlacementGate);
  if (gated && (UsesNodeSelectorStrategy(pod) || !WantsPlacement(pod))) {
    v.allowed = false;
    v.message = absl::StrCat(
        "spec.schedulingGates: Forbidden: ", S(api::kPlacementGate), " is set by Phalanx only, on pods that ",
        UsesNodeSelectorStrategy(pod) ? "do not use the node-selector strategy"
                                      : "ask for placement (exclusive-topology or gang-policy annotation)");
    return v;
  }
  if (UsesNodeSelectorStrategy(pod) || !WantsPlacement(pod)) return v;

  std::vector<std::string> missing;
  for (std::string_view key : {api::kJobSetNameKey, api::kReplicatedJobNameKey, api::kJobIndexKey}) {
    auto value = pod.metadata.Label(key);
    if (!value || value->empty()) missing.push_back(S(key));
  }
  if (!missing.empty()) {
    std::string_view claim =
        pod.metadata.Annotation(api::kExclusiveKey) ? api::kExclusiveKey : api::kGangPolicyKey;
    v.allowed = false;
    v.message = absl::StrCat("pod requests Phalanx placement (annotation ", S(claim),
                             ") but lacks the JobSet labels that identify its gang: ",
                             absl::StrJoin(missing, ", "));
    return v;
  }

  // The gang a gated pod claims must be its own: its controller is the Job its labels name (the owner
  // chain the extender checks again against the JobSet). A pod copying another gang's labels is
  // refused here rather than left gated for ever.
  if (gated) {
    const std::string job = absl::StrCat(*pod.metadata.Label(api::kJobSetNameKey), "-",
                                         *pod.metadata.Label(api::kReplicatedJobNameKey), "-",
                                         *pod.metadata.Label(api::kJobIndexKey));
    const api::OwnerReference* owner = pod.ControllerOwner();
    if (owner == nullptr || owner->kind != "Job" || owner->api_version != "batch/v1" || owner->name != job) {
      v.allowed = false;
      v.message = absl::StrCat("metadata.ownerReferences: Forbidden: a pod gated by ", S(api::kPlacementGate),
                               " must be controlled by its gang's Job ", QuoteForWarning(job, 64),
                               " (batch/v1), as the Job controller creates it");
      return v;
    }
  }

  if (auto policy = pod.metadata.Annotation(api::kGangPolicyKey);
      policy && !KnownGangPolicy(*policy)) {
    v.warnings.push_back(absl::StrCat("unknown ", S(api::kGangPolicyKey), " ",
                                      QuoteForWarning(*policy), "; treated as Job"));
  }
  if (auto key = pod.metadata.Annotation(api::kExclusiveKey); key && key->empty()) {
    v.warnings.push_back(absl::StrCat("empty ", S(api::kExclusiveKey), " names no topology key"));
  }
  return v;
}

}  // namespace phalanx::webhook
