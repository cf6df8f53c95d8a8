#include "placement/reserve.h"

#include <algorithm>
#include <tuple>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace phalanx::placement {

namespace {

// Jobs of a gang with identical demand: placed together, evaluated once per domain.
struct Shape {
  const JobDemand* first = nullptr;
  LevelId level = kNoLevel;  // exclusive level, kNoLevel for non-exclusive Jobs
  RequestVec req;
  CompiledEligibility elig;
  std::vector<size_t> jobs;  // indices into GangDemand::jobs
};

bool SameDemand(const JobDemand& a, const JobDemand& b) {
  return a.pods == b.pods && a.exclusive_key == b.exclusive_key && a.requests == b.requests &&
         a.eligibility == b.eligibility;
}

std::vector<Shape> MakeShapes(Cluster& c, const GangDemand& gang) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < gang.jobs.size(); ++i) {
    const JobDemand& j = gang.jobs[i];
    auto it = std::find_if(shapes.begin(), shapes.end(),
                           [&](const Shape& s) { return SameDemand(*s.first, j); });
    if (it != shapes.end()) {
      it->jobs.push_back(i);
      continue;
    }
    Shape s;
    s.first = &j;
    if (!j.exclusive_key.empty()) s.level = c.EnsureGangLevel(gang.colocate_key, j.exclusive_key);
    s.req = ToRequest(c.mutable_resources(), j.requests);
    s.jobs.push_back(i);
    shapes.push_back(std::move(s));
  }
  // Compile after all levels and resources exist (interning may have grown the pools).
  for (Shape& s : shapes) s.elig = CompiledEligibility(c.labels(), s.first->eligibility);
  // Exclusive shapes first, biggest Jobs first; demand order breaks ties.
  std::stable_sort(shapes.begin(), shapes.end(), [](const Shape& a, const Shape& b) {
    const bool ae = a.level != kNoLevel, be = b.level != kNoLevel;
    if (ae != be) return ae;
    return a.first->pods > b.first->pods;
  });
  return shapes;
}

enum class DomainState { kFits, kReserved, kOccupied, kTooSmall, kTaken };

// One try at placing every shape, optionally inside one colocate domain. Tentative picks are kept
// in `taken` (nodes) and `touched` (domains made partly used), never in the cluster.
class Attempt {
 public:
  Attempt(Cluster& c, std::vector<Shape>& shapes, bool multi_level)
      : c_(c), shapes_(shapes), multi_level_(multi_level), taken_(c.node_slots(), 0) {}

  void Reset(DomainId colocate) {
    for (NodeId n : marked_) taken_[n] = 0;
    marked_.clear();
    touched_.clear();
    extra_.clear();
    colocate_ = colocate;
    placed_jobs_ = 0;
    fitted_ = 0;
  }

  // Fills picks (indexed like GangDemand::jobs). On failure `failed` names the shape.
  bool Run(std::vector<DomainId>& picks, size_t& failed) {
    for (size_t i = 0; i < shapes_.size(); ++i) {
      const bool ok = shapes_[i].level != kNoLevel ? PlaceExclusive(shapes_[i], picks)
                                                   : PlaceLoose(shapes_[i]);
      if (!ok) {
        failed = i;
        return false;
      }
    }
    return true;
  }

  // State of `d` for a fresh Job of shape `s`. With `own` set, evaluates whether the Job's current
  // domain still holds it: its own claim and its own pods do not count against it.
  DomainState Eval(DomainId id, const Shape& s, const JobKey* own = nullptr) const {
    const Domain& d = c_.domain(id);
    const int64_t pods = s.first->pods;
    if (own == nullptr) {
      if (d.owner != kNoOwner || d.claimed_nodes > 0) return DomainState::kReserved;
      if (d.pods > 0) return DomainState::kOccupied;
    }
    if (d.healthy_nodes == 0) return DomainState::kTooSmall;
    if (own == nullptr) {
      for (const Request& e : s.req) {
        if (At(d.capacity, e.id) - At(d.used, e.id) < pods * e.qty) return DomainState::kTooSmall;
      }
    }
    int64_t count = 0;
    for (NodeId n : d.nodes) {
      if (taken_[n]) return DomainState::kTaken;
      if (count >= pods) continue;  // only looking for taken nodes now
      const NodeState& ns = c_.node(n);
      if (!ns.healthy()) continue;
      if (c_.CheckEligibility(s.elig, n) != EligibilityResult::kOk) continue;
      if (own != nullptr) {
        const JobNodeUse* mine = c_.JobUseOn(*own, n);
        if (mine != nullptr) {
          ResourceVec used = ns.used;
          Add(used, mine->used, -1);
          count += CountFits(ns.capacity, used, s.req, pods - count);
          continue;
        }
      }
      count += CountFits(ns.capacity, ns.used, s.req, pods - count);
      if (count >= pods && !multi_level_) break;
    }
    return count >= pods ? DomainState::kFits : DomainState::kTooSmall;
  }

  // Candidate domains of `s` (inside the colocate domain, if any), best first.
  std::vector<DomainId> Candidates(const Shape& s) {
    const absl::Span<const DomainId> all = c_.DomainsByPath(s.level);
    const LevelId parent_level = c_.level(s.level).parent;
    if (parent_level != kNoLevel) c_.DomainsByPath(parent_level);  // refresh ranks
    struct Cand {
      std::tuple<int, int32_t, uint32_t, int32_t, uint32_t> key;
      DomainId id;
    };
    std::vector<Cand> cands;
    for (DomainId id : all) {
      const Domain& d = c_.domain(id);
      if (d.owner != kNoOwner || d.claimed_nodes > 0 || d.pods > 0 || d.healthy_nodes == 0) {
        continue;
      }
      if (colocate_ != kNoDomain && !c_.Within(id, colocate_)) continue;
      if (d.parent == kNoDomain || Partial(d.parent)) {
        cands.push_back({{0, 0, 0, d.healthy_nodes, d.rank}, id});
      } else {
        const Domain& p = c_.domain(d.parent);
        cands.push_back({{1, p.healthy_nodes, p.rank, d.healthy_nodes, d.rank}, id});
      }
    }
    std::sort(cands.begin(), cands.end(),
              [](const Cand& a, const Cand& b) { return a.key < b.key; });
    std::vector<DomainId> out;
    out.reserve(cands.size());
    for (const Cand& c : cands) out.push_back(c.id);
    return out;
  }

  // Finds one domain for a single Job of shape `s` (used to move a Job). kNoDomain if none.
  DomainId PickOne(const Shape& s) {
    for (DomainId id : Candidates(s)) {
      if (Eval(id, s) == DomainState::kFits) return id;
    }
    return kNoDomain;
  }

  int32_t placed_jobs() const { return placed_jobs_; }
  int32_t fitted() const { return fitted_; }

 private:
  bool Partial(DomainId p) const {
    const Domain& d = c_.domain(p);
    return d.claimed_nodes > 0 || d.pods > 0 || touched_.contains(p);
  }

  void Pick(DomainId id) {
    for (NodeId n : c_.domain(id).nodes) {
      taken_[n] = 1;
      marked_.push_back(n);
      for (const auto& [d, pos] : c_.node(n).domains) {
        if (d != kNoDomain) touched_.insert(d);
      }
    }
  }

  bool PlaceExclusive(const Shape& s, std::vector<DomainId>& picks) {
    size_t next = 0;
    const std::vector<DomainId> cands = Candidates(s);
    // Fewer unreserved, unoccupied domains than Jobs: no need to look at any node. (Inside a
    // colocate domain the lists are short, and the explanation wants the count that did fit.)
    if (colocate_ == kNoDomain && cands.size() < s.jobs.size()) return false;
    for (DomainId id : cands) {
      if (Eval(id, s) != DomainState::kFits) continue;
      Pick(id);
      picks[s.jobs[next++]] = id;
      ++placed_jobs_;
      if (next == s.jobs.size()) return true;
    }
    return false;
  }

  bool PlaceLoose(const Shape& s) {
    const int64_t needed = static_cast<int64_t>(s.jobs.size()) * s.first->pods;
    int64_t fitted = 0;
    auto try_node = [&](NodeId n) {
      const NodeState& ns = c_.node(n);
      if (!ns.healthy() || ns.claims > 0 || taken_[n]) return;
      if (c_.CheckEligibility(s.elig, n) != EligibilityResult::kOk) return;
      ResourceVec& extra = extra_[n];
      ResourceVec used = ns.used;
      Add(used, extra, +1);
      const int64_t k = CountFits(ns.capacity, used, s.req, needed - fitted);
      if (k == 0) return;
      for (int64_t i = 0; i < k; ++i) Add(extra, s.req, +1);
      fitted += k;
    };
    if (colocate_ != kNoDomain) {
      for (NodeId n : c_.domain(colocate_).nodes) {
        if (fitted >= needed) break;
        try_node(n);
      }
    } else {
      for (NodeId n = 0; n < c_.node_slots() && fitted < needed; ++n) try_node(n);
    }
    fitted_ = static_cast<int32_t>(fitted);
    return fitted >= needed;
  }

  Cluster& c_;
  std::vector<Shape>& shapes_;
  bool multi_level_;
  std::vector<uint8_t> taken_;
  std::vector<NodeId> marked_;
  absl::flat_hash_set<DomainId> touched_;
  absl::flat_hash_map<NodeId, ResourceVec> extra_;
  DomainId colocate_ = kNoDomain;
  int32_t placed_jobs_ = 0;
  int32_t fitted_ = 0;
};

Shortfall Invalid(std::string detail) {
  Shortfall s;
  s.kind = Shortfall::Kind::kInvalid;
  s.detail = std::move(detail);
  return s;
}

std::string JobName(const JobDemand& j) {
  if (!j.name.empty()) return j.name;
  return absl::StrCat(j.key.replicated_job, "-", j.key.index);
}

}  // namespace

ReserveResult Reservations::Reserve(Cluster& cluster, const GangDemand& gang) {
  ReserveResult result;
  auto fail = [&](Shortfall s) {
    result.outcome = ReserveResult::Outcome::kUnplaced;
    result.reason = Explain(s);
    result.shortfall = std::move(s);
    return result;
  };

  // Validate.
  if (gang.jobs.empty()) return fail(Invalid("no jobs"));
  {
    absl::flat_hash_set<JobKey> keys;
    for (const JobDemand& j : gang.jobs) {
      if (j.pods <= 0) return fail(Invalid(absl::StrCat("job ", JobName(j), " has no pods")));
      if (!keys.insert(j.key).second) {
        return fail(Invalid(absl::StrCat("job ", JobName(j), " listed twice")));
      }
      if (!gang.colocate_key.empty() && !j.exclusive_key.empty() &&
          gang.colocate_key != j.exclusive_key) {
        const std::vector<std::string> coarser = PathKeys(cluster.topology(), gang.colocate_key);
        if (std::find(coarser.begin(), coarser.end(), j.exclusive_key) != coarser.end()) {
          return fail(Invalid(absl::StrCat("colocate key ", gang.colocate_key,
                                           " is finer than the exclusive key ", j.exclusive_key,
                                           " of job ", JobName(j))));
        }
      }
      auto other = jobs_.find(j.key);
      if (other != jobs_.end() && !(other->second.first == gang.id)) {
        return fail(Invalid(absl::StrCat("job ", JobName(j), " belongs to another gang")));
      }
    }
  }

  std::vector<Shape> shapes = MakeShapes(cluster, gang);
  bool multi_level = false;
  for (const Shape& s : shapes) {
    if (s.level != kNoLevel && s.level != shapes.front().level) multi_level = true;
  }

  // Already reserved: keep, and move Jobs whose domain went bad.
  if (auto it = gangs_.find(gang.id); it != gangs_.end()) {
    Reservation& r = it->second;
    bool same = r.jobs.size() == gang.jobs.size();
    for (size_t i = 0; same && i < gang.jobs.size(); ++i) same = r.jobs[i].job == gang.jobs[i].key;
    if (same) {
      Attempt attempt(cluster, shapes, multi_level);
      attempt.Reset(r.colocate);
      for (const Shape& s : shapes) {
        if (s.level == kNoLevel) continue;
        for (size_t ji : s.jobs) {
          JobSlot& slot = r.jobs[ji];
          if (slot.domain == kNoDomain) continue;
          if (attempt.Eval(slot.domain, s, &slot.job) == DomainState::kFits) continue;
          if (cluster.JobPods(slot.job) > 0) {
            result.stranded.push_back(slot.job);
            continue;
          }
          const DomainId to = attempt.PickOne(s);
          if (to == kNoDomain) {
            result.stranded.push_back(slot.job);
            continue;
          }
          cluster.Unclaim(slot.domain);
          cluster.Claim(to, slot.owner);
          slot.domain = to;
          result.moved.push_back(slot.job);
        }
      }
      result.outcome = ReserveResult::Outcome::kKept;
      result.reservation = r;
      return result;
    }
    Release(cluster, gang.id);
  }

  // Fresh placement: optionally per colocate domain, partly used and smallest first.
  std::vector<DomainId> picks(gang.jobs.size(), kNoDomain);
  size_t failed = 0;
  Attempt attempt(cluster, shapes, multi_level);
  if (gang.colocate_key.empty()) {
    attempt.Reset(kNoDomain);
    if (attempt.Run(picks, failed)) {
      Record(cluster, gang, kNoDomain, picks);
      result.outcome = ReserveResult::Outcome::kPlaced;
      result.reservation = gangs_.at(gang.id);
      return result;
    }
  } else {
    const LevelId cl = cluster.EnsureLevel(gang.colocate_key);
    struct Cand {
      std::tuple<int, int32_t, uint32_t> key;
      DomainId id;
    };
    std::vector<Cand> cands;
    for (DomainId id : cluster.DomainsByPath(cl)) {
      const Domain& d = cluster.domain(id);
      if (d.owner != kNoOwner || d.healthy_nodes == 0) continue;
      const bool partial = d.claimed_nodes > 0 || d.pods > 0;
      cands.push_back({{partial ? 0 : 1, d.healthy_nodes, d.rank}, id});
    }
    std::sort(cands.begin(), cands.end(),
              [](const Cand& a, const Cand& b) { return a.key < b.key; });
    int32_t best_jobs = -1;
    DomainId best = kNoDomain;
    size_t first_failed = 0;
    for (const Cand& c : cands) {
      attempt.Reset(c.id);
      std::fill(picks.begin(), picks.end(), kNoDomain);
      if (attempt.Run(picks, failed)) {
        Record(cluster, gang, c.id, picks);
        result.outcome = ReserveResult::Outcome::kPlaced;
        result.reservation = gangs_.at(gang.id);
        return result;
      }
      if (attempt.placed_jobs() > best_jobs) {
        best_jobs = attempt.placed_jobs();
        best = c.id;
        first_failed = failed;
      }
    }
    failed = cands.empty() ? 0 : first_failed;
    if (!cands.empty() || shapes[failed].level == kNoLevel) {
      // Report the colocate constraint unless the shape does not fit even without it.
      attempt.Reset(kNoDomain);
      std::vector<DomainId> free_picks(gang.jobs.size(), kNoDomain);
      size_t free_failed = 0;
      if (attempt.Run(free_picks, free_failed)) {
        Shortfall s;
        s.kind = Shortfall::Kind::kColocate;
        s.key = shapes[failed].first->exclusive_key;
        s.colocate_key = gang.colocate_key;
        s.needed = 0;
        for (const Shape& sh : shapes) {
          if (sh.level != kNoLevel) s.needed += static_cast<int32_t>(sh.jobs.size());
        }
        if (best != kNoDomain) {
          s.best_colocate = cluster.DomainLabel(best);
          s.best_colocate_jobs = best_jobs;
        }
        return fail(std::move(s));
      }
      failed = free_failed;
    }
  }

  // Diagnose the shape that failed, over the whole level.
  const Shape& s = shapes[failed];
  Shortfall sf;
  sf.pods_per_job = s.first->pods;
  sf.per_pod = FormatRequest(cluster.resources(), s.req);
  if (s.level == kNoLevel) {
    sf.kind = Shortfall::Kind::kCapacity;
    sf.needed = static_cast<int32_t>(s.jobs.size()) * s.first->pods;
    attempt.Reset(kNoDomain);
    std::vector<Shape> one = {s};
    Attempt loose(cluster, one, false);
    loose.Reset(kNoDomain);
    std::vector<DomainId> ignored(gang.jobs.size(), kNoDomain);
    size_t f = 0;
    loose.Run(ignored, f);
    sf.fitted = loose.fitted();
    return fail(std::move(sf));
  }
  sf.kind = Shortfall::Kind::kExclusive;
  sf.key = s.first->exclusive_key;
  if (cluster.level(s.level).chain.size() > 1) sf.path_keys = cluster.level(s.level).chain;
  sf.needed = static_cast<int32_t>(s.jobs.size());
  for (const Shape& other : shapes) {
    if (&other != &s && other.level == s.level) sf.other_jobs += static_cast<int32_t>(other.jobs.size());
  }
  attempt.Reset(kNoDomain);
  absl::btree_map<std::string, int32_t> by_owner;
  for (DomainId id : cluster.DomainsByPath(s.level)) {
    const Domain& d = cluster.domain(id);
    ++sf.total;
    switch (attempt.Eval(id, s)) {
      case DomainState::kFits:
      case DomainState::kTaken:
        ++sf.free;
        break;
      case DomainState::kReserved: {
        ++sf.reserved;
        // Held whole, or in part through overlapping domains of another key: name the holder
        // (the least by name when several hold parts, so the text does not depend on node order).
        const Reservation* holder = OwnerGang(d.owner);
        if (holder == nullptr) {
          for (NodeId n : d.nodes) {
            const Reservation* r = OwnerGang(cluster.node(n).owner);
            if (r != nullptr && (holder == nullptr || r->owner < holder->owner)) holder = r;
          }
        }
        if (holder != nullptr) ++by_owner[holder->owner];
        break;
      }
      case DomainState::kOccupied:
        ++sf.occupied;
        break;
      case DomainState::kTooSmall:
        ++sf.too_small;
        break;
    }
  }
  for (const auto& [who, n] : by_owner) sf.reserved_by.emplace_back(who, n);
  std::stable_sort(sf.reserved_by.begin(), sf.reserved_by.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sf.reserved_by.size() > 3) sf.reserved_by.resize(3);
  return fail(std::move(sf));
}

OwnerId Reservations::NewOwner(const GangId& gang, size_t job) {
  OwnerId o;
  if (!free_owners_.empty()) {
    o = free_owners_.back();
    free_owners_.pop_back();
  } else {
    o = static_cast<OwnerId>(owners_.size());
    owners_.emplace_back();
  }
  owners_[o] = std::make_pair(gang, job);
  return o;
}

void Reservations::Record(Cluster& cluster, const GangDemand& gang, DomainId colocate,
                          const std::vector<DomainId>& domains) {
  Reservation r;
  r.gang = gang.id;
  r.owner = gang.owner;
  r.priority = gang.priority;
  r.colocate = colocate;
  for (size_t i = 0; i < gang.jobs.size(); ++i) {
    JobSlot slot;
    slot.job = gang.jobs[i].key;
    slot.name = JobName(gang.jobs[i]);
    slot.domain = domains[i];
    if (slot.domain != kNoDomain) {
      slot.owner = NewOwner(gang.id, i);
      cluster.Claim(slot.domain, slot.owner);
    }
    jobs_[slot.job] = {gang.id, i};
    r.jobs.push_back(std::move(slot));
  }
  gangs_[gang.id] = std::move(r);
}

void Reservations::Release(Cluster& cluster, const GangId& gang) {
  auto it = gangs_.find(gang);
  if (it == gangs_.end()) return;
  for (const JobSlot& slot : it->second.jobs) {
    if (slot.domain != kNoDomain) cluster.Unclaim(slot.domain);
    if (slot.owner != kNoOwner) {
      owners_[slot.owner].reset();
      free_owners_.push_back(slot.owner);
    }
    jobs_.erase(slot.job);
  }
  gangs_.erase(it);
}

absl::Status Reservations::Adopt(Cluster& cluster, const GangDemand& gang,
                                 absl::Span<const std::pair<JobKey, std::string>> domains) {
  if (gangs_.contains(gang.id)) return absl::AlreadyExistsError("gang already reserved");
  std::vector<DomainId> picks(gang.jobs.size(), kNoDomain);
  absl::flat_hash_set<DomainId> used;
  for (const auto& [job, path] : domains) {
    // An explicit capture: clang before 16 cannot capture a structured binding implicitly.
    auto j = std::find_if(gang.jobs.begin(), gang.jobs.end(),
                          [&job = job](const JobDemand& d) { return d.key == job; });
    if (j == gang.jobs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("job ", job.replicated_job, "-", job.index,
                                                     " is not part of the gang"));
    }
    if (j->exclusive_key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("job ", JobName(*j), " is not exclusive"));
    }
    const LevelId level = cluster.EnsureGangLevel(gang.colocate_key, j->exclusive_key);
    const std::optional<DomainId> d = cluster.FindDomainAt(level, path);
    if (!d.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no domain ", j->exclusive_key, "=", path, " (a path over ",
                       absl::StrJoin(cluster.level(level).chain, ", "), ")"));
    }
    if (cluster.domain(*d).owner != kNoOwner || cluster.domain(*d).claimed_nodes > 0 ||
        !used.insert(*d).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("domain ", cluster.DomainLabel(*d), " is already reserved"));
    }
    picks[j - gang.jobs.begin()] = *d;
  }
  DomainId colocate = kNoDomain;
  if (!gang.colocate_key.empty()) {
    const LevelId cl = cluster.EnsureLevel(gang.colocate_key);
    for (DomainId d : picks) {
      if (d == kNoDomain || cluster.domain(d).nodes.empty()) continue;
      colocate = cluster.NodeDomain(cluster.domain(d).nodes.front(), cl);
      break;
    }
  }
  Record(cluster, gang, colocate, picks);
  return absl::OkStatus();
}

const Reservation* Reservations::Find(const GangId& gang) const {
  auto it = gangs_.find(gang);
  return it == gangs_.end() ? nullptr : &it->second;
}

std::optional<std::pair<const Reservation*, const JobSlot*>> Reservations::FindJob(
    const JobKey& job) const {
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return std::nullopt;
  const Reservation& r = gangs_.at(it->second.first);
  return std::make_pair(&r, &r.jobs[it->second.second]);
}

const Reservation* Reservations::OwnerGang(OwnerId owner) const {
  if (owner >= owners_.size() || !owners_[owner].has_value()) return nullptr;
  return Find(owners_[owner]->first);
}

std::string Reservations::OwnerName(OwnerId owner) const {
  const Reservation* r = OwnerGang(owner);
  if (r == nullptr) return "another gang";
  return absl::StrCat(r->owner, " job ", r->jobs[owners_[owner]->second].name);
}

std::vector<GangId> Reservations::Gangs() const {
  std::vector<GangId> out;
  out.reserve(gangs_.size());
  for (const auto& [id, r] : gangs_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace phalanx::placement
