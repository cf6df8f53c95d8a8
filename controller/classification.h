// controller/classification.h
//
// Sorting a JobSet's owned Jobs into the buckets every later step works on (reference §4.3):
// previous (restart-attempt label below status.restarts: an older attempt, to be deleted), then, for the
// current attempt, successful (Complete=True), failed (Failed=True) and active (everything else,
// including suspended Jobs and Jobs with only FailureTarget/SuccessCriteriaMet). Classic behaviour: the
// per-Job RestartJob gate is off, so job-restart-attempt is not consulted. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/job.h"

namespace phalanx::controller {

// Pointers into the Jobs passed to ClassifyJobs; each bucket keeps the input order.
struct ChildJobs {
  std::vector<const api::Job*> active;
  std::vector<const api::Job*> successful;
  std::vector<const api::Job*> failed;
  std::vector<const api::Job*> previous;
};

// kInvalidArgument when a Job's restart-attempt label is missing or not an integer (upstream errors the
// reconcile the same way).
absl::StatusOr<ChildJobs> ClassifyJobs(const std::vector<const api::Job*>& jobs, int32_t restarts);

// The Job's condition of `type` with status True, or nullptr.
const api::JobCondition* FindTrueJobCondition(const api::Job& job, std::string_view type);

// The label's value in place (no copy), or nullptr.
const std::string* LabelValue(const api::ObjectMeta& meta, std::string_view key);

// Time of the Job's Failed=True condition; nullopt if absent or unparseable.
std::optional<absl::Time> JobFailureTime(const api::Job& job);

}  // namespace phalanx::controller
