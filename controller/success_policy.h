// controller/success_policy.h
//
// The success policy (reference §4.4): `Any` needs one successful current-attempt Job of a targeted
// replicated job; `All` needs as many as the targeted replicated jobs' replicas sum to (all replicated
// jobs when no targets). Upstream's edge cases are kept: targets whose replicas sum to 0 need 0, so the
// first success of any Job completes the JobSet; callers only evaluate when some Job succeeded. A missing
// policy means `All` with no targets (the webhook default). Pure.
#pragma once

#include "api/jobset.h"
#include "controller/classification.h"

namespace phalanx::controller {

bool SuccessPolicySatisfied(const api::JobSet& jobset, const ChildJobs& jobs);

}  // namespace phalanx::controller
