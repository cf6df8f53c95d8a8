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
  // The level of `key`, indexing it (and its coarser chain keys) on first use.
  LevelId EnsureLevel(std::string_view key);
  std::optional<LevelId> FindLevel(std::string_view key) const;
  const Level& level(LevelId id) const { return levels_[id]; }
  size_t level_count() const { return levels_.size(); }
  const Domain& domain(DomainId id) const { return domains_[id]; }
  std::optional<DomainId> FindDomain(std::string_view key, std::string_view path) const;
  // Domains of `level` ordered by path (ranks refreshed).
  absl::Span<const DomainId> DomainsByPath(LevelId level);
  // "<key>=<path>".
  std::string DomainLabel(DomainId id) const;
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
  absl::flat_hash_map<std::string, LevelId> level_index_;
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
