#include "controller/classification.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/labels.h"
#include "kube/micro_time.h"

namespace phalanx::controller {

const api::JobCondition* FindTrueJobCondition(const api::Job& job, std::string_view type) {
  if (!job.status) return nullptr;
  for (const api::JobCondition& c : job.status->conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

const std::string* LabelValue(const api::ObjectMeta& meta, std::string_view key) {
  if (!meta.labels) return nullptr;
  auto it = meta.labels->find(std::string(key));
  return it == meta.labels->end() ? nullptr : &it->second;
}

std::optional<absl::Time> JobFailureTime(const api::Job& job) {
  const api::JobCondition* c = FindTrueJobCondition(job, "Failed");
  if (c == nullptr) return std::nullopt;
  absl::StatusOr<absl::Time> t = kube::ParseTime(c->last_transition_time);
  if (!t.ok()) return std::nullopt;
  return *t;
}

absl::StatusOr<ChildJobs> ClassifyJobs(const std::vector<const api::Job*>& jobs, int32_t restarts) {
  ChildJobs out;
  for (const api::Job* job_ptr : jobs) {
    const api::Job& job = *job_ptr;
    const std::string* label = LabelValue(job.metadata, api::kRestartsKey);
    int32_t attempt = 0;
    if (label == nullptr || !absl::SimpleAtoi(*label, &attempt)) {
      return absl::InvalidArgumentError(absl::StrCat("job ", job.metadata.name_or_empty(),
                                                     ": restart-attempt label is not an integer: \"",
                                                     label != nullptr ? *label : std::string(), "\""));
    }
    if (attempt < restarts) {
      out.previous.push_back(&job);
    } else if (FindTrueJobCondition(job, "Complete") != nullptr) {
      out.successful.push_back(&job);
    } else if (FindTrueJobCondition(job, "Failed") != nullptr) {
      out.failed.push_back(&job);
    } else {
      out.active.push_back(&job);
    }
  }
  return out;
}

}  // namespace phalanx::controller
