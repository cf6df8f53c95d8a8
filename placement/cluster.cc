#include "placement/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "placement/string_key.h"

namespace phalanx::placement {

Cluster::Cluster(TopologyConfig topology) : topology_(std::move(topology)) {
  for (const auto& chain : topology_.chains) {
    for (const std::string& key : chain) EnsureLevel(key);
  }
}

// ----------------------------------------------------------------------------------------- nodes

NodeId Cluster::SlotFor(std::string_view name) {
  const uint32_t found = names_.Find(name, NameIndex::Hash(name),
                                     [&](uint32_t id) { return nodes_[id].name == name; });
  if (found != NameIndex::kNone) return found;
  NodeId n;
  if (!free_slots_.empty()) {
    n = free_slots_.back();
    free_slots_.pop_back();
  } else {
    n = static_cast<NodeId>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[n] = NodeState{};
  nodes_[n].name = std::string(name);
  names_.Insert(nodes_[n].name, n);
  return n;
}

void Cluster::MaybeFreeSlot(NodeId n) {
  NodeState& s = nodes_[n];
  if (s.live || s.all_pods > 0) return;
  names_.Erase(s.name, n);
  s = NodeState{};
  free_slots_.push_back(n);
}

std::optional<NodeId> Cluster::FindNode(std::string_view name) const {
  const uint32_t n = names_.Find(name, NameIndex::Hash(name),
                                 [&](uint32_t id) { return nodes_[id].name == name; });
  if (n == NameIndex::kNone || !nodes_[n].live) return std::nullopt;
  return n;
}

uint32_t Cluster::InternTaints(const std::vector<Taint>& taints) {
  if (taints.empty()) return 0;
  std::string key;
  for (const Taint& t : taints) {
    // Keys and values cannot contain control characters, so these separators are unambiguous.
    absl::StrAppend(&key, t.key, "\x1f", t.value, "\x1f", static_cast<int>(t.effect), "\x1e");
  }
  auto [it, inserted] =
      taint_set_index_.try_emplace(key, static_cast<uint32_t>(taint_sets_.size()));
  if (inserted) taint_sets_.push_back(taints);
  return it->second;
}

void Cluster::UpsertNode(const Node& node) {
  const NodeId n = SlotFor(node.name);
  NodeState& s = nodes_[n];
  if (s.live) {
    Leave(n);
  } else {
    ++live_nodes_;
  }
  s.live = true;
  s.ready = node.ready;
  s.unschedulable = node.unschedulable;
  LabelSet labels = InternLabels(labels_, node.labels);  // before releasing: shared ids survive
  ReleaseLabels(labels_, s.labels);
  s.labels = std::move(labels);
  s.taint_set = InternTaints(node.taints);
  s.capacity = ToCapacity(resources_, node.allocatable);
  Join(n);
}

void Cluster::RemoveNode(std::string_view name) {
  const std::optional<NodeId> found = FindNode(name);
  if (!found.has_value()) return;
  const NodeId n = *found;
  Leave(n);
  NodeState& s = nodes_[n];
  s.live = false;
  ReleaseLabels(labels_, s.labels);
  s.labels.clear();
  s.taint_set = 0;
  s.capacity.clear();
  --live_nodes_;
  MaybeFreeSlot(n);
}

std::optional<std::string> Cluster::PathOf(const NodeState& n, const Level& l) const {
  std::string path;
  for (size_t i = 0; i < l.path_keys.size(); ++i) {
    const LabelId v = LabelValue(n.labels, l.path_keys[i]);
    if (v == kNoLabel) return std::nullopt;
    if (i > 0) path.push_back('/');
    path.append(labels_.str(v));
  }
  return path;
}

DomainId Cluster::FindOrCreateDomain(LevelId l, std::string path) {
  auto it = levels_[l].index.find(path);
  if (it != levels_[l].index.end()) return it->second;
  DomainId parent = kNoDomain;
  if (levels_[l].parent != kNoLevel) {
    const size_t slash = path.rfind('/');
    parent = FindOrCreateDomain(levels_[l].parent,
                                slash == std::string::npos ? std::string() : path.substr(0, slash));
  }
  const auto id = static_cast<DomainId>(domains_.size());
  Domain d;
  d.level = l;
  d.parent = parent;
  d.path = path;
  domains_.push_back(std::move(d));
  Level& level = levels_[l];
  level.domains.push_back(id);
  level.by_path_dirty = true;
  level.index.emplace(std::move(path), id);
  return id;
}

void Cluster::Contribute(NodeId n, DomainId id, int sign) {
  const NodeState& s = nodes_[n];
  Domain& d = domains_[id];
  if (s.healthy()) {
    d.healthy_nodes += sign;
    Add(d.capacity, s.capacity, sign);
    Add(d.used, s.used, sign);
  }
  d.pods += sign * s.pods;
  if (s.claims > 0) d.claimed_nodes += sign;
}

void Cluster::JoinLevel(NodeId n, LevelId l) {
  NodeState& s = nodes_[n];
  if (s.domains.size() <= l) s.domains.resize(levels_.size(), {kNoDomain, 0});
  std::optional<std::string> path = PathOf(s, levels_[l]);
  if (!path.has_value()) return;
  const DomainId d = FindOrCreateDomain(l, std::move(*path));
  s.domains[l] = {d, static_cast<uint32_t>(domains_[d].nodes.size())};
  domains_[d].nodes.push_back(n);
  if (domains_[d].owner != kNoOwner) {
    // Joining an already reserved domain (node added or relabelled into it).
    if (s.claims == 0) {
      for (LevelId o = 0; o < s.domains.size(); ++o) {
        if (o != l && s.domains[o].first != kNoDomain) ++domains_[s.domains[o].first].claimed_nodes;
      }
      s.owner = domains_[d].owner;
    }
    ++s.claims;
  }
  Contribute(n, d, +1);
}

void Cluster::Join(NodeId n) {
  nodes_[n].domains.assign(levels_.size(), {kNoDomain, 0});
  for (LevelId l = 0; l < levels_.size(); ++l) JoinLevel(n, l);
}

void Cluster::Leave(NodeId n) {
  NodeState& s = nodes_[n];
  for (LevelId l = 0; l < s.domains.size(); ++l) {
    const auto [d, pos] = s.domains[l];
    if (d == kNoDomain) continue;
    Contribute(n, d, -1);
    std::vector<NodeId>& members = domains_[d].nodes;
    const NodeId last = members.back();
    members[pos] = last;
    nodes_[last].domains[l].second = pos;
    members.pop_back();
  }
  s.domains.clear();
  s.claims = 0;
  s.owner = kNoOwner;
}

// ---------------------------------------------------------------------------------------- levels

namespace {

// Label keys hold no control characters, so '\n' joins chains unambiguously.
std::string ChainKey(absl::Span<const std::string> chain) { return absl::StrJoin(chain, "\n"); }

}  // namespace

LevelId Cluster::EnsureLevel(std::string_view key) {
  auto it = level_index_.find(Key(key));
  if (it != level_index_.end()) return it->second;
  const LevelId id = EnsureChainLevel(PathKeys(topology_, key));
  level_index_.emplace(std::string(key), id);
  return id;
}

LevelId Cluster::EnsureChainLevel(absl::Span<const std::string> chain) {
  if (chain.empty()) return kNoLevel;
  const std::string chain_key = ChainKey(chain);
  if (auto it = chain_index_.find(chain_key); it != chain_index_.end()) return it->second;
  const LevelId parent = chain.size() > 1 ? EnsureChainLevel(chain.first(chain.size() - 1)) : kNoLevel;
  Level level;
  level.key = chain.back();
  level.chain.assign(chain.begin(), chain.end());
  level.parent = parent;
  for (const std::string& k : chain) level.path_keys.push_back(labels_.Intern(k));
  const auto id = static_cast<LevelId>(levels_.size());
  levels_.push_back(std::move(level));
  chain_index_.emplace(chain_key, id);
  // The level a key names, whoever created it first (a gang's chain may create its colocate level).
  if (!level_index_.contains(Key(chain.back())) &&
      PathKeys(topology_, chain.back()) == levels_[id].chain) {
    level_index_.emplace(chain.back(), id);
  }
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].live) JoinLevel(n, id);
  }
  return id;
}

std::optional<LevelId> Cluster::FindChainLevel(absl::Span<const std::string> chain) const {
  auto it = chain_index_.find(ChainKey(chain));
  if (it == chain_index_.end()) return std::nullopt;
  return it->second;
}

LevelId Cluster::EnsureGangLevel(std::string_view colocate_key, std::string_view exclusive_key) {
  if (colocate_key.empty()) return EnsureLevel(exclusive_key);
  const std::string pair = absl::StrCat(Key(colocate_key), "\n", Key(exclusive_key));
  if (auto it = gang_level_index_.find(pair); it != gang_level_index_.end()) return it->second;
  const LevelId id = EnsureChainLevel(GangPathKeys(topology_, colocate_key, exclusive_key));
  gang_level_index_.emplace(pair, id);
  return id;
}

std::optional<LevelId> Cluster::FindLevel(std::string_view key) const {
  auto it = level_index_.find(Key(key));
  if (it == level_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<DomainId> Cluster::FindDomain(std::string_view key, std::string_view path) const {
  const std::optional<LevelId> l = FindLevel(key);
  if (!l.has_value()) return std::nullopt;
  auto it = levels_[*l].index.find(Key(path));
  if (it == levels_[*l].index.end()) return std::nullopt;
  return it->second;
}

std::optional<DomainId> Cluster::FindDomainAt(LevelId l, std::string_view path) const {
  if (l >= levels_.size()) return std::nullopt;
  auto it = levels_[l].index.find(Key(path));
  if (it == levels_[l].index.end()) return std::nullopt;
  return it->second;
}

absl::Span<const DomainId> Cluster::DomainsByPath(LevelId l) {
  Level& level = levels_[l];
  if (level.by_path_dirty) {
    level.by_path = level.domains;
    std::sort(level.by_path.begin(), level.by_path.end(),
              [&](DomainId a, DomainId b) { return domains_[a].path < domains_[b].path; });
    for (uint32_t i = 0; i < level.by_path.size(); ++i) domains_[level.by_path[i]].rank = i;
    level.by_path_dirty = false;
  }
  return level.by_path;
}

std::string Cluster::DomainLabel(DomainId id) const {
  const Domain& d = domains_[id];
  return absl::StrCat(levels_[d.level].key, "=", d.path);
}

std::vector<std::pair<std::string, std::string>> Cluster::DomainLabels(DomainId id) const {
  const Domain& d = domains_[id];
  const std::vector<std::string>& chain = levels_[d.level].chain;
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(chain.size());
  size_t start = 0;
  for (size_t i = 0; i < chain.size(); ++i) {
    // Label values hold no '/', so the path splits back into one value per key.
    size_t end = i + 1 < chain.size() ? d.path.find('/', start) : d.path.size();
    if (end == std::string::npos) end = d.path.size();
    out.emplace_back(chain[i], start < d.path.size() ? d.path.substr(start, end - start) : "");
    start = end + 1;
  }
  return out;
}

bool Cluster::Within(DomainId inner, DomainId outer) const {
  if (inner == outer) return true;
  const LevelId ol = domains_[outer].level;
  for (LevelId l = domains_[inner].level; l != kNoLevel; l = levels_[l].parent) {
    if (l == ol) {
      DomainId d = inner;
      while (d != kNoDomain && domains_[d].level != ol) d = domains_[d].parent;
      return d == outer;
    }
  }
  const Domain& d = domains_[inner];
  if (d.nodes.empty()) return false;
  for (NodeId n : d.nodes) {
    if (NodeDomain(n, ol) != outer) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------ pods

void Cluster::AddPodUse(const PodState& p, int sign) {
  NodeState& s = nodes_[p.node];
  Add(s.used, p.requests, sign);
  s.all_pods += sign;
  if (!p.daemonset) s.pods += sign;
  if (s.live) {
    for (const auto& [d, pos] : s.domains) {
      if (d == kNoDomain) continue;
      if (s.healthy()) Add(domains_[d].used, p.requests, sign);
      if (!p.daemonset) domains_[d].pods += sign;
    }
  }
  if (p.job != 0xFFFFFFFF) {
    JobUse& j = jobs_[p.job];
    j.pods += sign;
    JobNodeUse& u = j.nodes[p.node];
    u.pods += sign;
    Add(u.used, p.requests, sign);
    if (u.pods == 0) j.nodes.erase(p.node);
  }
}

void Cluster::UpsertPod(const BoundPod& pod) {
  RemovePod(pod.uid);
  PodState p;
  p.node = SlotFor(pod.node_name);
  p.daemonset = pod.daemonset;
  p.requests = ToRequest(resources_, pod.requests);
  if (pod.job.has_value()) {
    auto it = job_index_.find(*pod.job);
    if (it != job_index_.end()) {
      p.job = it->second;
    } else {
      if (!free_jobs_.empty()) {
        p.job = free_jobs_.back();
        free_jobs_.pop_back();
      } else {
        p.job = static_cast<uint32_t>(jobs_.size());
        jobs_.emplace_back();
      }
      jobs_[p.job] = JobUse{*pod.job, 0, {}};
      job_index_.emplace(*pod.job, p.job);
    }
  }
  AddPodUse(p, +1);
  pods_.emplace(pod.uid, std::move(p));
}

void Cluster::RemovePod(std::string_view uid) {
  auto it = pods_.find(Key(uid));
  if (it == pods_.end()) return;
  const PodState p = std::move(it->second);
  pods_.erase(it);
  AddPodUse(p, -1);
  if (p.job != 0xFFFFFFFF && jobs_[p.job].pods == 0) {
    job_index_.erase(jobs_[p.job].key);
    jobs_[p.job] = JobUse{};
    free_jobs_.push_back(p.job);
  }
  MaybeFreeSlot(p.node);
}

int32_t Cluster::JobPods(const JobKey& job) const {
  auto it = job_index_.find(job);
  return it == job_index_.end() ? 0 : jobs_[it->second].pods;
}

const JobNodeUse* Cluster::JobUseOn(const JobKey& job, NodeId node) const {
  auto it = job_index_.find(job);
  if (it == job_index_.end()) return nullptr;
  auto u = jobs_[it->second].nodes.find(node);
  return u == jobs_[it->second].nodes.end() ? nullptr : &u->second;
}

int32_t Cluster::JobPodsIn(const JobKey& job, DomainId domain) const {
  auto it = job_index_.find(job);
  if (it == job_index_.end()) return 0;
  const LevelId l = domains_[domain].level;
  int32_t count = 0;
  for (const auto& [n, use] : jobs_[it->second].nodes) {
    if (NodeDomain(n, l) == domain) count += use.pods;
  }
  return count;
}

// ---------------------------------------------------------------------------------------- claims

void Cluster::ClaimNode(NodeId n, OwnerId owner, int sign) {
  NodeState& s = nodes_[n];
  if (sign > 0) {
    if (s.claims == 0) {
      for (const auto& [d, pos] : s.domains) {
        if (d != kNoDomain) ++domains_[d].claimed_nodes;
      }
      s.owner = owner;
    }
    ++s.claims;
    return;
  }
  --s.claims;
  if (s.claims == 0) {
    for (const auto& [d, pos] : s.domains) {
      if (d != kNoDomain) --domains_[d].claimed_nodes;
    }
    s.owner = kNoOwner;
  } else if (s.owner == owner) {
    for (const auto& [d, pos] : s.domains) {
      if (d != kNoDomain && domains_[d].owner != kNoOwner) {
        s.owner = domains_[d].owner;
        break;
      }
    }
  }
}

void Cluster::Claim(DomainId domain, OwnerId owner) {
  Unclaim(domain);
  domains_[domain].owner = owner;
  for (NodeId n : domains_[domain].nodes) ClaimNode(n, owner, +1);
}

void Cluster::Unclaim(DomainId domain) {
  const OwnerId old = domains_[domain].owner;
  if (old == kNoOwner) return;
  domains_[domain].owner = kNoOwner;
  for (NodeId n : domains_[domain].nodes) ClaimNode(n, old, -1);
}

}  // namespace phalanx::placement
