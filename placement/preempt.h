// placement/preempt.h
//
// Whole-gang preemption planning: which reserved gangs of strictly lower priority must give way
// for `gang` to be placed. Victims are whole gangs (all their Jobs, reservations and bound pods),
// never single pods; equal or higher priority is never a victim. The choice is greedy and then
// trimmed: lowest priority first (ties by gang id), adding victims until the gang fits, then
// dropping every victim the gang can fit without. Works on copies of the model (a what-if), so it
// costs O(victims tried × cluster size) and never changes the inputs; meant for the rare case where
// the planner or the extender's preempt verb needs an answer.
#pragma once

#include <string>
#include <vector>

#include "placement/cluster.h"
#include "placement/model.h"
#include "placement/reserve.h"

namespace phalanx::placement {

struct PreemptionPlan {
  bool feasible = false;        // the gang fits once `victims` are gone (or already fits)
  std::vector<GangId> victims;  // empty if the gang fits as is
  std::string reason;           // when not feasible: why, with every lower-priority gang gone
};

PreemptionPlan PlanPreemption(const Cluster& cluster, const Reservations& reservations,
                              const GangDemand& gang);

}  // namespace phalanx::placement
