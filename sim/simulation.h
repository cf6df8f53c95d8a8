// sim/simulation.h
//
// Simulate: the whole system on a simulated cluster, in-process and deterministic. One
// kube::MemoryCluster (seeded, on a virtual clock) holds the cluster of `ClusterSpec`; in front of it
// run the real admission webhook (webhook::HandleAdmission through kube/remote_admission.h's in-process
// transport, as kube-apiserver would call it), the real controller (controller::Runner), the real
// planner and extender (extender::Caches, Planner, Handler — the scheduler calls /filter and
// /prioritize in-process), and the emulated Job controller, kube-scheduler and kubelet of sim/. A
// single thread drives them in a fixed order: at each virtual instant it lets JobSets arrive and faults
// happen, steps every component until none has anything left to do, lets the Observer check the
// invariants and record, then moves the clock to the next instant anything is due (an arrival, a fault,
// a pod finishing, a backoff or requeue ending). Same inputs and seed → byte-identical Timeline.
//
// Without gangs (SimulationOptions::gangs false) the planner and extender are off and the pod webhook
// is not installed: pods are scheduled one by one, as on a cluster without Phalanx's placement.
// Finished JobSets are deleted once recorded (as ttlSecondsAfterFinished: 0 would), so memory follows
// what runs, not what ran.
//
// Errors: kInvalidArgument for inputs the simulation cannot start from (no nodes); kInternal when a
// step does not settle (a component loop), naming the time. Everything else — a JobSet the webhook
// denies, a fault naming no running pod — is recorded in the Timeline, not an error.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/scenario.h"
#include "sim/timeline.h"

namespace phalanx::sim {

struct SimulationOptions {
  bool gangs = true;
  uint64_t seed = 1;
  // The run stops at this virtual time even if JobSets still wait or run.
  absl::Duration max_time = absl::Hours(24 * 7);
  // Called after each settled instant: (virtual seconds, JobSets finished, JobSets in the workload).
  std::function<void(double, size_t, size_t)> progress;
};

absl::StatusOr<Timeline> Simulate(const ClusterSpec& cluster, const Workload& workload,
                                  const SimulationOptions& options = {});

}  // namespace phalanx::sim
