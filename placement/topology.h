// placement/topology.h
//
// Topology domains. A level is one node label key; a domain is the set of nodes sharing a value of
// it. Keys may be chained coarse → fine (block → sub-block → host) in a TopologyConfig; a domain of a
// chained key is then identified by its full path of values ("b1/sb2"), so the same sub-block value
// under two blocks is two domains. A node lacking the key, or any coarser key of its chain, is in no
// domain of that level. A key in no chain is a level of its own (path = its value).
// A gang forms a chain by itself: an exclusive Job of a gang colocated on a coarser key uses the level
// GangPathKeys(config, colocate, exclusive), whose paths start with the colocate key's values
// ("block-1/rack-1") even when no configured chain links the two keys. Levels are therefore identified
// by their whole list of path keys, not by the finest key alone: the same key may be a level of its own
// (a gang without colocation) and, separately, a level under a colocate parent. Their domains overlap,
// and a reservation at either level claims the nodes for both (claims are per node).
// Domains are never deleted (an emptied domain stays, with no nodes), so ids are stable for the life
// of the Cluster; their aggregates (healthy nodes, capacity, usage, pods, claims) are kept current by
// Cluster on every event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "placement/eligibility.h"
#include "placement/resources.h"

namespace phalanx::placement {

using NodeId = uint32_t;
using DomainId = uint32_t;
using LevelId = uint32_t;
using OwnerId = uint32_t;

inline constexpr NodeId kNoNode = 0xFFFFFFFF;
inline constexpr DomainId kNoDomain = 0xFFFFFFFF;
inline constexpr LevelId kNoLevel = 0xFFFFFFFF;
inline constexpr OwnerId kNoOwner = 0xFFFFFFFF;

// Chains of node label keys, each ordered coarse → fine, e.g.
// {{"cloud.google.com/gce-topology-block", "cloud.google.com/gce-topology-subblock",
//   "cloud.google.com/gce-topology-host"}}.
struct TopologyConfig {
  std::vector<std::vector<std::string>> chains;
};

// The keys whose values make up a domain path of `key`: the prefix of the first chain containing it
// ending at `key`, or just {key}.
std::vector<std::string> PathKeys(const TopologyConfig& config, std::string_view key);

// The path keys of the level an exclusive Job on `exclusive_key` uses in a gang colocated on
// `colocate_key` (empty: not colocated):
// - PathKeys(exclusive_key) when `colocate_key` is empty, equal to `exclusive_key`, or already one of
//   those keys (a configured chain covers the pair);
// - otherwise PathKeys(colocate_key) followed by the keys of PathKeys(exclusive_key) not in it, so the
//   exclusive level gets the colocate level as parent: {block, rack} → paths "block-1/rack-1".
// A colocate key finer than the exclusive key (exclusive_key in PathKeys(colocate_key)) is rejected by
// Reservations::Reserve as an invalid gang; here it yields PathKeys(exclusive_key).
std::vector<std::string> GangPathKeys(const TopologyConfig& config, std::string_view colocate_key,
                                      std::string_view exclusive_key);

struct Domain {
  LevelId level = kNoLevel;
  DomainId parent = kNoDomain;  // domain of the next coarser key in the chain, if any
  std::string path;             // values joined by '/'
  uint32_t rank = 0;            // position among its level's domains ordered by path
  std::vector<NodeId> nodes;    // every live member node, healthy or not
  int32_t healthy_nodes = 0;    // members that are ready, schedulable and present
  ResourceVec capacity;         // sum over healthy members
  ResourceVec used;             // sum over healthy members
  int32_t pods = 0;             // non-DaemonSet pods bound to members
  int32_t claimed_nodes = 0;    // members inside some reserved domain (any level)
  OwnerId owner = kNoOwner;     // reservation holding this domain exclusively
};

struct Level {
  std::string key;                     // the finest key: chain.back()
  std::vector<std::string> chain;      // the keys whose values make up a path, coarse → fine
  std::vector<LabelId> path_keys;      // interned `chain`
  LevelId parent = kNoLevel;           // the level of chain minus its last key
  std::vector<DomainId> domains;   // creation order
  std::vector<DomainId> by_path;   // sorted by path; rebuilt when domains were added
  bool by_path_dirty = false;
  absl::flat_hash_map<std::string, DomainId> index;  // path → domain
};

}  // namespace phalanx::placement
