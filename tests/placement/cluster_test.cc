#include "placement/cluster.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/placement/builders.h"
#include "tests/placement/invariants.h"

namespace phalanx::placement {
namespace {

using testing::kBlock;
using testing::kSubblock;
using testing::kTpu;
using testing::NodeBuilder;

TopologyConfig Gke() { return TopologyConfig{{{kBlock, kSubblock, testing::kHost}}}; }

TEST(PlacementClusterTest, DomainsAreIdentifiedByFullPath) {
  Cluster c(Gke());
  c.UpsertNode(NodeBuilder("n1").Label(kBlock, "b1").Label(kSubblock, "s1"));
  c.UpsertNode(NodeBuilder("n2").Label(kBlock, "b2").Label(kSubblock, "s1"));
  c.UpsertNode(NodeBuilder("n3").Label(kSubblock, "s1"));  // no block: in no sub-block domain
  const LevelId sb = *c.FindLevel(kSubblock);
  ASSERT_EQ(c.level(sb).domains.size(), 2u);
  const DomainId d1 = *c.FindDomain(kSubblock, "b1/s1");
  const DomainId d2 = *c.FindDomain(kSubblock, "b2/s1");
  EXPECT_NE(d1, d2);
  EXPECT_EQ(c.domain(d1).nodes.size(), 1u);
  EXPECT_EQ(c.NodeDomain(*c.FindNode("n3"), sb), kNoDomain);
  EXPECT_EQ(c.DomainLabel(d1), "cloud.google.com/gce-topology-subblock=b1/s1");
  EXPECT_EQ(c.domain(d1).parent, *c.FindDomain(kBlock, "b1"));
  EXPECT_TRUE(c.Within(d1, *c.FindDomain(kBlock, "b1")));
  EXPECT_FALSE(c.Within(d1, *c.FindDomain(kBlock, "b2")));
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, AnyKeyIsALevelOnFirstUse) {
  Cluster c;
  c.UpsertNode(NodeBuilder("n1").Label("rack", "r1"));
  c.UpsertNode(NodeBuilder("n2").Label("rack", "r1"));
  c.UpsertNode(NodeBuilder("n3").Label("rack", "r2"));
  EXPECT_FALSE(c.FindLevel("rack").has_value());
  const LevelId l = c.EnsureLevel("rack");
  EXPECT_EQ(c.EnsureLevel("rack"), l);
  EXPECT_EQ(c.domain(*c.FindDomain("rack", "r1")).nodes.size(), 2u);
  c.UpsertNode(NodeBuilder("n4").Label("rack", "r2"));
  EXPECT_EQ(c.domain(*c.FindDomain("rack", "r2")).nodes.size(), 2u);
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, HealthDecidesCapacity) {
  Cluster c;
  c.UpsertNode(NodeBuilder("n1").Label("pool", "a").Alloc(kTpu, 4));
  c.UpsertNode(NodeBuilder("n2").Label("pool", "a").Alloc(kTpu, 4));
  c.EnsureLevel("pool");
  const DomainId a = *c.FindDomain("pool", "a");
  const ResourceId tpu = *c.resources().Find(kTpu);
  EXPECT_EQ(c.domain(a).healthy_nodes, 2);
  EXPECT_EQ(At(c.domain(a).capacity, tpu), 8);
  c.UpsertNode(NodeBuilder("n2").Label("pool", "a").Alloc(kTpu, 4).NotReady());
  EXPECT_EQ(c.domain(a).healthy_nodes, 1);
  EXPECT_EQ(At(c.domain(a).capacity, tpu), 4);
  c.UpsertNode(NodeBuilder("n2").Label("pool", "a").Alloc(kTpu, 4).Cordoned());
  EXPECT_EQ(c.domain(a).healthy_nodes, 1);
  c.UpsertNode(NodeBuilder("n2").Label("pool", "a").Alloc(kTpu, 4));
  EXPECT_EQ(c.domain(a).healthy_nodes, 2);
  c.RemoveNode("n2");
  EXPECT_EQ(c.domain(a).nodes.size(), 1u);
  EXPECT_EQ(c.node_count(), 1u);
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, PodsCountOnNodesDomainsAndJobs) {
  Cluster c;
  c.UpsertNode(NodeBuilder("n1").Label("pool", "a").Alloc(kTpu, 4));
  c.EnsureLevel("pool");
  const DomainId a = *c.FindDomain("pool", "a");
  const JobKey job{"uid", "w", 0};
  c.UpsertPod({"p1", "n1", {{kTpu, 2}}, job, false});
  c.UpsertPod({"ds", "n1", {{"cpu", 100}}, std::nullopt, true});
  EXPECT_EQ(c.domain(a).pods, 1);  // DaemonSet pods do not occupy a domain
  EXPECT_EQ(c.JobPods(job), 1);
  EXPECT_EQ(c.JobPodsIn(job, a), 1);
  const ResourceId tpu = *c.resources().Find(kTpu);
  EXPECT_EQ(At(c.domain(a).used, tpu), 2);
  c.UpsertPod({"p1", "n1", {{kTpu, 3}}, job, false});  // replace
  EXPECT_EQ(At(c.domain(a).used, tpu), 3);
  c.RemovePod("p1");
  EXPECT_EQ(c.JobPods(job), 0);
  EXPECT_EQ(c.domain(a).pods, 0);
  EXPECT_EQ(At(c.domain(a).used, tpu), 0);
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, PodBeforeNodeAndAfterNodeRemoval) {
  Cluster c;
  c.EnsureLevel("pool");
  c.UpsertPod({"p1", "n1", {{kTpu, 1}}, std::nullopt, false});
  EXPECT_FALSE(c.FindNode("n1").has_value());
  c.UpsertNode(NodeBuilder("n1").Label("pool", "a").Alloc(kTpu, 4));
  const DomainId a = *c.FindDomain("pool", "a");
  EXPECT_EQ(c.domain(a).pods, 1);
  EXPECT_EQ(At(c.node(*c.FindNode("n1")).used, *c.resources().Find(kTpu)), 1);
  c.RemoveNode("n1");
  EXPECT_EQ(c.domain(a).pods, 0);
  c.RemovePod("p1");
  EXPECT_EQ(c.node_slots(), 1u);  // slot freed for reuse
  c.UpsertNode(NodeBuilder("n2").Label("pool", "a"));
  EXPECT_EQ(c.node_slots(), 1u);
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, ClaimsFollowNodesInAndOut) {
  Cluster c(Gke());
  c.UpsertNode(NodeBuilder("n1").Label(kBlock, "b1").Label(kSubblock, "s1"));
  c.UpsertNode(NodeBuilder("n2").Label(kBlock, "b1").Label(kSubblock, "s2"));
  const DomainId s1 = *c.FindDomain(kSubblock, "b1/s1");
  const DomainId b1 = *c.FindDomain(kBlock, "b1");
  c.Claim(s1, 7);
  EXPECT_EQ(c.node(*c.FindNode("n1")).owner, 7u);
  EXPECT_EQ(c.domain(b1).claimed_nodes, 1);
  // A node relabelled into the claimed domain is claimed; one relabelled out is released.
  c.UpsertNode(NodeBuilder("n2").Label(kBlock, "b1").Label(kSubblock, "s1"));
  EXPECT_EQ(c.node(*c.FindNode("n2")).owner, 7u);
  EXPECT_EQ(c.domain(b1).claimed_nodes, 2);
  c.UpsertNode(NodeBuilder("n1").Label(kBlock, "b1").Label(kSubblock, "s3"));
  EXPECT_EQ(c.node(*c.FindNode("n1")).owner, kNoOwner);
  testing::ExpectConsistent(c);
  c.Unclaim(s1);
  EXPECT_EQ(c.domain(b1).claimed_nodes, 0);
  testing::ExpectConsistent(c);
}

TEST(PlacementClusterTest, LabelPoolDoesNotGrowUnderNodeChurn) {
  Cluster c;
  c.EnsureLevel("pool");
  c.UpsertNode(NodeBuilder("keep").Label("pool", "a"));
  const size_t base = c.labels().size();
  for (int i = 0; i < 1000; ++i) {
    const std::string name = absl::StrCat("n", i);
    c.UpsertNode(NodeBuilder(name).Label("pool", "a").Label("id", name));
    c.UpsertNode(NodeBuilder(name).Label("pool", "b").Label("id", name + "x"));
    c.RemoveNode(name);
  }
  EXPECT_LE(c.labels().size(), base + 4);  // "b" and "id" may stay cached only if in use
  EXPECT_EQ(c.domain(*c.FindDomain("pool", "a")).nodes.size(), 1u);
  testing::ExpectConsistent(c);
}

// Random node and pod events; after each, the incremental model equals a recomputation.
TEST(PlacementClusterTest, RandomEventsKeepAggregatesExact) {
  std::mt19937 rng(12345);
  Cluster c(Gke());
  c.EnsureLevel("pool");
  std::map<std::string, std::string> pod_node;  // uid → node
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int step = 0; step < 3000; ++step) {
    const int op = pick(10);
    const std::string node = absl::StrCat("n", pick(40));
    if (op < 4) {
      NodeBuilder b(node);
      if (pick(5) > 0) b.Label(kBlock, absl::StrCat("b", pick(3)));
      if (pick(5) > 0) b.Label(kSubblock, absl::StrCat("s", pick(3)));
      if (pick(3) > 0) b.Label("pool", absl::StrCat("p", pick(5)));
      b.Alloc(kTpu, 4);
      if (pick(6) == 0) b.NotReady();
      if (pick(6) == 0) b.Cordoned();
      c.UpsertNode(b);
    } else if (op == 4) {
      c.RemoveNode(node);
    } else if (op < 8) {
      const std::string uid = absl::StrCat("p", pick(200));
      std::optional<JobKey> job;
      if (pick(2) == 0) job = JobKey{"js", "w", pick(4)};
      c.UpsertPod({uid, node, {{kTpu, 1 + pick(2)}}, job, pick(5) == 0});
      pod_node[uid] = node;
    } else if (op == 8) {
      const std::string uid = absl::StrCat("p", pick(200));
      c.RemovePod(uid);
      pod_node.erase(uid);
    } else {
      const LevelId l = static_cast<LevelId>(pick(static_cast<int>(c.level_count())));
      if (!c.level(l).domains.empty()) {
        const DomainId d = c.level(l).domains[pick(static_cast<int>(c.level(l).domains.size()))];
        if (c.domain(d).owner == kNoOwner && c.domain(d).claimed_nodes == 0) {
          c.Claim(d, static_cast<OwnerId>(pick(5)));
        } else {
          c.Unclaim(d);
        }
      }
    }
    if (step % 50 == 0 || step == 2999) {
      ASSERT_NO_FATAL_FAILURE(testing::ExpectConsistent(c)) << "step " << step;
    }
  }
  EXPECT_EQ(c.pod_count(), pod_node.size());
}

TEST(PlacementClusterTest, GangPathKeysPutTheColocateKeyAboveTheExclusiveKey) {
  const TopologyConfig none;
  EXPECT_EQ(GangPathKeys(none, "", "rack"), std::vector<std::string>({"rack"}));
  EXPECT_EQ(GangPathKeys(none, "block", "rack"), std::vector<std::string>({"block", "rack"}));
  EXPECT_EQ(GangPathKeys(none, "rack", "rack"), std::vector<std::string>({"rack"}));
  const TopologyConfig gke = Gke();
  // A configured chain that covers the pair is used as it is.
  EXPECT_EQ(GangPathKeys(gke, kBlock, testing::kHost),
            std::vector<std::string>({kBlock, kSubblock, testing::kHost}));
  // A colocate key finer than the exclusive key adds nothing (Reserve rejects the gang).
  EXPECT_EQ(GangPathKeys(gke, kSubblock, kBlock), std::vector<std::string>({kBlock}));
  // Configured coarser keys of both sides are kept, colocate side first.
  const TopologyConfig two{{{"zone", "rack"}, {"region", "block"}}};
  EXPECT_EQ(GangPathKeys(two, "block", "rack"),
            std::vector<std::string>({"region", "block", "zone", "rack"}));
}

TEST(PlacementClusterTest, OneKeyIsALevelAloneAndAnotherUnderAColocateParent) {
  Cluster c;
  for (int b = 1; b <= 2; ++b) {
    c.UpsertNode(NodeBuilder(absl::StrCat("n", b)).Label("block", absl::StrCat("block-", b)).Label("rack", "rack-1"));
  }
  const LevelId alone = c.EnsureLevel("rack");
  const LevelId under = c.EnsureGangLevel("block", "rack");
  EXPECT_NE(alone, under);
  EXPECT_EQ(c.EnsureGangLevel("", "rack"), alone);
  EXPECT_EQ(c.EnsureGangLevel("block", "rack"), under);
  EXPECT_EQ(c.level(under).chain, std::vector<std::string>({"block", "rack"}));
  EXPECT_EQ(c.level(under).parent, *c.FindLevel("block"));
  EXPECT_EQ(c.FindChainLevel(std::vector<std::string>{"block", "rack"}), under);
  EXPECT_EQ(c.FindChainLevel(std::vector<std::string>{"rack", "block"}), std::nullopt);
  // By value alone rack-1 is one domain of two nodes; under block it is two.
  EXPECT_EQ(c.domain(*c.FindDomainAt(alone, "rack-1")).nodes.size(), 2u);
  const DomainId d = *c.FindDomainAt(under, "block-2/rack-1");
  EXPECT_EQ(c.domain(d).nodes.size(), 1u);
  EXPECT_FALSE(c.FindDomainAt(under, "rack-1").has_value());
  EXPECT_EQ(c.DomainLabel(d), "rack=block-2/rack-1");
  EXPECT_EQ(c.DomainLabels(d),
            (std::vector<std::pair<std::string, std::string>>{{"block", "block-2"}, {"rack", "rack-1"}}));
  EXPECT_TRUE(c.Within(d, *c.FindDomain("block", "block-2")));
  // Nodes added later join both levels.
  c.UpsertNode(NodeBuilder("n3").Label("block", "block-2").Label("rack", "rack-1"));
  EXPECT_EQ(c.domain(d).nodes.size(), 2u);
  EXPECT_EQ(c.domain(*c.FindDomainAt(alone, "rack-1")).nodes.size(), 3u);
  testing::ExpectConsistent(c);
}

}  // namespace
}  // namespace phalanx::placement
