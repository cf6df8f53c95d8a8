#include "scheduler-extender/state.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/expand.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/strings.h"
#include "placement/topology.h"
#include "scheduler-extender/fencing.h"
#include "scheduler-extender/to_placement.h"
#include "scheduler-extender/wire.h"

namespace phalanx::extender {
namespace {

using placement::DomainId;
using placement::GangDemand;
using placement::GangId;
using placement::JobKey;
using placement::kNoDomain;

// Upstream's terminal conditions, and the terminal state field.
bool Finished(const api::JobSet& js) {
  if (!js.status.has_value()) return false;
  if (js.status->terminal_state.has_value() && !js.status->terminal_state->empty()) return true;
  for (const api::Condition& c : js.status->conditions) {
    if ((c.type == "Completed" || c.type == "Failed") && c.status == "True") return true;
  }
  return false;
}

// A JobSet asks for Phalanx placement when one of its ReplicatedJobs has a gang policy (an exclusive
// topology implies policy Job) — the rule expansion and the pod webhook's gate follow too.
bool WantsPlacement(const api::JobSet& js) {
  const auto& rjobs = js.spec.rjobs();
  return std::any_of(rjobs.begin(), rjobs.end(),
                     [&](const api::ReplicatedJob& rj) { return !api::GangPolicy(js, rj).empty(); });
}

// A member of a reserved gang whose Job holds no exclusive domain: only the gate goes.
absl::StatusOr<api::JsonPatch> UngatePatch(const PinShape& pod) {
  const int i = pod.GateIndex(api::kPlacementGate);
  if (i < 0) return absl::FailedPreconditionError("the pod does not carry the phalanx.dev/placement gate");
  api::JsonPatch patch;
  const std::string path = absl::StrCat("/spec/schedulingGates/", i);
  patch.Test(path + "/name", api::PatchValue::String(api::kPlacementGate));
  patch.Remove(path);
  return patch;
}

std::string GangName(const GangDemand& g) {
  switch (g.policy) {
    case placement::GangPolicy::kJob:
      return g.jobs.empty() ? std::string("job") : absl::StrCat("job ", g.jobs.front().name);
    case placement::GangPolicy::kReplicatedJob:
      return absl::StrCat("replicated job ", g.id.replicated_job);
    case placement::GangPolicy::kJobSet:
      return "jobset";
  }
  return "gang";
}

}  // namespace

ExtenderState::ExtenderState(StateOptions options)
    : options_(std::move(options)), cluster_(options_.topology), queue_(options_.queue) {}

// --- events ------------------------------------------------------------------------------------

void ExtenderState::OnNode(std::string_view node_json) {
  absl::StatusOr<api::ClusterState> decoded = api::DecodeClusterState(node_json);
  if (!decoded.ok() || decoded->nodes.size() != 1) return;  // the informer only hands us Nodes
  placement::Node node = ToNode(decoded->nodes.front());
  StripFenceTaints(node.taints);  // our own fence must not make a reserved domain look unhealthy
  absl::MutexLock lock(&mu_);
  cluster_.UpsertNode(node);
  dirty_ = nodes_changed_ = true;
}

void ExtenderState::OnNodeDeleted(std::string_view name) {
  absl::MutexLock lock(&mu_);
  cluster_.RemoveNode(name);
  dirty_ = nodes_changed_ = true;
}

void ExtenderState::OnPod(std::string_view pod_json) {
  absl::StatusOr<api::PodInfo> pod = DecodePodInfo(pod_json);
  if (!pod.ok() || !pod->metadata.uid.has_value()) return;
  const std::string& uid = *pod->metadata.uid;
  MemberClaim claim = ClaimOf(*pod);
  std::optional<GatedPod> gated;
  const auto& gates = pod->scheduling.scheduling_gates;
  const bool ours = std::find(gates.begin(), gates.end(), std::string(api::kPlacementGate)) != gates.end();
  if (pod->node_name.empty() && ours) {
    if (std::optional<JobKey> job = JobKeyOf(*pod); job.has_value()) {
      if (absl::StatusOr<PinShape> shape = ReadPinShape(pod_json); shape.ok()) {
        gated.emplace();
        gated->ns = pod->metadata.namespace_or_default();
        gated->name = pod->metadata.name_or_empty();
        gated->job = *job;
        gated->owner_job = claim.owner_job;
        gated->shape = *std::move(shape);
        gated->only_our_gate = gates.size() == 1;
        gated->resource_version = pod->metadata.resource_version.value_or("");
      }
    }
  }
  std::optional<placement::BoundPod> bound = ToBoundPod(*pod);
  absl::MutexLock lock(&mu_);
  pending_members_.erase(uid);
  if (bound.has_value()) {
    if (bound->job.has_value()) {
      auto known = jobset_names_.find(bound->job->jobset_uid);
      if (known == jobset_names_.end()) {
        // Checked when the JobSet arrives; until then the pod counts as nobody's.
        pending_members_[uid] = {*bound, std::move(claim)};
        bound->job.reset();
      } else if (!ClaimHolds(claim, *bound->job, known->second.ns, known->second.name)) {
        bound->job.reset();
      }
    }
    cluster_.UpsertPod(*bound);
  } else {
    cluster_.RemovePod(uid);
  }
  if (gated.has_value()) {
    auto it = gated_.find(uid);
    if (it != gated_.end()) {
      gated->in_flight = it->second.in_flight;
      gated->failed = it->second.failed;
      gated->failed_version = it->second.failed_version;
    }
    gated_[uid] = *std::move(gated);
    dirty_ = true;
  } else {
    gated_.erase(uid);
  }
}

void ExtenderState::OnPodDeleted(std::string_view uid) {
  absl::MutexLock lock(&mu_);
  cluster_.RemovePod(uid);
  gated_.erase(std::string(uid));
  pending_members_.erase(std::string(uid));
}

void ExtenderState::OnJobSet(std::string_view jobset_json) {
  absl::StatusOr<api::JobSet> js = api::DecodeJobSet(jobset_json);
  if (!js.ok() || !js->metadata.uid.has_value()) return;
  absl::MutexLock lock(&mu_);
  auto [name, added] = jobset_names_.try_emplace(*js->metadata.uid);
  if (added) {
    name->second = {js->metadata.namespace_or_default(), js->metadata.name_or_empty()};
    ResolvePendingLocked(*js->metadata.uid);
  }
  UpsertJobSetLocked(*js);
}

void ExtenderState::ResolvePendingLocked(const std::string& uid) {
  if (pending_members_.empty()) return;
  const JobSetName& name = jobset_names_.at(uid);
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    PendingMember& m = it->second;
    if (m.pod.job->jobset_uid != uid) {
      ++it;
      continue;
    }
    if (ClaimHolds(m.claim, *m.pod.job, name.ns, name.name)) cluster_.UpsertPod(m.pod);
    pending_members_.erase(it++);
  }
}

bool ExtenderState::ClaimHoldsLocked(const MemberClaim& claim, const JobKey& job) const {
  auto known = jobset_names_.find(job.jobset_uid);
  return known != jobset_names_.end() && ClaimHolds(claim, job, known->second.ns, known->second.name);
}

void ExtenderState::OnJobSetDeleted(std::string_view uid) {
  absl::MutexLock lock(&mu_);
  jobset_names_.erase(std::string(uid));
  auto it = jobsets_.find(std::string(uid));
  if (it == jobsets_.end()) return;
  ReleaseJobSetLocked(it->second);
  jobsets_.erase(it);
  dirty_ = true;
}

void ExtenderState::UpsertJobSetLocked(const api::JobSet& js) {
  const std::string uid = *js.metadata.uid;
  if (!WantsPlacement(js)) {
    auto it = jobsets_.find(uid);
    if (it != jobsets_.end()) {
      ReleaseJobSetLocked(it->second);
      jobsets_.erase(it);
    }
    return;
  }
  JobSetEntry& e = jobsets_[uid];
  e.ref = {js.metadata.namespace_or_default(), js.metadata.name_or_empty(), uid};
  e.suspended = js.spec.suspend.value_or(false);
  e.active = !e.suspended && !js.metadata.deletion_timestamp.has_value() && !Finished(js);
  std::optional<std::string> recorded = js.metadata.Annotation(api::kReservationsKey);
  if (recorded != e.recorded) {
    SetRecorded(e, recorded);
    e.adopt_pending = true;
  }
  absl::StatusOr<placement::JobSetDemand> demand = ToJobSetDemand(js);
  std::vector<GangDemand> gangs;
  if (demand.ok()) {
    e.demand_error.clear();
    gangs = placement::MakeGangs(*demand);
  } else {
    e.demand_error = std::string(demand.status().message());
  }
  // Gangs the new spec no longer has (its gang policy changed) hold nothing any more.
  for (const GangDemand& old : e.gangs) {
    if (std::none_of(gangs.begin(), gangs.end(), [&](const GangDemand& g) { return g.id == old.id; })) {
      ReleaseGangLocked(old.id);
    }
  }
  e.gangs = std::move(gangs);
  if (!e.active) {
    ReleaseJobSetLocked(e);
  }
  dirty_ = true;
}

void ExtenderState::SetRecorded(JobSetEntry& e, std::optional<std::string> text) {
  e.recorded = std::move(text);
  e.record.reset();
  if (e.recorded.has_value() && !e.recorded->empty()) {
    absl::StatusOr<ReservationRecord> r = DecodeReservationRecord(*e.recorded);
    if (r.ok()) e.record = *std::move(r);
  }
}

void ExtenderState::ReleaseJobSetLocked(JobSetEntry& e) {
  for (const GangDemand& g : e.gangs) ReleaseGangLocked(g.id);
}

void ExtenderState::ReleaseGangLocked(const GangId& gang) {
  queue_.Remove(gang);
  if (reservations_.Find(gang) == nullptr) return;
  reservations_.Release(cluster_, gang);
  ++reservations_version_;
}

// --- sync (any replica) ------------------------------------------------------------------------

void ExtenderState::Sync() {
  absl::MutexLock lock(&mu_);
  SyncLocked();
}

void ExtenderState::SyncLocked() {
  if (!dirty_) return;
  dirty_ = false;
  for (auto& [uid, e] : jobsets_) {
    if (!e.active) continue;
    if (e.adopt_pending && !AdoptLocked(e, final_adoption_)) dirty_ = true;  // retry once more is known
    for (const GangDemand& g : e.gangs) {
      if (reservations_.Find(g.id) == nullptr) {
        queue_.Upsert(g);
      } else {
        queue_.Remove(g.id);
      }
    }
  }
}

bool ExtenderState::AdoptLocked(JobSetEntry& e, bool final) {
  e.adopt_pending = false;
  if (!e.record.has_value()) return true;  // none, or not ours to repair: the planner overwrites it
  const ReservationRecord* record = &*e.record;
  bool complete = true;
  for (const GangDemand& g : e.gangs) {
    // Only gangs whose every Job is in the record were recorded.
    std::vector<std::pair<JobKey, std::string>> domains;
    bool present = true;
    for (const placement::JobDemand& j : g.jobs) {
      auto it = record->find(RecordJobName(j.key.replicated_job, j.key.index));
      if (it == record->end()) {
        present = false;
        break;
      }
      if (!it->second.empty()) {
        absl::StatusOr<std::pair<std::string, std::string>> split = SplitDomainLabel(it->second);
        if (!split.ok()) {
          present = false;
          break;
        }
        domains.emplace_back(j.key, split->second);
      }
    }
    if (!present || GangRecordedLocked(e, g.id)) continue;  // not recorded, or held as recorded
    if (reservations_.Find(g.id) != nullptr) reservations_.Release(cluster_, g.id);
    absl::Status adopted = reservations_.Adopt(cluster_, g, domains);
    ++reservations_version_;
    if (adopted.ok()) {
      queue_.Remove(g.id);
    } else if (absl::IsNotFound(adopted) && !final) {
      complete = false;  // a node of the domain may not be known yet
      e.adopt_pending = true;
    }
    // Otherwise the recorded domain is gone or taken: the gang is placed afresh and the record rewritten.
  }
  return complete;
}

// --- planning (leader) -------------------------------------------------------------------------

const std::string& ExtenderState::WantedCachedLocked(JobSetEntry& e) {
  if (e.wanted_version != reservations_version_) {
    e.wanted = WantedLocked(e);
    e.wanted_version = reservations_version_;
  }
  return e.wanted;
}

std::string ExtenderState::WantedLocked(const JobSetEntry& e) const {
  ReservationRecord record;
  for (const GangDemand& g : e.gangs) {
    const placement::Reservation* r = reservations_.Find(g.id);
    if (r == nullptr) continue;
    for (const placement::JobSlot& s : r->jobs) {
      record[RecordJobName(s.job.replicated_job, s.job.index)] =
          s.domain == kNoDomain ? "" : cluster_.DomainLabel(s.domain);
    }
  }
  return record.empty() ? "" : EncodeReservationRecord(record);
}

bool ExtenderState::GangRecordedLocked(const JobSetEntry& e, const GangId& gang) const {
  const placement::Reservation* r = reservations_.Find(gang);
  if (r == nullptr || !e.record.has_value()) return false;
  const ReservationRecord* record = &*e.record;
  for (const placement::JobSlot& s : r->jobs) {
    auto it = record->find(RecordJobName(s.job.replicated_job, s.job.index));
    if (it == record->end()) return false;
    if (it->second != (s.domain == kNoDomain ? "" : cluster_.DomainLabel(s.domain))) return false;
  }
  return true;
}

const GangDemand* ExtenderState::GangOfJobLocked(const JobKey& job) const {
  auto it = jobsets_.find(job.jobset_uid);
  if (it == jobsets_.end()) return nullptr;
  for (const GangDemand& g : it->second.gangs) {
    for (const placement::JobDemand& j : g.jobs) {
      if (j.key == job) return &g;
    }
  }
  return nullptr;
}

PinTarget ExtenderState::TargetLocked(DomainId domain) const {
  PinTarget t;
  t.path_labels = cluster_.DomainLabels(domain);  // every level of the domain's chain, coarse → fine
  for (placement::NodeId n : cluster_.domain(domain).nodes) t.nodes.push_back(cluster_.node(n).name);
  std::sort(t.nodes.begin(), t.nodes.end());
  return t;
}

void ExtenderState::CollectPinsLocked(PlanActions& out) {
  for (auto& [uid, p] : gated_) {
    if (!p.only_our_gate || p.in_flight || (p.failed && p.failed_version == p.resource_version)) continue;
    auto found = reservations_.FindJob(p.job);
    if (!found.has_value() || stranded_.contains(p.job)) continue;
    auto js = jobsets_.find(p.job.jobset_uid);
    if (js == jobsets_.end() || !js->second.active) continue;
    // A pod that copied the gang's labels is never ungated nor pinned by us.
    if (!ClaimHolds({p.ns, p.owner_job}, p.job, js->second.ref.ns, js->second.ref.name)) continue;
    if (!GangRecordedLocked(js->second, found->first->gang)) continue;
    const DomainId domain = found->second->domain;
    PinTarget target = domain != kNoDomain ? TargetLocked(domain) : PinTarget{};
    if (options_.fence_reserved_domains) target.fence_value = p.job.jobset_uid;
    absl::StatusOr<api::JsonPatch> patch = domain != kNoDomain ? PinPatch(p.shape, target)
                                                                : UngatePatch(p.shape);
    if (!patch.ok()) {
      p.failed = true;
      p.failed_version = p.resource_version;
      out.events.push_back({js->second.ref, "Warning", "PinFailed",
                            absl::StrCat("pod ", p.name, " cannot be pinned to ",
                                         domain == kNoDomain ? "its gang" : cluster_.DomainLabel(domain), ": ",
                                         patch.status().message())});
      continue;
    }
    p.in_flight = true;
    out.pins.push_back({p.ns, p.name, uid, js->second.ref,
                        domain == kNoDomain ? "" : cluster_.DomainLabel(domain), *std::move(patch)});
  }
}

PlanActions ExtenderState::Plan(absl::Time now) {
  absl::MutexLock lock(&mu_);
  // The planner runs only once the caches have synced: a recorded domain that is unknown now is gone.
  final_adoption_ = true;
  dirty_ = true;
  SyncLocked();
  PlanActions out;

  // Reserved gangs whose domains lost health or nodes: the engine moves Jobs without bound pods. A Job
  // that could not move because pods still ran there (stranded) is checked again every round until its
  // pods are gone, and its new pods are not pinned meanwhile.
  if (nodes_changed_ || !stranded_.empty()) {
    const bool all = nodes_changed_;
    nodes_changed_ = false;
    std::set<JobKey> stranded;
    for (auto& [uid, e] : jobsets_) {
      if (!e.active) continue;
      for (const GangDemand& g : e.gangs) {
        if (reservations_.Find(g.id) == nullptr) continue;
        if (!all && std::none_of(g.jobs.begin(), g.jobs.end(),
                                 [&](const placement::JobDemand& j) { return stranded_.contains(j.key); })) {
          continue;
        }
        placement::ReserveResult r = reservations_.Reserve(cluster_, g);
        if (!r.moved.empty() || !r.placed()) ++reservations_version_;
        stranded.insert(r.stranded.begin(), r.stranded.end());
        if (!r.moved.empty()) {
          std::vector<std::string> names;
          for (const JobKey& k : r.moved) {
            auto slot = reservations_.FindJob(k);
            if (slot.has_value() && slot->second->domain != kNoDomain) {
              names.push_back(absl::StrCat(slot->second->name, " to ", cluster_.DomainLabel(slot->second->domain)));
            }
          }
          out.events.push_back({e.ref, "Normal", "GangMoved",
                                absl::StrCat(GangName(g), ": moved ", absl::StrJoin(names, ", "),
                                             " (its domain can no longer hold it)")});
        }
        if (!r.placed()) {
          // The gang lost its reservation altogether (e.g. its Jobs changed and nothing fits).
          queue_.Upsert(g);
        }
      }
    }
    if (all) {
      stranded_ = std::move(stranded);
    } else {
      for (auto it = stranded_.begin(); it != stranded_.end();) {
        it = stranded.contains(*it) ? std::next(it) : stranded_.erase(it);
      }
    }
  }

  placement::PlanRound round = queue_.Plan(cluster_, reservations_, now);
  if (!round.placed.empty()) ++reservations_version_;
  for (const GangId& id : round.placed) {
    auto it = jobsets_.find(id.jobset_uid);
    if (it == jobsets_.end()) continue;
    JobSetEntry& e = it->second;
    const placement::Reservation* r = reservations_.Find(id);
    if (r == nullptr) continue;
    std::vector<std::string> where;
    for (const placement::JobSlot& s : r->jobs) {
      if (s.domain != kNoDomain) where.push_back(absl::StrCat(s.name, " on ", cluster_.DomainLabel(s.domain)));
    }
    const GangDemand* g = nullptr;
    for (const GangDemand& c : e.gangs) {
      if (c.id == id) g = &c;
    }
    std::string note = absl::StrCat(g ? GangName(*g) : std::string("gang"), " placed",
                                    where.empty() ? std::string() : absl::StrCat(": ", absl::StrJoin(where, ", ")));
    e.last_event[id] = note;
    out.events.push_back({e.ref, "Normal", "GangPlaced", std::move(note)});
    ++out.placed_gangs;
  }
  for (const placement::PlanRound::Waiting& w : round.waiting) {
    auto it = jobsets_.find(w.gang.jobset_uid);
    if (it == jobsets_.end()) continue;
    JobSetEntry& e = it->second;
    const GangDemand* g = nullptr;
    for (const GangDemand& c : e.gangs) {
      if (c.id == w.gang) g = &c;
    }
    std::string note = absl::StrCat(g ? GangName(*g) : std::string("gang"), " waits: ", w.reason);
    ++out.waiting_gangs;
    std::string& last = e.last_event[w.gang];
    if (last == note) continue;
    last = note;
    out.events.push_back({e.ref, "Warning", "GangWaiting", std::move(note)});
  }

  for (auto& [uid, e] : jobsets_) {
    // A spec that cannot be read as a demand: its pods would wait silently; say why, once.
    if (e.active && !e.demand_error.empty()) {
      std::string& last = e.last_event[GangId{uid, "", -1}];
      if (last != e.demand_error) {
        last = e.demand_error;
        out.events.push_back({e.ref, "Warning", "CannotPlace", absl::StrCat("not placed: ", e.demand_error)});
      }
    }
    if (e.active && e.adopt_pending) continue;  // its record is not reflected yet: never overwrite it blindly
    const std::string wanted = e.active ? WantedCachedLocked(e) : "";
    const std::string have = e.recorded.value_or("");
    if (wanted == have) continue;
    if (!e.active && !e.suspended) continue;  // finished or deleting: the record may stay
    out.records.push_back({e.ref, wanted});
  }
  CollectPinsLocked(out);
  return out;
}

PlanActions ExtenderState::Pins() {
  absl::MutexLock lock(&mu_);
  PlanActions out;
  CollectPinsLocked(out);
  return out;
}

void ExtenderState::Recorded(const std::string& jobset_uid, const std::string& value) {
  absl::MutexLock lock(&mu_);
  auto it = jobsets_.find(jobset_uid);
  if (it == jobsets_.end()) return;
  SetRecorded(it->second, value.empty() ? std::nullopt : std::optional<std::string>(value));
  dirty_ = true;
}

void ExtenderState::Pinned(const std::string& pod_uid) {
  absl::MutexLock lock(&mu_);
  // The informer's update removes the pod from the gated set; until then it must not be pinned twice.
  auto it = gated_.find(pod_uid);
  if (it != gated_.end()) it->second.only_our_gate = false;
}

bool IsTransient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsResourceExhausted(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status) || absl::IsCancelled(status);
}

void ExtenderState::PinFailed(const std::string& pod_uid, const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  auto it = gated_.find(pod_uid);
  if (it == gated_.end()) return;
  it->second.in_flight = false;
  if (!IsTransient(error)) {
    // Refused as it stands (e.g. the pod changed under a stale gate index): retried once the pod changes.
    it->second.failed = true;
    it->second.failed_version = it->second.resource_version;
  }
  dirty_ = true;
}

void ExtenderState::SetLeading(bool leading) {
  absl::MutexLock lock(&mu_);
  if (leading_ == leading) return;
  leading_ = leading;
  if (leading) return;
  for (auto& [uid, e] : jobsets_) {
    for (const GangDemand& g : e.gangs) {
      if (reservations_.Find(g.id) != nullptr && !GangRecordedLocked(e, g.id)) {
        reservations_.Release(cluster_, g.id);
        ++reservations_version_;
      }
    }
  }
  dirty_ = true;
}

// --- scheduler calls ---------------------------------------------------------------------------

namespace {

// A pod whose labels name a Job it does not belong to: still a JobSet pod (never let into reserved
// domains, even with allow_non_jobset_pods_in_reserved_domains), but of a Job no reservation has.
void MakeNonMember(placement::PodDemand& demand) { demand.job = JobKey{"", "", -1}; }

}  // namespace

placement::FilterResult ExtenderState::Filter(const api::PodInfo& pod, absl::Span<const std::string_view> names) {
  placement::PodDemand demand = ToPodDemand(pod);
  if (demand.job.has_value() && !demand.exclusive_key.empty()) {
    bool reserve = false;
    {
      absl::ReaderMutexLock lock(&mu_);
      if (!ClaimHoldsLocked(ClaimOf(pod), *demand.job)) {
        MakeNonMember(demand);
        return placement::Filter(cluster_, reservations_, demand, names, options_.filter);
      }
      reserve = leading_ && !reservations_.FindJob(*demand.job).has_value();
    }
    if (reserve) {
      // First sight of a member whose gang holds nothing (pods not gated: no webhook). Same Reserve call
      // as the planner; the planner records it on the API.
      absl::MutexLock lock(&mu_);
      SyncLocked();
      if (!reservations_.FindJob(*demand.job).has_value()) {
        if (const GangDemand* g = GangOfJobLocked(*demand.job); g != nullptr) {
          auto js = jobsets_.find(demand.job->jobset_uid);
          if (js != jobsets_.end() && js->second.active) {
            placement::ReserveResult r = reservations_.Reserve(cluster_, *g);
            if (r.placed()) queue_.Remove(g->id);
            ++reservations_version_;
            dirty_ = true;
          }
        }
      }
      return placement::Filter(cluster_, reservations_, demand, names, options_.filter);
    }
  }
  absl::ReaderMutexLock lock(&mu_);
  if (demand.job.has_value() && !ClaimHoldsLocked(ClaimOf(pod), *demand.job)) MakeNonMember(demand);
  return placement::Filter(cluster_, reservations_, demand, names, options_.filter);
}

std::vector<int64_t> ExtenderState::Prioritize(const api::PodInfo& pod, absl::Span<const std::string_view> names) {
  placement::PodDemand demand = ToPodDemand(pod);
  absl::ReaderMutexLock lock(&mu_);
  if (demand.job.has_value() && !ClaimHoldsLocked(ClaimOf(pod), *demand.job)) MakeNonMember(demand);
  return placement::Prioritize(cluster_, reservations_, demand, names, options_.filter);
}

StateCounts ExtenderState::Counts() const {
  absl::ReaderMutexLock lock(&mu_);
  StateCounts c;
  c.nodes = cluster_.node_count();
  c.bound_pods = cluster_.pod_count();
  c.gated_pods = gated_.size();
  c.jobsets = jobsets_.size();
  c.reservations = reservations_.size();
  c.pending_gangs = queue_.size();
  return c;
}

std::map<std::string, std::string> ExtenderState::ReservedNodes() const {
  absl::ReaderMutexLock lock(&mu_);
  std::map<std::string, std::string> out;
  for (const placement::GangId& g : reservations_.Gangs()) {
    const placement::Reservation* r = reservations_.Find(g);
    if (r == nullptr) continue;
    for (const placement::JobSlot& slot : r->jobs) {
      if (slot.domain == kNoDomain) continue;
      for (placement::NodeId n : cluster_.domain(slot.domain).nodes) out[cluster_.node(n).name] = g.jobset_uid;
    }
  }
  return out;
}

std::optional<std::string> ExtenderState::WantedRecord(const std::string& jobset_uid) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = jobsets_.find(jobset_uid);
  if (it == jobsets_.end()) return std::nullopt;
  return WantedLocked(it->second);
}

}  // namespace phalanx::extender
