#include "controller/failure_policy.h"

#include <algorithm>
#include <regex>

#include "absl/strings/str_cat.h"
#include "api/labels.h"
#include "common/strings.h"

namespace phalanx::controller {

bool MessageMatches(const std::string& pattern, const std::string& message) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return std::regex_search(message, re);
  } catch (const std::regex_error&) {
    return false;
  }
}

bool RuleMatches(const api::FailurePolicyRule& rule, const api::Job& failed_job) {
  std::optional<std::string> rjob = failed_job.metadata.Label(api::kReplicatedJobNameKey);
  if (!rjob) return false;
  const api::JobCondition* failed = FindTrueJobCondition(failed_job, "Failed");
  if (failed == nullptr) return false;
  if (rule.on_job_failure_reasons && !rule.on_job_failure_reasons->empty()) {
    const auto& reasons = *rule.on_job_failure_reasons;
    if (std::find(reasons.begin(), reasons.end(), failed->reason) == reasons.end()) return false;
  }
  if (rule.on_job_failure_message_patterns && !rule.on_job_failure_message_patterns->empty()) {
    bool any = false;
    for (const std::string& p : *rule.on_job_failure_message_patterns) {
      if (MessageMatches(p, failed->message)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (rule.target_replicated_jobs && !rule.target_replicated_jobs->empty()) {
    const auto& targets = *rule.target_replicated_jobs;
    if (std::find(targets.begin(), targets.end(), *rjob) == targets.end()) return false;
  }
  return true;
}

namespace {

// Earliest by Failed time among `jobs` for which `pred` holds; jobs without a failure time are skipped.
template <typename Pred>
const api::Job* Earliest(const std::vector<const api::Job*>& jobs, Pred pred) {
  const api::Job* best = nullptr;
  absl::Time best_time;
  for (const api::Job* job : jobs) {
    if (!pred(*job)) continue;
    std::optional<absl::Time> t = JobFailureTime(*job);
    if (!t) continue;
    if (best == nullptr || *t < best_time) {
      best = job;
      best_time = *t;
    }
  }
  return best;
}

}  // namespace

const api::Job* FirstFailedJob(const std::vector<const api::Job*>& failed) {
  return Earliest(failed, [](const api::Job&) { return true; });
}

RuleMatch FindFirstMatchingRule(const std::vector<api::FailurePolicyRule>& rules,
                                const std::vector<const api::Job*>& failed) {
  for (const api::FailurePolicyRule& rule : rules) {
    const api::Job* job = Earliest(failed, [&](const api::Job& j) { return RuleMatches(rule, j); });
    if (job != nullptr) return RuleMatch{&rule, job};
  }
  return RuleMatch{};
}

absl::Status ApplyFailurePolicy(const api::JobSet& jobset, const ChildJobs& jobs, StatusUpdate& update,
                                absl::Time now) {
  if (jobs.failed.empty()) return absl::OkStatus();
  const api::Job* first = FirstFailedJob(jobs.failed);
  // A failed Job always carries a Failed condition; an unparseable time still names a Job.
  if (first == nullptr) first = jobs.failed.front();
  if (!jobset.spec.failure_policy) {
    update.SetFailed(kReasonFailedJobs, WithFirstFailedJob(kMessageFailedJobs, first->metadata.name_or_empty()),
                     now);
    return absl::OkStatus();
  }
  const api::FailurePolicy& policy = *jobset.spec.failure_policy;
  static const std::vector<api::FailurePolicyRule> kNoRules;
  RuleMatch match = FindFirstMatchingRule(policy.rules ? *policy.rules : kNoRules, jobs.failed);
  std::string action(kActionRestartJobSet);
  const api::Job* job = first;
  if (match.rule != nullptr) {
    action = match.rule->action;
    job = match.job;
  }
  const std::string job_name = job->metadata.name_or_empty();
  const int32_t max_restarts = policy.max_restarts.value_or(0);
  const int32_t counted = update.status.restarts_count_towards_max.value_or(0);

  if (action == kActionFailJobSet) {
    update.SetFailed(kReasonFailJobSetAction, WithFirstFailedJob(kMessageFailJobSetAction, job_name), now);
    return absl::OkStatus();
  }
  if (action == kActionRestartJobSet || action == kActionRestartJobSetIgnoreMax) {
    const bool counts = action == kActionRestartJobSet;
    if (counts && counted >= max_restarts) {
      update.SetFailed(kReasonReachedMaxRestarts, WithFirstFailedJob(kMessageReachedMaxRestarts, job_name), now);
      return absl::OkStatus();
    }
    update.status.restarts += 1;
    if (counts) update.status.restarts_count_towards_max = counted + 1;
    update.changed = true;
    std::string reason = match.rule != nullptr ? absl::StrCat("FailurePolicy_", match.rule->name)
                                               : std::string(kReasonDefaultFailurePolicy);
    std::string message =
        WithFirstFailedJob(absl::StrCat("applying ", action, " failure policy action"), job_name);
    update.SetCondition({std::string(kConditionRestarting), "True", reason, message, std::string(kEventWarning)},
                        now);
    update.events.push_back(Event{std::string(kEventWarning), absl::StrCat(action, "FailurePolicyAction"), message});
    return absl::OkStatus();
  }
  if (action == kActionRestartJob || action == kActionRestartJobIgnoreMax) {
    return absl::FailedPreconditionError(
        absl::StrCat("failure policy action ", action, " requires the RestartJob feature gate, which is off"));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown failure policy action \"", action, "\""));
}

}  // namespace phalanx::controller
