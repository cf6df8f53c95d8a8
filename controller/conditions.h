// controller/conditions.h
//
// JobSet status conditions and the exact update rules upstream JobSet applies (reference §1.11):
//   1. a False condition is never added, it only flips an existing one of the same type;
//   2. same type, different status → replaced, new lastTransitionTime;
//   3. same type and status, different reason/message → replaced, lastTransitionTime kept;
//   4. identical → nothing;
//   5. StartupPolicyInProgress / StartupPolicyCompleted are mutually exclusive: setting one True flips
//      the other (if True) to False in place.
// StatusUpdate collects one reconcile's status edits and the events they cause (one per effective
// condition change, emitted only after the status write succeeds). Pure; no clock (callers pass `now`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "api/jobset.h"

namespace phalanx::controller {

inline constexpr std::string_view kEventNormal = "Normal";
inline constexpr std::string_view kEventWarning = "Warning";

// Condition types.
inline constexpr std::string_view kConditionCompleted = "Completed";
inline constexpr std::string_view kConditionFailed = "Failed";
inline constexpr std::string_view kConditionSuspended = "Suspended";
inline constexpr std::string_view kConditionRestarting = "RestartingJobSet";
inline constexpr std::string_view kConditionStartupInProgress = "StartupPolicyInProgress";
inline constexpr std::string_view kConditionStartupCompleted = "StartupPolicyCompleted";

// Reasons and messages of reference §1.11.
inline constexpr std::string_view kReasonAllJobsCompleted = "AllJobsCompleted";
inline constexpr std::string_view kMessageCompleted = "jobset completed successfully";
inline constexpr std::string_view kReasonFailedJobs = "FailedJobs";
inline constexpr std::string_view kMessageFailedJobs = "jobset failed due to one or more job failures";
inline constexpr std::string_view kReasonFailJobSetAction = "FailJobSetFailurePolicyAction";
inline constexpr std::string_view kMessageFailJobSetAction = "applying FailJobSet failure policy action";
inline constexpr std::string_view kReasonReachedMaxRestarts = "ReachedMaxRestarts";
inline constexpr std::string_view kMessageReachedMaxRestarts =
    "jobset failed due to reaching max number of restarts";
inline constexpr std::string_view kReasonSuspended = "SuspendedJobs";
inline constexpr std::string_view kMessageSuspended = "jobset is suspended";
inline constexpr std::string_view kReasonResumed = "ResumeJobs";
inline constexpr std::string_view kMessageResumed = "jobset is resumed";
inline constexpr std::string_view kReasonDefaultFailurePolicy = "DefaultFailurePolicy";
inline constexpr std::string_view kReasonJobsReady = "JobsReady";
inline constexpr std::string_view kMessageJobsReady = "all jobs are ready";
inline constexpr std::string_view kReasonJobSetFailed = "JobSetFailed";
inline constexpr std::string_view kMessageJobSetFailed = "jobset failed";
inline constexpr std::string_view kReasonJobSetCompleted = "JobSetCompleted";
inline constexpr std::string_view kReasonJobSetSuspended = "JobSetSuspended";
inline constexpr std::string_view kReasonInOrderInProgress = "InOrderStartupPolicyInProgress";
inline constexpr std::string_view kMessageInOrderInProgress = "in order startup policy is in progress";
inline constexpr std::string_view kReasonInOrderCompleted = "InOrderStartupPolicyCompleted";
inline constexpr std::string_view kMessageInOrderCompleted = "in order startup policy has completed";

// "<message> (first failed job: <job>)".
std::string WithFirstFailedJob(std::string_view message, std::string_view job_name);

// One condition to set, and the type of the event its change causes.
struct ConditionSpec {
  std::string type;
  std::string status;  // "True" | "False"
  std::string reason;
  std::string message;
  std::string event_type;  // "Normal" | "Warning"
};

// One Event to emit about the JobSet once its status is written.
struct Event {
  std::string type;
  std::string reason;
  std::string message;
  friend bool operator==(const Event&, const Event&) = default;
};

// Applies rules 1–5 to `conditions` (lastTransitionTime = `now` on a transition). Returns whether
// anything changed.
bool UpdateCondition(std::vector<api::Condition>& conditions, const ConditionSpec& spec, absl::Time now);

// True when a condition of `type` has status True.
bool HasTrueCondition(const std::vector<api::Condition>& conditions, std::string_view type);
const api::Condition* FindCondition(const std::vector<api::Condition>& conditions, std::string_view type);

// Completed=True or Failed=True: the JobSet is finished (terminal).
bool JobSetFinished(const api::JobSetStatus& status);

// The status one reconcile is building, what changed, and what to tell.
struct StatusUpdate {
  enum class Terminal { kNone, kCompleted, kFailed };
  api::JobSetStatus status;
  bool changed = false;
  std::vector<Event> events;
  Terminal terminal = Terminal::kNone;

  // UpdateCondition on `status`; on change marks the status changed and queues an event.
  void SetCondition(const ConditionSpec& spec, absl::Time now);
  // Completed=True/AllJobsCompleted, RestartingJobSet=False/JobSetCompleted, terminalState=Completed.
  void SetCompleted(absl::Time now);
  // Failed=True/<reason>, RestartingJobSet=False/JobSetFailed, terminalState=Failed.
  void SetFailed(std::string_view reason, std::string_view message, absl::Time now);
  // Suspended=True/SuspendedJobs and RestartingJobSet=False/JobSetSuspended.
  void SetSuspended(absl::Time now);
  // Suspended=False/ResumeJobs (only flips an existing condition).
  void SetResumed(absl::Time now);
};

}  // namespace phalanx::controller
