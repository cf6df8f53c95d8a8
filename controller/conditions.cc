#include "controller/conditions.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "kube/micro_time.h"

namespace phalanx::controller {
namespace {

bool IsStartupType(std::string_view type) {
  return type == kConditionStartupInProgress || type == kConditionStartupCompleted;
}

}  // namespace

std::string WithFirstFailedJob(std::string_view message, std::string_view job_name) {
  return absl::StrCat(AsAbsl(message), " (first failed job: ", AsAbsl(job_name), ")");
}

bool UpdateCondition(std::vector<api::Condition>& conditions, const ConditionSpec& spec, absl::Time now) {
  bool found = false;
  bool changed = false;
  for (api::Condition& current : conditions) {
    if (current.type == spec.type) {
      found = true;
      if (current.status != spec.status) {
        current.status = spec.status;
        current.reason = spec.reason;
        current.message = spec.message;
        current.last_transition_time = kube::FormatTime(now);
        changed = true;
      } else if (current.reason != spec.reason || current.message != spec.message) {
        current.reason = spec.reason;
        current.message = spec.message;
        changed = true;
      }
    } else if (IsStartupType(spec.type) && IsStartupType(current.type) && spec.status == "True" &&
               current.status == "True") {
      current.status = "False";
      changed = true;
    }
  }
  if (!found && spec.status == "True") {
    api::Condition c;
    c.type = spec.type;
    c.status = spec.status;
    c.reason = spec.reason;
    c.message = spec.message;
    c.last_transition_time = kube::FormatTime(now);
    conditions.push_back(std::move(c));
    changed = true;
  }
  return changed;
}

const api::Condition* FindCondition(const std::vector<api::Condition>& conditions, std::string_view type) {
  for (const api::Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool HasTrueCondition(const std::vector<api::Condition>& conditions, std::string_view type) {
  const api::Condition* c = FindCondition(conditions, type);
  return c != nullptr && c->status == "True";
}

bool JobSetFinished(const api::JobSetStatus& status) {
  return HasTrueCondition(status.conditions, kConditionCompleted) ||
         HasTrueCondition(status.conditions, kConditionFailed);
}

void StatusUpdate::SetCondition(const ConditionSpec& spec, absl::Time now) {
  if (UpdateCondition(status.conditions, spec, now)) {
    changed = true;
    events.push_back(Event{spec.event_type, spec.reason, spec.message});
  }
}

void StatusUpdate::SetCompleted(absl::Time now) {
  SetCondition({std::string(kConditionCompleted), "True", std::string(kReasonAllJobsCompleted),
                std::string(kMessageCompleted), std::string(kEventNormal)},
               now);
  SetCondition({std::string(kConditionRestarting), "False", std::string(kReasonJobSetCompleted),
                std::string(kMessageCompleted), std::string(kEventNormal)},
               now);
  if (status.terminal_state != "Completed") {
    status.terminal_state = "Completed";
    changed = true;
  }
  terminal = Terminal::kCompleted;
}

void StatusUpdate::SetFailed(std::string_view reason, std::string_view message, absl::Time now) {
  SetCondition({std::string(kConditionFailed), "True", std::string(reason), std::string(message),
                std::string(kEventWarning)},
               now);
  SetCondition({std::string(kConditionRestarting), "False", std::string(kReasonJobSetFailed),
                std::string(kMessageJobSetFailed), std::string(kEventNormal)},
               now);
  if (status.terminal_state != "Failed") {
    status.terminal_state = "Failed";
    changed = true;
  }
  terminal = Terminal::kFailed;
}

void StatusUpdate::SetSuspended(absl::Time now) {
  SetCondition({std::string(kConditionSuspended), "True", std::string(kReasonSuspended),
                std::string(kMessageSuspended), std::string(kEventNormal)},
               now);
  SetCondition({std::string(kConditionRestarting), "False", std::string(kReasonJobSetSuspended),
                std::string(kMessageSuspended), std::string(kEventNormal)},
               now);
}

void StatusUpdate::SetResumed(absl::Time now) {
  SetCondition({std::string(kConditionSuspended), "False", std::string(kReasonResumed),
                std::string(kMessageResumed), std::string(kEventNormal)},
               now);
}

}  // namespace phalanx::controller
