// sim/observer.h
//
// Observer: the simulation's record keeper and referee. It is fed the cluster's objects as they change
// (Nodes, Pods, JobSets, Events — the JSON the API holds) and, at every Checkpoint(t) the driver calls
// once the system has settled at virtual time t, it
//  - checks the invariants of sim/timeline.h (InvariantCounts): no exclusive domain shared by two Jobs,
//    no partially bound gang, no pod bound outside its Job's recorded reservation, no node's capacity
//    exceeded — only over what changed since the last checkpoint, so a step costs what it touched;
//  - records each JobSet's start (every pod of the attempt Running at once), finish, restarts, wait reason
//    (the planner's GangWaiting Event, else the scheduler's PodScheduled message), and its Jobs' domains;
//  - keeps each Job's occupancy of each domain (first pod bound there → last pod gone) and marks;
//  - samples utilisation and fragmentation when they change.
// Finish() returns the Timeline. Pure bookkeeping: no I/O, no clock (times are given). Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/scheduling.h"
#include "sim/timeline.h"

namespace phalanx::sim {

struct ObserverOptions {
  // The accelerator resource utilisation is measured in ("google.com/tpu", "nvidia.com/gpu", "cpu").
  std::string resource = "cpu";
  // The rows: each a path of label keys (coarse → fine; the last is the row's key), e.g.
  // {{"cloud.google.com/gke-nodepool"}}. A node belongs to the row of the first path whose keys it all
  // carries; a node carrying none belongs to no row.
  std::vector<std::vector<std::string>> row_keys;
  // Label chains (coarse → fine) used to build a domain's full path for any exclusive key, as the
  // planner names domains ("block-1/rack-2"). A key in no chain has its own value as path.
  std::vector<std::vector<std::string>> chains;
  bool gangs = true;  // check "outside-reservation" (only meaningful with the planner)
  size_t max_examples = 5;
};

class Observer {
 public:
  explicit Observer(ObserverOptions options);

  // Changes fed from now on happened at `t_s` (the driver sets it before feeding a settled step).
  void SetTime(double t_s) { now_ = t_s; }
  void OnNode(const std::string& json);
  void OnNodeDeleted(const std::string& name);
  void OnPod(const std::string& json);
  void OnPodDeleted(const std::string& ns, const std::string& name);
  void OnJobSet(const std::string& json);
  void OnEvent(const std::string& json);

  // The driver created (or failed to create) a JobSet: `pods` is the pods of one attempt.
  void Arrived(const std::string& ns, const std::string& name, double t_s, int pods);
  void Rejected(const std::string& ns, const std::string& name, double t_s, const std::string& message);
  void AddMark(Mark mark);
  // The row ("<key>=<path>") a node belongs to, "" if none.
  std::string RowOf(const std::string& node) const;

  void Checkpoint(double t_s);
  // True when every JobSet that arrived has finished (or was rejected).
  bool AllFinished() const;
  size_t Arrivals() const { return jobsets_.size(); }
  size_t Finished() const;
  // True once the JobSet "<ns>/<name>" finished or was rejected.
  bool IsFinished(const std::string& key) const;
  const InvariantCounts& invariants() const { return invariants_; }

  Timeline Finish(double end_s);

 private:
  struct NodeRec {
    api::StringMap labels;
    api::Resources allocatable;
    bool ready = false;
    std::string row;  // RowOf, computed when the node is first seen
  };
  struct PodRec {
    std::string jobset;  // "<ns>/<name>", "" for pods of no JobSet
    std::string job;     // "<ns>/<job name>"
    std::string record_key;  // "<replicatedJob>/<jobIndex>"
    std::string exclusive_key;
    std::string node;
    std::string phase;
    bool deleting = false;
    api::Resources requests;
    bool Active() const { return phase != "Succeeded" && phase != "Failed"; }
    bool Bound() const { return !node.empty() && Active(); }
  };
  struct JobSetRec {
    JobSetRecord record;
    int attempt_pods = 0;
    std::map<std::string, std::string> reservation;  // "<rj>/<idx>" → "<key>=<path>"
    bool finished = false;
  };
  struct OpenOccupancy {
    size_t index;  // into occupancies_
    int pods = 0;
  };

  std::string PathOf(const std::string& node, const std::string& key) const;
  void Touch(const PodRec& pod);
  void Place(const PodRec& pod, int sign);
  // Counters of running and pending pods (sign +1 when a record is stored, -1 when it goes).
  void Account(const PodRec& pod, int sign);
  // A Job's active (unfinished, not deleting) pods: how many, how many bound and where.
  struct JobView {
    int active = 0;
    int bound = 0;
    std::vector<std::string> nodes;  // of the bound ones
    std::string record_key, jobset;
  };
  JobView ViewOf(const std::string& job) const;
  std::string ComputeRow(const api::StringMap& labels) const;
  void Violation(const std::string& rule, const std::string& text);
  void CheckNode(const std::string& node);
  void CheckJob(const std::string& job, const JobView& view);
  void CheckExclusiveDomain(const std::string& domain);
  void TakeSample(double t_s);

  const ObserverOptions options_;
  std::map<std::string, NodeRec> nodes_;
  std::map<std::pair<std::string, std::string>, PodRec> pods_;
  std::map<std::string, JobSetRec> jobsets_;  // by "<ns>/<name>"
  std::vector<std::string> arrival_order_;

  // Derived, kept up to date by Place(): bound active pods per node, per Job, per exclusive domain.
  std::map<std::string, api::Resources> used_;                      // node → requests
  std::map<std::string, std::map<std::string, int>> job_nodes_;     // job → node → pods bound
  std::map<std::string, std::map<std::string, int>> domain_jobs_;   // "<key>=<path>" → job ("" = other) → pods
  std::map<std::string, std::string> job_exclusive_;                // job → exclusive key
  std::map<std::pair<std::string, std::string>, OpenOccupancy> open_;  // (job, row) → occupancy
  std::vector<Occupancy> occupancies_;
  std::vector<Mark> marks_;

  std::set<std::string> exclusive_keys_;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> job_pods_;  // job → pod keys
  std::map<std::string, int> jobset_running_;
  std::map<std::string, std::set<std::string>> row_jobs_;  // row → Jobs with an open occupancy there
  std::map<std::string, double> row_capacity_, row_used_;
  int running_pods_ = 0, pending_pods_ = 0;
  double running_used_ = 0;
  std::set<std::string> dirty_nodes_, dirty_jobs_, dirty_domains_;
  double now_ = 0;  // the time changes are attributed to (SetTime)

  InvariantCounts invariants_;
  std::vector<Sample> samples_;
  double total_capacity_ = 0;
};

}  // namespace phalanx::sim
