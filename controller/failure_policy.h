// controller/failure_policy.h
//
// The failure policy (reference §4.5–§4.6), run when the current attempt has failed Jobs:
//  - no policy → Failed/FailedJobs naming the earliest-failed Job;
//  - rules in order; a rule matches a failed Job when its reasons are empty or contain the Job's Failed
//    reason, its message patterns are empty or one matches the Failed message (unanchored search;
//    an invalid pattern never matches), its targets are empty or contain the Job's replicatedjob-name
//    label (a Job without that label never matches). The first rule with a match wins, applied to the
//    earliest-failing matching Job; no match → RestartJobSet with the earliest-failed Job.
//  - actions: FailJobSet; RestartJobSet (Failed/ReachedMaxRestarts once restartsCountTowardsMax ≥
//    maxRestarts, else restarts++ and restartsCountTowardsMax++); RestartJobSetAndIgnoreMaxRestarts
//    (restarts++ only). The RestartJob* actions need the RestartJob gate, which is off: they error.
// "Earliest" compares the lastTransitionTime of each Job's Failed condition; ties keep input order. Pure.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/job.h"
#include "api/jobset.h"
#include "controller/classification.h"
#include "controller/conditions.h"

namespace phalanx::controller {

// Action names.
inline constexpr std::string_view kActionFailJobSet = "FailJobSet";
inline constexpr std::string_view kActionRestartJobSet = "RestartJobSet";
inline constexpr std::string_view kActionRestartJobSetIgnoreMax = "RestartJobSetAndIgnoreMaxRestarts";
inline constexpr std::string_view kActionRestartJob = "RestartJob";
inline constexpr std::string_view kActionRestartJobIgnoreMax = "RestartJobAndIgnoreMaxRestarts";

// Go regexp.MatchString semantics approximated with std::regex (ECMAScript) search; false on an invalid
// pattern.
bool MessageMatches(const std::string& pattern, const std::string& message);

bool RuleMatches(const api::FailurePolicyRule& rule, const api::Job& failed_job);

// The failed Job whose Failed condition is earliest; nullptr if none has one.
const api::Job* FirstFailedJob(const std::vector<const api::Job*>& failed);

struct RuleMatch {
  const api::FailurePolicyRule* rule = nullptr;  // nullptr: no rule matched
  const api::Job* job = nullptr;
};
RuleMatch FindFirstMatchingRule(const std::vector<api::FailurePolicyRule>& rules,
                                const std::vector<const api::Job*>& failed);

// Applies the policy to `update` (conditions, counters, events). kFailedPrecondition for the gated
// RestartJob actions.
absl::Status ApplyFailurePolicy(const api::JobSet& jobset, const ChildJobs& jobs, StatusUpdate& update,
                                absl::Time now);

}  // namespace phalanx::controller
