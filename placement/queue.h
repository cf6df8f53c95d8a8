// placement/queue.h
//
// The planner queue: pending gangs in planning order — priority (desc), then creation time (asc),
// then gang id — tried one by one with Reservations::Reserve. A gang that does not fit holds
// nothing, and later (smaller) gangs may backfill past it, unless it has been blocked for at least
// `starvation_bound`: then it stops backfill onto every domain it could use (by node labels and taints)
// until it is placed; gangs bound for domains it could never use still go. Time is passed in by the
// caller.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/time/time.h"
#include "placement/cluster.h"
#include "placement/model.h"
#include "placement/reserve.h"

namespace phalanx::placement {

struct QueueOptions {
  absl::Duration starvation_bound = absl::Minutes(10);
};

struct PlanRound {
  std::vector<GangId> placed;  // in the order they were placed; removed from the queue
  struct Waiting {
    GangId gang;
    std::string reason;
  };
  std::vector<Waiting> waiting;    // in planning order
  std::optional<GangId> starving;  // the gang that stopped backfill this round
};

class PlanQueue {
 public:
  explicit PlanQueue(QueueOptions options = {}) : options_(options) {}

  // Adds a gang, or replaces its demand (keeping how long it has been blocked).
  void Upsert(GangDemand gang);
  void Remove(const GangId& gang);
  bool Contains(const GangId& gang) const { return entries_.contains(gang); }
  size_t size() const { return entries_.size(); }
  // When the gang first failed to fit, if it has.
  std::optional<absl::Time> BlockedSince(const GangId& gang) const;

  // Gang ids in planning order.
  std::vector<GangId> Order() const;

  // One planning pass at time `now`.
  PlanRound Plan(Cluster& cluster, Reservations& reservations, absl::Time now);

 private:
  struct Entry {
    GangDemand demand;
    std::optional<absl::Time> blocked_since;
  };
  std::vector<const Entry*> Sorted() const;

  QueueOptions options_;
  absl::btree_map<GangId, Entry> entries_;
};

}  // namespace phalanx::placement
