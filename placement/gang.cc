#include "placement/gang.h"

#include "absl/strings/str_cat.h"

namespace phalanx::placement {

std::vector<GangDemand> MakeGangs(const JobSetDemand& js) {
  std::vector<GangDemand> gangs;
  auto new_gang = [&](GangId id, GangPolicy policy) -> GangDemand& {
    GangDemand& g = gangs.emplace_back();
    g.id = std::move(id);
    g.owner = absl::StrCat(js.namespace_name, "/", js.name);
    g.policy = policy;
    g.colocate_key = js.colocate_key;
    g.priority = js.priority;
    g.created = js.created;
    return g;
  };
  if (js.policy == GangPolicy::kJobSet) new_gang(GangId{js.uid, "", -1}, GangPolicy::kJobSet);
  for (const ReplicatedJobDemand& rj : js.replicated_jobs) {
    const GangPolicy policy =
        js.policy == GangPolicy::kJobSet ? GangPolicy::kJobSet : rj.policy.value_or(js.policy);
    if (policy == GangPolicy::kReplicatedJob) {
      new_gang(GangId{js.uid, rj.name, -1}, policy);
    }
    for (int32_t i = 0; i < rj.replicas; ++i) {
      if (policy == GangPolicy::kJob) new_gang(GangId{js.uid, rj.name, i}, policy);
      JobDemand j;
      j.key = JobKey{js.uid, rj.name, i};
      j.name = absl::StrCat(js.name, "-", rj.name, "-", i);
      j.pods = rj.pods_per_job;
      j.requests = rj.requests;
      j.eligibility = rj.eligibility;
      j.exclusive_key = rj.exclusive_key.empty() ? js.exclusive_key : rj.exclusive_key;
      gangs.back().jobs.push_back(std::move(j));
    }
  }
  return gangs;
}

}  // namespace phalanx::placement
