#include "placement/reserve.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/placement/builders.h"
#include "tests/placement/invariants.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::placement {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::AddAll;
using testing::Domains;
using testing::Gang;
using testing::kBlock;
using testing::kSubblock;
using testing::kTpu;
using testing::NodeBuilder;
using testing::Pools;

constexpr char kPool[] = "pool";

void AddPool(Cluster& c, const std::string& name, int nodes, int tpu = 4) {
  for (int i = 0; i < nodes; ++i) {
    c.UpsertNode(NodeBuilder(absl::StrCat(name, "-", i)).Label(kPool, name).Alloc(kTpu, tpu));
  }
}

TEST(PlacementReserveTest, PicksTheSmallestDomainThatFits) {
  Cluster c;
  AddPool(c, "big", 8);
  AddPool(c, "small", 2);
  AddPool(c, "mid", 4);
  Reservations r;
  const ReserveResult res = r.Reserve(c, Gang("g", kPool, 1, 3, {{kTpu, 4}}));
  ASSERT_TRUE(res.placed()) << res.reason;
  EXPECT_THAT(Domains(c, *res.reservation), ElementsAre("pool=mid"));
  EXPECT_EQ(res.outcome, ReserveResult::Outcome::kPlaced);
}

TEST(PlacementReserveTest, EqualDomainsAreTakenInPathOrder) {
  Cluster c;
  for (const char* p : {"c", "a", "b"}) AddPool(c, p, 2);
  Reservations r;
  EXPECT_THAT(Domains(c, *r.Reserve(c, Gang("g1", kPool, 2, 2, {{kTpu, 4}})).reservation),
              ElementsAre("pool=a", "pool=b"));
  EXPECT_THAT(Domains(c, *r.Reserve(c, Gang("g2", kPool, 1, 2, {{kTpu, 4}})).reservation),
              ElementsAre("pool=c"));
}

TEST(PlacementReserveTest, KeepsWholeCoarserDomainsFree) {
  Cluster c(TopologyConfig{{{kBlock, kSubblock}}});
  // b1 has 3 sub-blocks, b2 has 2: both whole at first; the smaller block is opened first.
  for (const auto& [b, sbs] : std::vector<std::pair<std::string, int>>{{"b1", 3}, {"b2", 2}}) {
    for (int s = 0; s < sbs; ++s) {
      for (int i = 0; i < 2; ++i) {
        c.UpsertNode(NodeBuilder(absl::StrCat(b, "-s", s, "-", i))
                         .Label(kBlock, b)
                         .Label(kSubblock, absl::StrCat("s", s))
                         .Alloc(kTpu, 4));
      }
    }
  }
  Reservations r;
  auto one = [&](const std::string& uid) {
    const ReserveResult res = r.Reserve(c, Gang(uid, kSubblock, 1, 2, {{kTpu, 4}}));
    EXPECT_TRUE(res.placed()) << res.reason;
    return Domains(c, *res.reservation).front();
  };
  EXPECT_EQ(one("g1"), "cloud.google.com/gce-topology-subblock=b2/s0");
  EXPECT_EQ(one("g2"), "cloud.google.com/gce-topology-subblock=b2/s1");  // b2 already used
  EXPECT_EQ(one("g3"), "cloud.google.com/gce-topology-subblock=b1/s0");
  r.Release(c, GangId{"g1", "", -1});
  r.Release(c, GangId{"g2", "", -1});
  // b1 is now the only partly used block, so it fills before b2 is touched again.
  EXPECT_EQ(one("g4"), "cloud.google.com/gce-topology-subblock=b1/s1");
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, AllOrNothing) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 3, 4, {{kTpu, 4}}));
  Reservations r;
  const ReserveResult res = r.Reserve(c, Gang("g", kPool, 4, 4, {{kTpu, 4}}));
  ASSERT_FALSE(res.placed());
  EXPECT_EQ(r.Find(GangId{"g", "", -1}), nullptr);
  for (DomainId d : c.level(*c.FindLevel(kPool)).domains) EXPECT_EQ(c.domain(d).owner, kNoOwner);
  EXPECT_EQ(res.reason, "gang needs 4 domains of pool with 4 pods of {google.com/tpu: 4}; 3 free");
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, ReleaseFreesTheDomains) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  Reservations r;
  ASSERT_TRUE(r.Reserve(c, Gang("a", kPool, 2, 2, {{kTpu, 4}})).placed());
  const ReserveResult blocked = r.Reserve(c, Gang("b", kPool, 1, 2, {{kTpu, 4}}));
  ASSERT_FALSE(blocked.placed());
  EXPECT_EQ(blocked.reason,
            "gang needs 1 domain of pool with 2 pods of {google.com/tpu: 4}; 0 free, 2 reserved by "
            "ns/a");
  r.Release(c, GangId{"a", "", -1});
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(r.Reserve(c, Gang("b", kPool, 1, 2, {{kTpu, 4}})).placed());
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, ReservingAgainKeepsTheDomains) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 4, 2, {{kTpu, 4}}));
  Reservations r;
  const GangDemand g = Gang("g", kPool, 2, 2, {{kTpu, 4}});
  const ReserveResult first = r.Reserve(c, g);
  // The Job's pods run and fill the domain; a second call (e.g. a restart attempt) keeps it.
  c.UpsertPod(testing::Bind("x0", "p0-0", g.jobs[0]));
  c.UpsertPod(testing::Bind("x1", "p0-1", g.jobs[0]));
  const ReserveResult again = r.Reserve(c, g);
  EXPECT_EQ(again.outcome, ReserveResult::Outcome::kKept);
  EXPECT_EQ(Domains(c, *again.reservation), Domains(c, *first.reservation));
  EXPECT_TRUE(again.moved.empty());
  EXPECT_TRUE(again.stranded.empty());
}

TEST(PlacementReserveTest, MovesAJobWithoutPodsOffAnUnhealthyDomain) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 3, 2, {{kTpu, 4}}));
  Reservations r;
  const GangDemand g = Gang("g", kPool, 2, 2, {{kTpu, 4}});
  ASSERT_THAT(Domains(c, *r.Reserve(c, g).reservation), ElementsAre("pool=p0", "pool=p1"));
  // Job 0 has a running pod; job 1 has none. Both domains lose a node.
  c.UpsertPod(testing::Bind("x", "p0-0", g.jobs[0]));
  c.UpsertNode(NodeBuilder("p0-1").Label(kPool, "p0").Alloc(kTpu, 4).NotReady());
  c.UpsertNode(NodeBuilder("p1-1").Label(kPool, "p1").Alloc(kTpu, 4).NotReady());
  const ReserveResult res = r.Reserve(c, g);
  EXPECT_EQ(res.outcome, ReserveResult::Outcome::kKept);
  EXPECT_THAT(Domains(c, *res.reservation), ElementsAre("pool=p0", "pool=p2"));
  ASSERT_EQ(res.moved.size(), 1u);
  EXPECT_EQ(res.moved[0], g.jobs[1].key);
  ASSERT_EQ(res.stranded.size(), 1u);
  EXPECT_EQ(res.stranded[0], g.jobs[0].key);
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, DomainsWithOtherPodsAreOccupiedDaemonSetsAreNot) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  c.UpsertPod({"other", "p0-0", {{"cpu", 100}}, std::nullopt, false});
  c.UpsertPod({"ds", "p1-0", {{"cpu", 100}}, std::nullopt, true});
  Reservations r;
  const ReserveResult res = r.Reserve(c, Gang("g", kPool, 1, 2, {{kTpu, 4}}));
  EXPECT_THAT(Domains(c, *res.reservation), ElementsAre("pool=p1"));
  const ReserveResult no = r.Reserve(c, Gang("h", kPool, 1, 2, {{kTpu, 4}}));
  EXPECT_THAT(no.reason, HasSubstr("1 in use by other pods"));
}

TEST(PlacementReserveTest, RespectsSelectorsAndTaints) {
  Cluster c;
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 2; ++i) {
      NodeBuilder b(absl::StrCat("p", p, "-", i));
      b.Label(kPool, absl::StrCat("p", p)).Alloc(kTpu, 4);
      b.Label("cloud.google.com/gke-tpu-accelerator", p == 0 ? "tpu-v5p-slice" : "tpu-v6e-slice");
      b.Taint(kTpu, "present");
      c.UpsertNode(b);
    }
  }
  Reservations r;
  GangDemand g = Gang("g", kPool, 1, 2, {{kTpu, 4}});
  g.jobs[0].eligibility.node_selector["cloud.google.com/gke-tpu-accelerator"] = "tpu-v6e-slice";
  const ReserveResult untolerated = r.Reserve(c, g);
  ASSERT_FALSE(untolerated.placed());
  EXPECT_THAT(untolerated.reason, HasSubstr("2 too small or unhealthy"));
  g.jobs[0].eligibility.tolerations.push_back(
      {kTpu, TolerationOperator::kExists, "", TaintEffect::kNoSchedule});
  const ReserveResult ok = r.Reserve(c, g);
  ASSERT_TRUE(ok.placed()) << ok.reason;
  EXPECT_THAT(Domains(c, *ok.reservation), ElementsAre("pool=p1"));
}

TEST(PlacementReserveTest, JobsOfDifferentKeysNeverOverlap) {
  Cluster c(TopologyConfig{{{kBlock, kSubblock}}});
  for (int b = 0; b < 2; ++b) {
    for (int s = 0; s < 2; ++s) {
      c.UpsertNode(NodeBuilder(absl::StrCat("b", b, "s", s))
                       .Label(kBlock, absl::StrCat("b", b))
                       .Label(kSubblock, absl::StrCat("s", s))
                       .Alloc(kTpu, 4));
    }
  }
  Reservations r;
  GangDemand g = Gang("g", kSubblock, 2, 1, {{kTpu, 4}});
  g.jobs[0].exclusive_key = kBlock;
  g.jobs[0].pods = 2;
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  const auto d = Domains(c, *res.reservation);
  EXPECT_EQ(d[0], "cloud.google.com/gce-topology-block=b0");
  EXPECT_EQ(d[1].rfind("cloud.google.com/gce-topology-subblock=b1/", 0), 0u) << d[1];
  // A sub-block inside a reserved block is not free for anyone else.
  EXPECT_FALSE(r.Reserve(c, Gang("h", kSubblock, 2, 1, {{kTpu, 4}})).placed());
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, AdoptRebuildsAReservation) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 3, 2, {{kTpu, 4}}));
  Reservations r;
  const GangDemand g = Gang("g", kPool, 2, 2, {{kTpu, 4}});
  ASSERT_OK(r.Adopt(c, g, {{g.jobs[0].key, "p2"}, {g.jobs[1].key, "p0"}}));
  EXPECT_THAT(Domains(c, *r.Find(g.id)), ElementsAre("pool=p2", "pool=p0"));
  EXPECT_EQ(r.Reserve(c, g).outcome, ReserveResult::Outcome::kKept);
  const GangDemand h = Gang("h", kPool, 1, 2, {{kTpu, 4}});
  EXPECT_THAT(r.Adopt(c, h, {{h.jobs[0].key, "p0"}}),
              phalanx::testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(r.Adopt(c, h, {{h.jobs[0].key, "nope"}}),
              phalanx::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(r.Find(h.id), nullptr);
}

TEST(PlacementReserveTest, InvalidDemands) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 1, 1, {{kTpu, 4}}));
  Reservations r;
  GangDemand empty = Gang("e", kPool, 0, 1, {});
  EXPECT_EQ(r.Reserve(c, empty).shortfall.kind, Shortfall::Kind::kInvalid);
  GangDemand zero = Gang("z", kPool, 1, 0, {});
  EXPECT_EQ(r.Reserve(c, zero).reason, "invalid gang: job z-w-0 has no pods");
  GangDemand dup = Gang("d", kPool, 2, 1, {});
  dup.jobs[1].key = dup.jobs[0].key;
  EXPECT_EQ(r.Reserve(c, dup).shortfall.kind, Shortfall::Kind::kInvalid);
}

TEST(PlacementReserveTest, NonExclusiveJobsMustFitOutsideReservedDomains) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  c.UpsertNode(NodeBuilder("cpu-0").Alloc("cpu", 4000));
  Reservations r;
  GangDemand g = Gang("g", kPool, 2, 2, {{kTpu, 4}});
  JobDemand leader;
  leader.key = JobKey{"g", "leader", 0};
  leader.name = "g-leader-0";
  leader.pods = 1;
  leader.requests = {{"cpu", 3000}};
  g.jobs.insert(g.jobs.begin(), leader);
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  EXPECT_THAT(Domains(c, *res.reservation), ElementsAre("", "pool=p0", "pool=p1"));
  g.id.jobset_uid = "g2";
  for (JobDemand& j : g.jobs) j.key.jobset_uid = "g2";
  g.jobs.resize(1);
  g.jobs[0].requests = {{"cpu", 5000}};
  const ReserveResult no = r.Reserve(c, g);
  ASSERT_FALSE(no.placed());
  EXPECT_EQ(no.reason, "gang needs 1 pod of {cpu: 5} outside reserved domains; 0 fit");
}

// Kueue-style labels: rack values repeat in every block, and no configured chain says rack lies
// under block. A gang colocated on block and exclusive on rack forms that chain by itself: its racks
// are "block/rack" paths, so a gang that fits one block is placed there (it used to wait with
// "best ...=block-1 has 0 free", because rack-1 alone spanned both blocks).
constexpr char kKueueBlock[] = "cloud.provider.com/topology-block";
constexpr char kKueueRack[] = "cloud.provider.com/topology-rack";

void AddRepeatedRacks(Cluster& c, int blocks, int racks, int nodes) {
  for (int b = 1; b <= blocks; ++b) {
    for (int k = 1; k <= racks; ++k) {
      for (int i = 0; i < nodes; ++i) {
        c.UpsertNode(NodeBuilder(absl::StrCat("b", b, "-r", k, "-", i))
                         .Label(kKueueBlock, absl::StrCat("block-", b))
                         .Label(kKueueRack, absl::StrCat("rack-", k))
                         .Alloc(kTpu, 4));
      }
    }
  }
}

GangDemand RackGang(const std::string& uid, int jobs, int pods) {
  GangDemand g = Gang(uid, kKueueRack, jobs, pods, {{kTpu, 4}});
  g.colocate_key = kKueueBlock;
  return g;
}

TEST(PlacementReserveTest, ColocateAndExclusiveKeysFormAChainWhenRackNamesRepeat) {
  Cluster c;  // no configured chain
  AddRepeatedRacks(c, 2, 2, 2);
  Reservations r;
  const ReserveResult a = r.Reserve(c, RackGang("a", 2, 2));
  ASSERT_TRUE(a.placed()) << a.reason;
  EXPECT_THAT(Domains(c, *a.reservation),
              ElementsAre("cloud.provider.com/topology-rack=block-1/rack-1",
                          "cloud.provider.com/topology-rack=block-1/rack-2"));
  EXPECT_EQ(c.DomainLabel(a.reservation->colocate), "cloud.provider.com/topology-block=block-1");
  // Each Job holds exactly its rack's two nodes, not the namesake rack of block-2.
  for (const JobSlot& s : a.reservation->jobs) {
    EXPECT_EQ(c.domain(s.domain).nodes.size(), 2u);
    EXPECT_TRUE(c.Within(s.domain, a.reservation->colocate));
  }
  // The second gang gets the other block, still by full path.
  const ReserveResult b = r.Reserve(c, RackGang("b", 2, 2));
  ASSERT_TRUE(b.placed()) << b.reason;
  EXPECT_THAT(Domains(c, *b.reservation),
              ElementsAre("cloud.provider.com/topology-rack=block-2/rack-1",
                          "cloud.provider.com/topology-rack=block-2/rack-2"));
  // A third waits, and the explanation names full paths.
  const ReserveResult no = r.Reserve(c, RackGang("c", 1, 2));
  ASSERT_FALSE(no.placed());
  EXPECT_THAT(no.reason, HasSubstr("0 free, 4 reserved"));
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, BusyRackSendsTheColocatedGangToTheBlockWhereItFits) {
  Cluster c;
  AddRepeatedRacks(c, 2, 2, 2);
  BoundPod p;
  p.uid = "other";
  p.node_name = "b1-r1-0";
  p.requests = {{kTpu, 1}};
  c.UpsertPod(p);
  Reservations r;
  const ReserveResult a = r.Reserve(c, RackGang("a", 2, 2));
  ASSERT_TRUE(a.placed()) << a.reason;
  EXPECT_THAT(Domains(c, *a.reservation),
              ElementsAre("cloud.provider.com/topology-rack=block-2/rack-1",
                          "cloud.provider.com/topology-rack=block-2/rack-2"));
  // One Job fits beside the busy rack, in the partly used block.
  const ReserveResult b = r.Reserve(c, RackGang("b", 1, 2));
  ASSERT_TRUE(b.placed()) << b.reason;
  EXPECT_THAT(Domains(c, *b.reservation),
              ElementsAre("cloud.provider.com/topology-rack=block-1/rack-2"));
  // Nothing is left for another Job.
  const ReserveResult no = r.Reserve(c, RackGang("c", 1, 1));
  ASSERT_FALSE(no.placed());
  EXPECT_THAT(no.reason, HasSubstr("0 free"));
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, ColocatedBestBlockIsExplainedByFullPath) {
  Cluster c;
  AddRepeatedRacks(c, 2, 2, 2);
  BoundPod p;
  p.uid = "other";
  p.node_name = "b2-r2-0";
  p.requests = {{kTpu, 1}};
  c.UpsertPod(p);
  Reservations r;
  // Three racks are free in all (enough without colocation), two of them in block-1.
  const ReserveResult no = r.Reserve(c, RackGang("c", 3, 2));
  ASSERT_FALSE(no.placed());
  EXPECT_THAT(no.reason, HasSubstr("within one cloud.provider.com/topology-block; best "
                                   "cloud.provider.com/topology-block=block-1 has 2 free"));
}

TEST(PlacementReserveTest, AdoptTakesTheFullPathOnTheGangsChain) {
  Cluster c;
  AddRepeatedRacks(c, 2, 2, 2);
  Reservations r;
  const GangDemand g = RackGang("g", 2, 2);
  EXPECT_THAT(r.Adopt(c, g, {{g.jobs[0].key, "rack-1"}}),  // a bare value names no domain
              phalanx::testing::StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(r.Adopt(c, g, {{g.jobs[0].key, "block-2/rack-1"}, {g.jobs[1].key, "block-2/rack-2"}}));
  const Reservation* res = r.Find(g.id);
  ASSERT_NE(res, nullptr);
  EXPECT_THAT(Domains(c, *res), ElementsAre("cloud.provider.com/topology-rack=block-2/rack-1",
                                            "cloud.provider.com/topology-rack=block-2/rack-2"));
  EXPECT_EQ(c.DomainLabel(res->colocate), "cloud.provider.com/topology-block=block-2");
  // What Reserve recorded round-trips through Adopt: the domain's path.
  const ReserveResult h = r.Reserve(c, RackGang("h", 1, 2));
  ASSERT_TRUE(h.placed()) << h.reason;
  const std::string path = c.domain(h.reservation->jobs[0].domain).path;
  EXPECT_EQ(path, "block-1/rack-1");
  r.Release(c, h.reservation->gang);
  const GangDemand h2 = RackGang("h", 1, 2);
  ASSERT_OK(r.Adopt(c, h2, {{h2.jobs[0].key, path}}));
  EXPECT_THAT(Domains(c, *r.Find(h2.id)), ElementsAre("cloud.provider.com/topology-rack=block-1/rack-1"));
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, AKeyAloneAndUnderAColocateParentShareNoNodes) {
  Cluster c;
  AddRepeatedRacks(c, 2, 2, 2);
  Reservations r;
  // Without colocation the rack key is a level of its own: rack-1 by value spans both blocks.
  const ReserveResult alone = r.Reserve(c, Gang("alone", kKueueRack, 1, 4, {{kTpu, 4}}));
  ASSERT_TRUE(alone.placed()) << alone.reason;
  EXPECT_THAT(Domains(c, *alone.reservation), ElementsAre("cloud.provider.com/topology-rack=rack-1"));
  // Its nodes are claimed for the colocated level too: only the rack-2 racks are left.
  const ReserveResult a = r.Reserve(c, RackGang("a", 1, 2));
  ASSERT_TRUE(a.placed()) << a.reason;
  EXPECT_THAT(Domains(c, *a.reservation), ElementsAre("cloud.provider.com/topology-rack=block-1/rack-2"));
  const ReserveResult two = r.Reserve(c, RackGang("two", 2, 2));
  ASSERT_FALSE(two.placed());
  EXPECT_THAT(two.reason, HasSubstr("1 free, 3 reserved"));
  // And the other way round: a colocated reservation makes the bare rack-2 domain reserved.
  EXPECT_FALSE(r.Reserve(c, Gang("bare", kKueueRack, 1, 1, {{kTpu, 4}})).placed());
  r.Release(c, alone.reservation->gang);
  const ReserveResult bare = r.Reserve(c, Gang("bare", kKueueRack, 1, 1, {{kTpu, 4}}));
  ASSERT_TRUE(bare.placed()) << bare.reason;
  EXPECT_THAT(Domains(c, *bare.reservation), ElementsAre("cloud.provider.com/topology-rack=rack-1"));
  testing::ExpectConsistent(c);
}

TEST(PlacementReserveTest, ColocateKeyFinerThanTheExclusiveKeyIsInvalid) {
  Cluster c(TopologyConfig{{{kKueueBlock, kKueueRack}}});
  AddRepeatedRacks(c, 1, 2, 1);
  Reservations r;
  GangDemand g = Gang("g", kKueueBlock, 1, 1, {{kTpu, 4}});
  g.colocate_key = kKueueRack;
  const ReserveResult res = r.Reserve(c, g);
  EXPECT_EQ(res.shortfall.kind, Shortfall::Kind::kInvalid);
  EXPECT_THAT(res.reason, HasSubstr("colocate key cloud.provider.com/topology-rack is finer than the "
                                    "exclusive key cloud.provider.com/topology-block"));
}

TEST(PlacementReserveTest, NodesWithoutTheColocateKeyAreInNoRackOfTheChain) {
  Cluster c;
  for (int i = 0; i < 2; ++i) {
    c.UpsertNode(NodeBuilder(absl::StrCat("loose-", i)).Label(kKueueRack, "rack-1").Alloc(kTpu, 4));
  }
  Reservations r;
  const ReserveResult res = r.Reserve(c, RackGang("g", 1, 2));
  ASSERT_FALSE(res.placed());
  EXPECT_THAT(res.reason, HasSubstr("(no node has all of the labels cloud.provider.com/topology-block, "
                                    "cloud.provider.com/topology-rack)"));
}

}  // namespace
}  // namespace phalanx::placement
