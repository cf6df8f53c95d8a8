// scheduler-extender/state.h
//
// ExtenderState: everything the extender knows, fed by informer events, and every decision it takes.
// It holds the placement model (placement::Cluster: nodes and bound pods), the reservations, the planner
// queue, one compact record per JobSet that asks for placement, and one per gated pod (its PinShape).
// No full Kubernetes objects are kept.
//
// Two kinds of callers:
//  - every replica: On*() events from the informers; Sync() rebuilds reservations recorded on the API
//    (JobSet annotation phalanx.dev/reservations, scheduler-extender/reservation_record.h) that this
//    replica does not hold yet, and releases those whose JobSet finished, was suspended or deleted;
//    Filter() / Prioritize() answer the scheduler from the same model.
//  - the leader's planner: Plan(now) decides one round — reserve pending gangs in DESIGN §3 order, move
//    Jobs off domains that can no longer hold them, and say which annotations to write, which pods to
//    ungate and pin (only pods whose gang's reservation is already recorded on the API, and that carry no
//    scheduling gate but ours), and which Events to send (a gang waits, with the engine's reason — sent
//    again only when the reason changes — and a gang is placed). The planner carries the actions out and
//    reports back with Recorded() / Pinned() / PinFailed().
// Gang membership is checked through the owner chain (to_placement.h ClaimHolds), not taken from the
// labels: a pod whose claim does not hold is no member — it is never pinned, holds nothing of the
// gang's reservation, does not count as the Job's pod, and /filter keeps it out of reserved domains.
// Without the pod webhook (pods never gated) Filter() reserves a member's gang on first sight through the
// same Reserve call; the planner then records it.
// Thread-safe: one mutex; Filter/Prioritize take it shared unless they must reserve.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/json_patch.h"
#include "api/jobset.h"
#include "api/scheduling.h"
#include "placement/cluster.h"
#include "placement/filter.h"
#include "placement/gang.h"
#include "placement/queue.h"
#include "placement/reserve.h"
#include "scheduler-extender/pinning.h"
#include "scheduler-extender/reservation_record.h"
#include "scheduler-extender/to_placement.h"

namespace phalanx::extender {

struct StateOptions {
  placement::TopologyConfig topology;
  placement::QueueOptions queue;
  placement::FilterOptions filter;
  // Fencing (scheduler-extender/fencing.h): pins carry the toleration for the domain's
  // phalanx.dev/reserved=<JobSet uid> taint.
  bool fence_reserved_domains = false;
};

// Errors worth retrying as they are: unavailable, throttled, timed out, internal.
bool IsTransient(const absl::Status& status);

// The JobSet an action is about.
struct JobSetRef {
  std::string ns;
  std::string name;
  std::string uid;
};

// Write the reservation annotation (`value` empty: remove it).
struct RecordAction {
  JobSetRef jobset;
  std::string value;
};

// One JSON Patch that removes our gate and pins the pod to its Job's domain.
struct PinAction {
  std::string ns;
  std::string name;
  std::string uid;
  JobSetRef jobset;
  std::string domain;  // "<key>=<path>", "" for a Job without an exclusive domain
  api::JsonPatch patch;
};

struct EventAction {
  JobSetRef jobset;
  std::string type;    // Normal | Warning
  std::string reason;  // GangPlaced | GangWaiting | GangMoved | PinFailed | CannotPlace
  std::string note;
};

struct PlanActions {
  std::vector<RecordAction> records;  // write these first
  std::vector<PinAction> pins;        // then these (only for recorded gangs)
  std::vector<EventAction> events;
  int placed_gangs = 0;
  int waiting_gangs = 0;
};

// Sizes of what the state holds, for metrics.
struct StateCounts {
  size_t nodes = 0;
  size_t bound_pods = 0;
  size_t gated_pods = 0;
  size_t jobsets = 0;
  size_t reservations = 0;
  size_t pending_gangs = 0;
};

class ExtenderState {
 public:
  explicit ExtenderState(StateOptions options = {});

  // --- informer events (any replica). JSON is the object as the API server sent it. ---
  void OnNode(std::string_view node_json);
  void OnNodeDeleted(std::string_view name);
  void OnPod(std::string_view pod_json);
  void OnPodDeleted(std::string_view uid);
  void OnJobSet(std::string_view jobset_json);
  void OnJobSetDeleted(std::string_view uid);

  // Adopts recorded reservations not held yet and releases those of inactive JobSets. Cheap when
  // nothing changed. Any replica; the leader calls it at the start of every round.
  void Sync();

  // One planning round (leader only). Mutates the reservations; nothing is written to the API here.
  PlanActions Plan(absl::Time now);
  // Only the pins (and their failure Events) that are due now: what the planner sends right after its
  // records were written, without planning again.
  PlanActions Pins();

  // The planner's reports. Recorded: the annotation now holds `value` on the API. Pinned: the pod's
  // patch was accepted. PinFailed: it failed — a transient error (IsTransient) is retried next round, a
  // refusal once the pod changes.
  void Recorded(const std::string& jobset_uid, const std::string& value);
  void Pinned(const std::string& pod_uid);
  void PinFailed(const std::string& pod_uid, const absl::Status& error);

  // Leadership. Only the leader reserves (Plan, and Filter on first sight); a replica that stops leading
  // drops reservations that never reached the API, so its /filter answers from recorded ones alone.
  // Initially leading (a single replica without leader election).
  void SetLeading(bool leading);

  // Scheduler calls: the pod (as decoded from ExtenderArgs) and the candidate node names.
  placement::FilterResult Filter(const api::PodInfo& pod, absl::Span<const std::string_view> names);
  std::vector<int64_t> Prioritize(const api::PodInfo& pod, absl::Span<const std::string_view> names);

  StateCounts Counts() const;
  // The recorded-or-wanted reservation text of a JobSet (tests, debugging); nullopt if unknown.
  std::optional<std::string> WantedRecord(const std::string& jobset_uid) const;
  // Fencing: every node of a reserved exclusive domain → the uid of the JobSet holding it.
  std::map<std::string, std::string> ReservedNodes() const;

 private:
  struct JobSetEntry {
    JobSetRef ref;
    bool active = false;      // wants placement now: not suspended, finished or deleting
    bool suspended = false;
    std::vector<placement::GangDemand> gangs;
    std::string demand_error;            // the spec could not be read as a demand
    std::optional<std::string> recorded;  // annotation value as last seen on (or written to) the API
    std::optional<ReservationRecord> record;  // `recorded` decoded; nullopt if absent or malformed
    bool adopt_pending = false;           // recorded text not yet reflected in reservations
    std::map<placement::GangId, std::string> last_event;  // gang → last note sent
    std::string wanted;             // WantedLocked() as of wanted_version
    uint64_t wanted_version = ~0ull;
  };
  struct GatedPod {
    std::string ns;
    std::string name;
    placement::JobKey job;
    std::string owner_job;  // MemberClaim::owner_job: checked against the JobSet before pinning
    PinShape shape;
    bool only_our_gate = false;
    bool in_flight = false;       // a pin patch was handed out and not reported yet
    bool failed = false;          // a pin was refused at failed_version; retried once the pod changes
    std::string failed_version;
    std::string resource_version;
  };

  // A bound pod whose claimed JobSet was not known when the pod was seen: held in the cluster without
  // its Job until the JobSet arrives and the claim can be checked (informers list in any order).
  struct PendingMember {
    placement::BoundPod pod;  // with the claimed job
    MemberClaim claim;
  };

  // True when the pod's claim on `job` holds against the JobSet known by job.jobset_uid
  // (to_placement.h ClaimHolds); false when that JobSet is unknown.
  bool ClaimHoldsLocked(const MemberClaim& claim, const placement::JobKey& job) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Resolves the pending members of JobSet `uid`, which has just become known.
  void ResolvePendingLocked(const std::string& uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpsertJobSetLocked(const api::JobSet& js) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseJobSetLocked(JobSetEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the gang's reservation (if any) and its place in the queue.
  void ReleaseGangLocked(const placement::GangId& gang) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void SetRecorded(JobSetEntry& e, std::optional<std::string> text);
  void SyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `final`: a domain that is not known counts as gone (the caches have synced).
  bool AdoptLocked(JobSetEntry& e, bool final) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The record text the current reservations of `e` call for.
  std::string WantedLocked(const JobSetEntry& e) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The same, recomputed only when some reservation changed since (pod events do not change it).
  const std::string& WantedCachedLocked(JobSetEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when `gang` is reserved and its reservation is on the API as it is in memory.
  bool GangRecordedLocked(const JobSetEntry& e, const placement::GangId& gang) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const placement::GangDemand* GangOfJobLocked(const placement::JobKey& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CollectPinsLocked(PlanActions& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  PinTarget TargetLocked(placement::DomainId domain) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const StateOptions options_;
  mutable absl::Mutex mu_;
  placement::Cluster cluster_ ABSL_GUARDED_BY(mu_);
  placement::Reservations reservations_ ABSL_GUARDED_BY(mu_);
  placement::PlanQueue queue_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JobSetEntry> jobsets_ ABSL_GUARDED_BY(mu_);  // by uid
  absl::flat_hash_map<std::string, GatedPod> gated_ ABSL_GUARDED_BY(mu_);  // by pod uid
  absl::flat_hash_map<std::string, PendingMember> pending_members_ ABSL_GUARDED_BY(mu_);  // by pod uid
  // Namespace and name of every JobSet seen (with or without placement), by uid: what claims are
  // checked against.
  struct JobSetName {
    std::string ns;
    std::string name;
  };
  absl::flat_hash_map<std::string, JobSetName> jobset_names_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;        // something changed since the last Sync
  bool nodes_changed_ ABSL_GUARDED_BY(mu_) = true;  // re-check reserved gangs' domains
  bool final_adoption_ ABSL_GUARDED_BY(mu_) = false;  // set by the first Plan
  bool leading_ ABSL_GUARDED_BY(mu_) = true;
  uint64_t reservations_version_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by every reservation change
  // Jobs whose domain can no longer hold them but which still have bound pods there: re-checked every
  // round, their pods not pinned until they moved.
  std::set<placement::JobKey> stranded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::extender
