#include "controller/success_policy.h"

#include <algorithm>
#include <string>

#include "api/labels.h"

namespace phalanx::controller {

bool SuccessPolicySatisfied(const api::JobSet& jobset, const ChildJobs& jobs) {
  std::string op = "All";
  std::vector<std::string> targets;
  if (jobset.spec.success_policy) {
    op = jobset.spec.success_policy->operator_;
    if (jobset.spec.success_policy->target_replicated_jobs) {
      targets = *jobset.spec.success_policy->target_replicated_jobs;
    }
  }
  auto targeted = [&](const std::string& name) {
    return targets.empty() || std::find(targets.begin(), targets.end(), name) != targets.end();
  };
  int64_t needed = 1;
  if (op != "Any") {
    needed = 0;
    for (const api::ReplicatedJob& rj : jobset.spec.rjobs()) {
      if (targeted(rj.name)) needed += rj.replicas_or_default();
    }
  }
  int64_t have = 0;
  for (const api::Job* job : jobs.successful) {
    const std::string* rj = LabelValue(job->metadata, api::kReplicatedJobNameKey);
    if (rj != nullptr && targeted(*rj)) ++have;
  }
  return have >= needed;
}

}  // namespace phalanx::controller
