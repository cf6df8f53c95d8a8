#include "placement/preempt.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_set.h"

namespace phalanx::placement {

namespace {

// Whether `gang` fits once `victims` and their pods are gone.
ReserveResult TryWithout(const Cluster& cluster, const Reservations& reservations,
                         const GangDemand& gang, const std::vector<GangId>& victims) {
  Cluster c = cluster;
  Reservations r = reservations;
  absl::flat_hash_set<std::string> uids;
  for (const GangId& v : victims) {
    r.Release(c, v);
    uids.insert(v.jobset_uid);
  }
  c.RemovePodsIf([&](const JobKey& job) {
    if (!uids.contains(job.jobset_uid)) return false;
    for (const GangId& v : victims) {
      if (v.jobset_uid == job.jobset_uid &&
          (v.replicated_job.empty() || v.replicated_job == job.replicated_job) &&
          (v.job_index < 0 || v.job_index == job.index)) {
        return true;
      }
    }
    return false;
  });
  return r.Reserve(c, gang);
}

}  // namespace

PreemptionPlan PlanPreemption(const Cluster& cluster, const Reservations& reservations,
                              const GangDemand& gang) {
  PreemptionPlan plan;
  std::vector<GangId> none;
  if (TryWithout(cluster, reservations, gang, none).placed()) {
    plan.feasible = true;
    return plan;
  }
  std::vector<std::tuple<int32_t, GangId>> candidates;
  for (const GangId& id : reservations.Gangs()) {
    const Reservation* r = reservations.Find(id);
    if (r->priority < gang.priority && !(id == gang.id)) candidates.emplace_back(r->priority, id);
  }
  std::sort(candidates.begin(), candidates.end());
  std::vector<GangId> victims;
  for (const auto& [priority, id] : candidates) {
    victims.push_back(id);
    if (TryWithout(cluster, reservations, gang, victims).placed()) {
      plan.feasible = true;
      break;
    }
  }
  if (!plan.feasible) {
    plan.reason = TryWithout(cluster, reservations, gang, victims).reason;
    return plan;
  }
  // Trim: the latest-added victim is needed; drop earlier ones the gang fits without.
  for (size_t i = victims.size(); i-- > 1;) {
    std::vector<GangId> fewer = victims;
    fewer.erase(fewer.begin() + static_cast<long>(i - 1));
    if (TryWithout(cluster, reservations, gang, fewer).placed()) victims = std::move(fewer);
  }
  plan.victims = std::move(victims);
  return plan;
}

}  // namespace phalanx::placement
