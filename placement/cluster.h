// placement/cluster.h
//
// The incremental cluster model: nodes (labels, capacity, taints, health), bound pods and their
// usage, topology levels with per-domain aggregates, and which domains are claimed by reservations.
// Every node or pod event costs O(levels + labels + requests), independent of cluster size; a level
// is indexed on first use (one O(nodes) pass) and then maintained per event.
// A node is healthy when present, Ready and not cordoned; only healthy nodes count toward a domain's
// capacity. Pods may arrive before their node (or outlive it): they wait on a placeholder slot.
// Not thread-safe; callers serialize access (the extender holds it under its own mutex).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "placement/eligibility.h"
#include "placement/model.h"
#include "placement/name_index.h"
#include "placement/resources.h"
#include "placement/topology.h"

namespace phalanx::placement {

// Field order matters: Filter reads the first cache line (flags, claims, domains) for most nodes.
struct NodeState {
  bool live = false;  // false: deleted or never seen (placeholder for pods bound to it)
  bool ready = false;
  bool unschedulable = false;
  int32_t claims = 0;  // reserved domains containing this node
  OwnerId owner = kNoOwner;
  int32_t pods = 0;      // non-DaemonSet pods
  int32_t all_pods = 0;  // including DaemonSet pods
  uint32_t taint_set = 0;  // Cluster::taint_set(); 0 = no taints
  // Per level: (domain, position in domain.nodes), or (kNoDomain, 0).
  absl::InlinedVector<std::pair<DomainId, uint32_t>, 4> domains;
  ResourceVec capacity;
  ResourceVec used;
  std::string name;
  LabelSet labels;

  bool healthy() const { return live && ready && !unschedulable; }
};

// Pods of one child Job on one node.
struct JobNodeUse {
  int32_t pods = 0;
  ResourceVec used;
};

class Cluster {
 public:
  explicit Cluster(TopologyConfig topology = {});

  // --- events ---
  void UpsertNode(const Node& node);
  void RemoveNode(std::string_view name);
  // Adds or replaces the pod with this uid.
  void UpsertPod(const BoundPod& pod);
  void RemovePod(std::string_view uid);

  // --- topology ---
  // Levels are identified by their chain of path keys (topology.h). A key names the level of
  // PathKeys(topology(), key): its configured chain, or itself alone.
  // The level of `key`, indexing it (and its coarser chain keys) on first use.
  LevelId EnsureLevel(std::string_view key);
  std::optional<LevelId> FindLevel(std::string_view key) const;
  // The level whose paths are the values of `chain` (coarse → fine, non-empty; the last key is the
  // level's key), indexing it and every shorter prefix on first use (one O(nodes) pass each).
  LevelId EnsureChainLevel(absl::Span<const std::string> chain);
  std::optional<LevelId> FindChainLevel(absl::Span<const std::string> chain) const;
  // The level an exclusive Job on `exclusive_key` uses in a gang colocated on `colocate_key` (empty:
  // not colocated): EnsureChainLevel(GangPathKeys(topology(), colocate_key, exclusive_key)). This is
  // what Reservations::Reserve and Adopt use, so a reserved Job's domain path is on this level.
  LevelId EnsureGangLevel(std::string_view colocate_key, std::string_view exclusive_key);
  const Level& level(LevelId id) const { return levels_[id]; }
  size_t level_count() const { return levels_.size(); }
  const Domain& domain(DomainId id) const { return domains_[id]; }
  // The domain of the level FindLevel(key) with this full path.
  std::optional<DomainId> FindDomain(std::string_view key, std::string_view path) const;
  // The domain of `level` with this full path ("block-1/rack-1").
  std::optional<DomainId> FindDomainAt(LevelId level, std::string_view path) const;
  // Domains of `level` ordered by path (ranks refreshed).
  absl::Span<const DomainId> DomainsByPath(LevelId level);
  // "<key>=<path>", the path holding every coarser value: "cloud.provider.com/topology-rack=block-1/rack-1".
  std::string DomainLabel(DomainId id) const;
  // Every (label key, value) of the domain's full path, coarse → fine: what a nodeSelector naming
  // exactly this domain needs ({{".../topology-block", "block-1"}, {".../topology-rack", "rack-1"}}).
  std::vector<std::pair<std::string, std::string>> DomainLabels(DomainId id) const;
  // True if every node of `inner` lies in `outer` (cheap when `outer` is an ancestor in the chain).
  bool Within(DomainId inner, DomainId outer) const;
  const TopologyConfig& topology() const { return topology_; }

  // --- nodes ---
  std::optional<NodeId> FindNode(std::string_view name) const;
  // FindNode for many names at once (kNoNode for unknown or deleted nodes), overlapping the
  // memory accesses of neighbouring names; `out` has names.size() entries.
  template <typename Name>
  void FindNodes(absl::Span<const Name> names, NodeId* out) const;
  const NodeState& node(NodeId id) const { return nodes_[id]; }
  size_t node_slots() const { return nodes_.size(); }
  size_t node_count() const { return live_nodes_; }
  DomainId NodeDomain(NodeId n, LevelId level) const {
    const auto& d = nodes_[n].domains;
    return level < d.size() ? d[level].first : kNoDomain;
  }

  // --- pods ---
  size_t pod_count() const { return pods_.size(); }
  // Bound pods of `job`, in total and on one node.
  int32_t JobPods(const JobKey& job) const;
  const JobNodeUse* JobUseOn(const JobKey& job, NodeId node) const;
  // Bound pods of `job` on members of `domain`.
  int32_t JobPodsIn(const JobKey& job, DomainId domain) const;

  // Removes every bound pod whose Job satisfies `pred` (O(pods); for what-if copies).
  template <typename Pred>
  void RemovePodsIf(Pred pred) {
    std::vector<std::string> doomed;
    for (const auto& [uid, p] : pods_) {
      if (p.job != 0xFFFFFFFF && pred(jobs_[p.job].key)) doomed.push_back(uid);
    }
    for (const std::string& uid : doomed) RemovePod(uid);
  }

  // --- claims (used by Reservations) ---
  void Claim(DomainId domain, OwnerId owner);
  void Unclaim(DomainId domain);

  // Distinct taint lists are stored once; nodes refer to them by id (0 is the empty list).
  const std::vector<Taint>& taint_set(uint32_t id) const { return taint_sets_[id]; }
  EligibilityResult CheckEligibility(const CompiledEligibility& e, NodeId n) const {
    const NodeState& s = nodes_[n];
    return e.Check(labels_, s.name, s.labels, s.taint_set, taint_sets_[s.taint_set]);
  }

  const ResourceTable& resources() const { return resources_; }
  ResourceTable& mutable_resources() { return resources_; }
  const LabelPool& labels() const { return labels_; }

 private:
  struct PodState {
    NodeId node = kNoNode;
    uint32_t job = 0xFFFFFFFF;  // index into jobs_
    bool daemonset = false;
    RequestVec requests;
  };
  struct JobUse {
    JobKey key;
    int32_t pods = 0;
    absl::flat_hash_map<NodeId, JobNodeUse> nodes;
  };

  NodeId SlotFor(std::string_view name);
  uint32_t InternTaints(const std::vector<Taint>& taints);
  void MaybeFreeSlot(NodeId n);
  void Join(NodeId n);   // add memberships at every level and contribute aggregates
  void Leave(NodeId n);  // the reverse
  void JoinLevel(NodeId n, LevelId l);
  DomainId FindOrCreateDomain(LevelId l, std::string path);
  void Contribute(NodeId n, DomainId d, int sign);
  void ClaimNode(NodeId n, OwnerId owner, int sign);
  void AddPodUse(const PodState& p, int sign);
  std::optional<std::string> PathOf(const NodeState& n, const Level& l) const;

  TopologyConfig topology_;
  ResourceTable resources_;
  LabelPool labels_;
  std::vector<Level> levels_;
  absl::flat_hash_map<std::string, LevelId> level_index_;  // key → level of PathKeys(key)
  absl::flat_hash_map<std::string, LevelId> chain_index_;  // chain joined by '\n' → level
  absl::flat_hash_map<std::string, LevelId> gang_level_index_;  // "colocate\nexclusive" → level
  std::vector<Domain> domains_;
  std::vector<NodeState> nodes_;
  std::vector<NodeId> free_slots_;
  NameIndex names_;
  std::vector<std::vector<Taint>> taint_sets_{1};
  absl::flat_hash_map<std::string, uint32_t> taint_set_index_;
  size_t live_nodes_ = 0;
  absl::flat_hash_map<std::string, PodState> pods_;
  std::vector<JobUse> jobs_;
  std::vector<uint32_t> free_jobs_;
  absl::flat_hash_map<JobKey, uint32_t> job_index_;
};

template <typename Name>
void Cluster::FindNodes(absl::Span<const Name> names, NodeId* out) const {
  constexpr size_t kChunk = 16;
  uint64_t hashes[kChunk];
  for (size_t base = 0; base < names.size(); base += kChunk) {
    const size_t m = std::min(kChunk, names.size() - base);
    for (size_t i = 0; i < m; ++i) {
      const std::string_view name(names[base + i].data(), names[base + i].size());
      hashes[i] = NameIndex::Hash(name);
      names_.Prefetch(hashes[i]);
    }
    for (size_t i = 0; i < m; ++i) {
      const std::string_view name(names[base + i].data(), names[base + i].size());
      const NodeId n =
          names_.Find(name, hashes[i], [&](uint32_t id) { return nodes_[id].name == name; });
      if (n != NameIndex::kNone) {
        // Flags and domains, then capacity and usage: what Filter reads.
        const char* p = reinterpret_cast<const char*>(&nodes_[n]);
        __builtin_prefetch(p);
        __builtin_prefetch(p + 64);
        __builtin_prefetch(p + 128);
      }
      out[base + i] = n;
    }
    for (size_t i = 0; i < m; ++i) {
      if (out[base + i] != kNoNode && !nodes_[out[base + i]].live) out[base + i] = kNoNode;
    }
  }
}

}  // namespace phalanx::placement
