#include "controller/ttl.h"

#include "controller/conditions.h"
#include "kube/micro_time.h"

namespace phalanx::controller {

absl::StatusOr<TtlDecision> EvaluateTtl(const api::JobSet& jobset, const api::JobSetStatus& status, absl::Time now) {
  TtlDecision d;
  if (!jobset.spec.ttl_seconds_after_finished) return d;
  const api::Condition* c = nullptr;
  for (std::string_view type : {kConditionCompleted, kConditionFailed}) {
    const api::Condition* found = FindCondition(status.conditions, type);
    if (found != nullptr && found->status == "True") {
      c = found;
      break;
    }
  }
  if (c == nullptr) return d;
  absl::StatusOr<absl::Time> finished = kube::ParseTime(c->last_transition_time);
  if (!finished.ok()) {
    return absl::InvalidArgumentError("finished JobSet has no usable lastTransitionTime on its terminal condition");
  }
  absl::Time expiry = *finished + absl::Seconds(*jobset.spec.ttl_seconds_after_finished);
  if (now >= expiry) {
    d.delete_now = true;
  } else {
    d.requeue_after = expiry - now;
  }
  return d;
}

}  // namespace phalanx::controller
