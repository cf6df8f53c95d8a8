// tests/placement/invariants.h
//
// Brute-force recomputation of everything Cluster maintains incrementally; tests compare the two.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "placement/cluster.h"

namespace phalanx::placement::testing {

inline void Same(const ResourceVec& a, const ResourceVec& b, const std::string& what) {
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(At(a, static_cast<ResourceId>(i)), At(b, static_cast<ResourceId>(i)))
        << what << " resource " << i;
  }
}

inline void ExpectConsistent(const Cluster& c) {
  // Membership follows labels, by full path.
  for (NodeId n = 0; n < c.node_slots(); ++n) {
    const NodeState& s = c.node(n);
    if (!s.live) continue;
    int claims = 0;
    for (LevelId l = 0; l < c.level_count(); ++l) {
      const Level& level = c.level(l);
      std::string path;
      bool complete = true;
      for (size_t k = 0; k < level.path_keys.size(); ++k) {
        const LabelId v = LabelValue(s.labels, level.path_keys[k]);
        if (v == kNoLabel) {
          complete = false;
          break;
        }
        absl::StrAppend(&path, k > 0 ? "/" : "", c.labels().str(v));
      }
      const DomainId d = c.NodeDomain(n, l);
      if (!complete) {
        ASSERT_EQ(d, kNoDomain) << s.name << " level " << level.key;
        continue;
      }
      ASSERT_NE(d, kNoDomain) << s.name << " level " << level.key;
      ASSERT_EQ(c.domain(d).path, path);
      ASSERT_EQ(c.domain(d).nodes[s.domains[l].second], n);
      if (c.domain(d).owner != kNoOwner) ++claims;
    }
    ASSERT_EQ(s.claims, claims) << s.name;
    ASSERT_EQ(s.owner == kNoOwner, claims == 0) << s.name;
  }
  // Aggregates equal sums over members.
  for (LevelId l = 0; l < c.level_count(); ++l) {
    for (DomainId id : c.level(l).domains) {
      const Domain& d = c.domain(id);
      int32_t healthy = 0, pods = 0, claimed = 0;
      ResourceVec cap, used;
      for (NodeId n : d.nodes) {
        const NodeState& s = c.node(n);
        ASSERT_TRUE(s.live);
        ASSERT_EQ(c.NodeDomain(n, l), id);
        if (s.healthy()) {
          ++healthy;
          Add(cap, s.capacity, +1);
          Add(used, s.used, +1);
        }
        pods += s.pods;
        if (s.claims > 0) ++claimed;
      }
      const std::string what = c.DomainLabel(id);
      ASSERT_EQ(d.healthy_nodes, healthy) << what;
      ASSERT_EQ(d.pods, pods) << what;
      ASSERT_EQ(d.claimed_nodes, claimed) << what;
      Same(d.capacity, cap, what + " capacity");
      Same(d.used, used, what + " used");
      if (d.parent != kNoDomain) {
        ASSERT_EQ(c.domain(d.parent).level, c.level(l).parent);
        ASSERT_EQ(d.path.rfind(c.domain(d.parent).path + "/", 0), 0u) << what;
      }
    }
  }
}

}  // namespace phalanx::placement::testing
