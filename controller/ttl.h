// controller/ttl.h
//
// ttlSecondsAfterFinished (reference §4.11), evaluated only for a finished JobSet: the finish time is the
// lastTransitionTime of the True Completed/Failed condition; at or after finish + ttl the JobSet is
// deleted (foreground), before it the reconcile is requeued for the remaining time. Pure.
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/jobset.h"

namespace phalanx::controller {

struct TtlDecision {
  bool delete_now = false;
  std::optional<absl::Duration> requeue_after;  // set while the TTL is pending
};

// No TTL → neither. kInvalidArgument if the terminal condition's time is missing or unparseable.
absl::StatusOr<TtlDecision> EvaluateTtl(const api::JobSet& jobset, const api::JobSetStatus& status, absl::Time now);

}  // namespace phalanx::controller
