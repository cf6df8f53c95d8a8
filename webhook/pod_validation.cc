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
  if (!IsJobSetPod(pod) || UsesNodeSelectorStrategy(pod)) return v;

  if (!WantsPlacement(pod)) {
    if (pod.HasSchedulingGate(api::kPlacementGate)) {
      v.warnings.push_back(absl::StrCat("gate ", S(api::kPlacementGate),
                                        " set on a pod without exclusive-topology or gang-policy"));
    }
    return v;
  }

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
