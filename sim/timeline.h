// sim/timeline.h
//
// Timeline: what one simulation run recorded, in plain data — the interface between the driver
// (sim/simulation.h, which fills it) and the reports (sim/report.h: text summary, JSON, SVG), so the
// reports are pure functions of it. Times are seconds from the start of the run (virtual clock).
// Everything is ordered deterministically by whoever fills it (domains by id, JobSets by arrival then
// namespace/name, occupancies and marks by time then domain).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace phalanx::sim {

// One exclusive domain drawn as a row: the finest level JobSets in the run asked exclusivity on (or,
// when none did, the node pools / racks the cluster generator made).
struct DomainInfo {
  std::string id;     // "<key>=<path>", e.g. "cloud.google.com/gke-nodepool=v5p-0"
  std::string label;  // short name shown in the picture, e.g. "v5p-0"
  int nodes = 0;
  double capacity = 0;  // of Timeline::resource, summed over its nodes
};

// A Job's pods on one domain, from the first pod bound there to the last one leaving it.
struct Occupancy {
  std::string domain_id;
  std::string jobset;  // "<namespace>/<name>"
  std::string job;     // child Job name
  double start_s = 0;
  double end_s = 0;
  int pods = 0;        // most pods of this Job on the domain at once
  bool partial = false;  // the Job's pods were split over several domains, or only some of them started
  bool shared = false;   // another Job ran on the same domain at an overlapping time
};

enum class MarkKind { kPodFailure, kNodeFailure, kNodeRecovery, kRestart, kGangMoved };

// A point event drawn on a domain row (domain_id "" = not tied to a domain).
struct Mark {
  MarkKind kind = MarkKind::kPodFailure;
  double t_s = 0;
  std::string domain_id;
  std::string jobset;  // "" for node events
  std::string text;    // one line, e.g. "pod llm-workers-0-1 failed: exit 137 (OOMKilled)"
};

struct JobSetRecord {
  std::string namespace_;
  std::string name;
  double arrived_s = 0;
  std::optional<double> started_s;   // every pod of every Job running at once for the first time
  std::optional<double> finished_s;  // Completed or Failed condition
  std::string outcome;               // "Completed" | "Failed" | "Running" | "Waiting" (at the end of the run)
  int restarts = 0;                  // status.restarts at the end
  std::vector<std::string> domains;  // "<key>=<path>" of each child Job's (last) domain, by Job name
  int pods = 0;                      // pods per attempt (sum of parallelism)
  std::string wait_reason;           // last reason the gang waited ("" if it never waited)
};

// Cluster state sampled whenever it changes (at most one sample per virtual second).
struct Sample {
  double t_s = 0;
  double utilisation = 0;    // Timeline::resource requested by running pods / allocatable, 0..1
  double fragmentation = 0;  // 1 - (free capacity in wholly free domains / all free capacity), 0..1
  int running_pods = 0;
  int pending_pods = 0;      // created, not bound
};

// Invariant checks after every step; rule → violations. Rules:
//   "exclusive-domain-shared"   two Jobs with exclusive placement bound on one domain of that level
//   "partial-gang"              a gang with some but not all of its pods bound after the step settled
//   "outside-reservation"       a pod bound outside the domain reserved for its Job
//   "capacity-exceeded"         a node's bound, unfinished pods request more than it has
struct InvariantCounts {
  int64_t checked = 0;  // steps checked
  std::map<std::string, int64_t> violations;
  std::vector<std::string> examples;  // the first few violations, one line each
  int64_t Total() const {
    int64_t t = 0;
    for (const auto& [rule, n] : violations) t += n;
    return t;
  }
};

struct Timeline {
  std::string cluster_name;   // from the cluster file
  std::string workload_name;  // the workload file's name
  bool gangs = true;          // false with --without-gangs
  uint64_t seed = 1;
  double end_s = 0;           // when the run stopped
  std::string resource;       // the accelerator resource measured ("google.com/tpu", "nvidia.com/gpu", else "cpu")
  int nodes = 0;
  std::vector<DomainInfo> domains;
  std::vector<Occupancy> occupancies;
  std::vector<Mark> marks;
  std::vector<JobSetRecord> jobsets;
  std::vector<Sample> samples;
  InvariantCounts invariants;
};

}  // namespace phalanx::sim
