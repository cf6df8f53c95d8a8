#include "controller/replicated_job_status.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "api/labels.h"

namespace phalanx::controller {
namespace {

// Pods that must be ready (or succeeded) for the Job to count as ready: min(parallelism, completions),
// completions defaulting to parallelism and parallelism to 1.
int32_t PodsNeededForReady(const api::Job& job) {
  int32_t parallelism = job.spec.parallelism.value_or(1);
  int32_t completions = job.spec.completions.value_or(parallelism);
  return std::min(parallelism, completions);
}

}  // namespace

std::vector<api::ReplicatedJobStatus> ComputeReplicatedJobsStatus(const api::JobSet& jobset,
                                                                  const ChildJobs& jobs) {
  std::vector<api::ReplicatedJobStatus> out;
  absl::flat_hash_map<std::string_view, size_t> index;
  for (const api::ReplicatedJob& rj : jobset.spec.rjobs()) {
    if (index.count(rj.name)) continue;
    index.emplace(rj.name, out.size());
    api::ReplicatedJobStatus s;
    s.name = rj.name;
    out.push_back(std::move(s));
  }
  auto entry = [&](const api::Job* job) -> api::ReplicatedJobStatus* {
    const std::string* rj = LabelValue(job->metadata, api::kReplicatedJobNameKey);
    if (rj == nullptr) return nullptr;
    auto it = index.find(*rj);
    return it == index.end() ? nullptr : &out[it->second];
  };
  for (const api::Job* job : jobs.active) {
    api::ReplicatedJobStatus* s = entry(job);
    if (s == nullptr) continue;
    int32_t ready = 0, succeeded = 0, active = 0;
    if (job->status) {
      ready = job->status->ready.value_or(0);
      succeeded = job->status->succeeded.value_or(0);
      active = job->status->active.value_or(0);
    }
    if (ready + succeeded >= PodsNeededForReady(*job)) ++s->ready;
    if (active > 0) ++s->active;
    if (job->spec.suspend.value_or(false)) ++s->suspended;
  }
  for (const api::Job* job : jobs.successful) {
    if (api::ReplicatedJobStatus* s = entry(job)) ++s->succeeded;
  }
  for (const api::Job* job : jobs.failed) {
    if (api::ReplicatedJobStatus* s = entry(job)) ++s->failed;
  }
  return out;
}

bool SameReplicatedJobsStatus(const std::vector<api::ReplicatedJobStatus>& a,
                              const std::vector<api::ReplicatedJobStatus>& b) {
  if (a.size() != b.size()) return false;
  auto key = [](const api::ReplicatedJobStatus& s) {
    return std::make_tuple(s.name, s.ready, s.succeeded, s.failed, s.active, s.suspended, s.job_restarts,
                           s.job_restarts_count_towards_max);
  };
  std::vector<decltype(key(a[0]))> ka, kb;
  for (const auto& s : a) ka.push_back(key(s));
  for (const auto& s : b) kb.push_back(key(s));
  std::sort(ka.begin(), ka.end());
  std::sort(kb.begin(), kb.end());
  return ka == kb;
}

const api::ReplicatedJobStatus* FindReplicatedJobStatus(const std::vector<api::ReplicatedJobStatus>& statuses,
                                                        std::string_view name) {
  for (const auto& s : statuses) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace phalanx::controller
