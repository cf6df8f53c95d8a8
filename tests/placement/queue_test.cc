#include "placement/queue.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/placement/builders.h"

namespace phalanx::placement {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::AddAll;
using testing::Gang;
using testing::kTpu;
using testing::Pools;

constexpr char kPool[] = "pool";
const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

GangDemand At(GangDemand g, int priority, int created_s) {
  g.priority = priority;
  g.created = kT0 + absl::Seconds(created_s);
  return g;
}

GangId Id(const std::string& uid) { return GangId{uid, "", -1}; }

TEST(PlacementQueueTest, OrderIsPriorityThenAgeThenId) {
  PlanQueue q;
  q.Upsert(At(Gang("c", kPool, 1, 1, {}), 0, 1));
  q.Upsert(At(Gang("b", kPool, 1, 1, {}), 0, 1));
  q.Upsert(At(Gang("a", kPool, 1, 1, {}), 0, 5));
  q.Upsert(At(Gang("hi", kPool, 1, 1, {}), 10, 9));
  EXPECT_THAT(q.Order(), ElementsAre(Id("hi"), Id("b"), Id("c"), Id("a")));
}

TEST(PlacementQueueTest, SmallerGangsBackfillPastABlockedOne) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  Reservations r;
  PlanQueue q(QueueOptions{absl::Minutes(5)});
  q.Upsert(At(Gang("big", kPool, 3, 2, {{kTpu, 4}}), 0, 0));
  q.Upsert(At(Gang("small", kPool, 1, 2, {{kTpu, 4}}), 0, 1));
  const PlanRound round = q.Plan(c, r, kT0);
  EXPECT_THAT(round.placed, ElementsAre(Id("small")));
  ASSERT_EQ(round.waiting.size(), 1u);
  EXPECT_EQ(round.waiting[0].gang, Id("big"));
  EXPECT_THAT(round.waiting[0].reason, HasSubstr("gang needs 3 domains of pool"));
  EXPECT_FALSE(round.starving.has_value());
  EXPECT_EQ(q.BlockedSince(Id("big")), kT0);
  EXPECT_FALSE(q.Contains(Id("small")));
  // The blocked gang holds nothing.
  EXPECT_EQ(r.Find(Id("big")), nullptr);
}

TEST(PlacementQueueTest, StarvingGangStopsBackfill) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  Reservations r;
  PlanQueue q(QueueOptions{absl::Minutes(5)});
  q.Upsert(At(Gang("big", kPool, 2, 2, {{kTpu, 4}}), 0, 0));
  q.Upsert(At(Gang("s1", kPool, 1, 2, {{kTpu, 4}}), 0, 1));
  // s1 runs first (higher priority), big waits.
  q.Upsert(At(Gang("s1", kPool, 1, 2, {{kTpu, 4}}), 1, 1));
  PlanRound round = q.Plan(c, r, kT0);
  EXPECT_THAT(round.placed, ElementsAre(Id("s1")));
  // Later: big is still blocked past the bound; a new small gang must not take the last pool.
  q.Upsert(At(Gang("s2", kPool, 1, 2, {{kTpu, 4}}), 0, 100));
  round = q.Plan(c, r, kT0 + absl::Minutes(6));
  EXPECT_TRUE(round.placed.empty());
  ASSERT_TRUE(round.starving.has_value());
  EXPECT_EQ(*round.starving, Id("big"));
  ASSERT_EQ(round.waiting.size(), 2u);
  EXPECT_EQ(round.waiting[1].reason, "waiting behind ns/big, blocked past the starvation bound");
  // Once s1 is released, big is placed, and s2 has to wait for room.
  r.Release(c, Id("s1"));
  round = q.Plan(c, r, kT0 + absl::Minutes(7));
  EXPECT_THAT(round.placed, ElementsAre(Id("big")));
  EXPECT_FALSE(round.starving.has_value());
  EXPECT_TRUE(q.Contains(Id("s2")));
}

TEST(PlacementQueueTest, AStarvingGangDoesNotBlockGangsBoundForOtherPools) {
  Cluster c;
  // Two pool families told apart by an accelerator label, as v5p and v6e slices are.
  std::vector<Node> nodes = Pools(kPool, "a", 2, 2, {{kTpu, 4}});
  for (Node& n : nodes) n.labels["accel"] = "a";
  std::vector<Node> other = Pools(kPool, "b", 1, 2, {{kTpu, 4}});
  for (Node& n : other) n.labels["accel"] = "b";
  AddAll(c, nodes);
  AddAll(c, other);
  auto on = [](GangDemand g, const std::string& accel) {
    for (JobDemand& j : g.jobs) j.eligibility.node_selector["accel"] = accel;
    return g;
  };
  Reservations r;
  PlanQueue q(QueueOptions{absl::Minutes(5)});
  q.Upsert(At(on(Gang("hold", kPool, 1, 2, {{kTpu, 4}}), "a"), 1, 0));
  q.Upsert(At(on(Gang("big", kPool, 2, 2, {{kTpu, 4}}), "a"), 0, 0));
  PlanRound round = q.Plan(c, r, kT0);
  EXPECT_THAT(round.placed, ElementsAre(Id("hold")));
  // Past the bound: a gang for the other family goes; one for big's family waits and holds nothing.
  q.Upsert(At(on(Gang("other", kPool, 1, 2, {{kTpu, 4}}), "b"), 0, 100));
  q.Upsert(At(on(Gang("same", kPool, 1, 2, {{kTpu, 4}}), "a"), 0, 101));
  round = q.Plan(c, r, kT0 + absl::Minutes(6));
  ASSERT_TRUE(round.starving.has_value());
  EXPECT_EQ(*round.starving, Id("big"));
  EXPECT_THAT(round.placed, ElementsAre(Id("other")));
  EXPECT_EQ(r.Find(Id("same")), nullptr);
  ASSERT_EQ(round.waiting.size(), 2u);
  EXPECT_EQ(round.waiting[1].gang, Id("same"));
  EXPECT_EQ(round.waiting[1].reason, "waiting behind ns/big, blocked past the starvation bound");
}

TEST(PlacementQueueTest, BeforeTheBoundBackfillContinues) {
  Cluster c;
  AddAll(c, Pools(kPool, "p", 2, 2, {{kTpu, 4}}));
  Reservations r;
  PlanQueue q(QueueOptions{absl::Minutes(5)});
  q.Upsert(At(Gang("big", kPool, 3, 2, {{kTpu, 4}}), 0, 0));
  q.Plan(c, r, kT0);
  q.Upsert(At(Gang("s", kPool, 1, 2, {{kTpu, 4}}), 0, 1));
  const PlanRound round = q.Plan(c, r, kT0 + absl::Minutes(4));
  EXPECT_THAT(round.placed, ElementsAre(Id("s")));
}

}  // namespace
}  // namespace phalanx::placement
