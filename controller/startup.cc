#include "controller/startup.h"

#include "controller/replicated_job_status.h"

namespace phalanx::controller {

bool InOrderStartup(const api::JobSet& jobset) {
  return jobset.spec.startup_policy && jobset.spec.startup_policy->startup_policy_order == "InOrder";
}

bool DependenciesReached(const api::ReplicatedJob& rjob, const std::map<std::string, int32_t>& replicas_seen,
                         const std::vector<api::ReplicatedJobStatus>& statuses) {
  if (!rjob.depends_on) return true;
  for (const api::DependsOn& dep : *rjob.depends_on) {
    const api::ReplicatedJobStatus* s = FindReplicatedJobStatus(statuses, dep.name);
    if (s == nullptr) return false;
    auto it = replicas_seen.find(dep.name);
    // Like upstream's map lookup: a name not seen yet has 0 replicas.
    int32_t replicas = it == replicas_seen.end() ? 0 : it->second;
    if (dep.status == "Complete" && replicas != s->succeeded) return false;
    if (dep.status == "Ready" && replicas != s->ready + s->succeeded + s->failed) return false;
  }
  return true;
}

bool AllReplicasStarted(int32_t replicas, const api::ReplicatedJobStatus* status) {
  if (status == nullptr) return replicas == 0;
  return replicas == status->ready + status->succeeded + status->failed;
}

}  // namespace phalanx::controller
