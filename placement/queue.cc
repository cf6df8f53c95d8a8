#include "placement/queue.h"

#include "placement/eligibility.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace phalanx::placement {

void PlanQueue::Upsert(GangDemand gang) {
  auto it = entries_.find(gang.id);
  if (it != entries_.end()) {
    it->second.demand = std::move(gang);
    return;
  }
  GangId id = gang.id;
  entries_.emplace(std::move(id), Entry{std::move(gang), std::nullopt});
}

void PlanQueue::Remove(const GangId& gang) { entries_.erase(gang); }

std::optional<absl::Time> PlanQueue::BlockedSince(const GangId& gang) const {
  auto it = entries_.find(gang);
  if (it == entries_.end()) return std::nullopt;
  return it->second.blocked_since;
}

std::vector<const PlanQueue::Entry*> PlanQueue::Sorted() const {
  std::vector<const Entry*> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(&e);
  // entries_ is ordered by id, so a stable sort leaves id as the last tie-break.
  std::stable_sort(out.begin(), out.end(), [](const Entry* a, const Entry* b) {
    if (a->demand.priority != b->demand.priority) return a->demand.priority > b->demand.priority;
    return a->demand.created < b->demand.created;
  });
  return out;
}

std::vector<GangId> PlanQueue::Order() const {
  std::vector<GangId> out;
  for (const Entry* e : Sorted()) out.push_back(e->demand.id);
  return out;
}

namespace {

// True if a node of a domain `placed` holds could serve a Job of `starving` (labels and taints), so that
// letting `placed` backfill could delay the starving gang. A Job of `placed` that holds no exclusive
// domain uses capacity anywhere: it counts as competing.
bool Competes(const Cluster& cluster, const GangDemand& starving, const Reservation& placed) {
  std::vector<CompiledEligibility> eligible;
  eligible.reserve(starving.jobs.size());
  for (const JobDemand& j : starving.jobs) eligible.emplace_back(cluster.labels(), j.eligibility);
  for (const JobSlot& slot : placed.jobs) {
    if (slot.domain == kNoDomain) return true;
    for (NodeId n : cluster.domain(slot.domain).nodes) {
      for (const CompiledEligibility& e : eligible) {
        if (cluster.CheckEligibility(e, n) == EligibilityResult::kOk) return true;
      }
    }
  }
  return false;
}

}  // namespace

PlanRound PlanQueue::Plan(Cluster& cluster, Reservations& reservations, absl::Time now) {
  PlanRound round;
  std::vector<GangId> done;
  for (const Entry* e : Sorted()) {
    const GangDemand& gang = e->demand;
    if (round.starving.has_value()) {
      // Backfill stops only where it could take what the starving gang waits for: a gang whose
      // domains the starving one could never use (another accelerator, another node pool family)
      // still goes.
      const GangDemand& starving = entries_.at(*round.starving).demand;
      ReserveResult r = reservations.Reserve(cluster, gang);
      if (r.outcome == ReserveResult::Outcome::kPlaced && r.reservation.has_value() &&
          !Competes(cluster, starving, *r.reservation)) {
        round.placed.push_back(gang.id);
        done.push_back(gang.id);
        continue;
      }
      if (!r.placed()) {  // it would not fit anyway: say why
        round.waiting.push_back({gang.id, std::move(r.reason)});
        continue;
      }
      if (r.outcome == ReserveResult::Outcome::kPlaced) reservations.Release(cluster, gang.id);
      round.waiting.push_back({gang.id, absl::StrCat("waiting behind ", starving.owner,
                                                     ", blocked past the starvation bound")});
      continue;
    }
    ReserveResult r = reservations.Reserve(cluster, gang);
    if (r.placed()) {
      round.placed.push_back(gang.id);
      done.push_back(gang.id);
      continue;
    }
    Entry& entry = entries_.at(gang.id);
    if (!entry.blocked_since.has_value()) entry.blocked_since = now;
    round.waiting.push_back({gang.id, std::move(r.reason)});
    if (now - *entry.blocked_since >= options_.starvation_bound) round.starving = gang.id;
  }
  for (const GangId& id : done) entries_.erase(id);
  return round;
}

}  // namespace phalanx::placement
