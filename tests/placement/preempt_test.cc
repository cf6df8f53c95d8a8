#include "placement/preempt.h"

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
using testing::NodeBuilder;
using testing::Pools;

constexpr char kPool[] = "cloud.google.com/gke-nodepool";

GangId Id(const std::string& uid) { return GangId{uid, "", -1}; }

class PlacementPreemptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddAll(c_, Pools(kPool, "p", 2, 4, {{kTpu, 4}}));
    low_ = Gang("low", kPool, 1, 4, {{kTpu, 4}}, 0);
    mid_ = Gang("mid", kPool, 1, 4, {{kTpu, 4}}, 5);
    ASSERT_TRUE(r_.Reserve(c_, low_).placed());  // p0
    ASSERT_TRUE(r_.Reserve(c_, mid_).placed());  // p1
    for (int i = 0; i < 4; ++i) {
      c_.UpsertPod(testing::Bind(absl::StrCat("low-", i), absl::StrCat("p0-", i), low_.jobs[0]));
    }
  }
  Cluster c_;
  Reservations r_;
  GangDemand low_, mid_;
};

TEST_F(PlacementPreemptTest, EvictsTheWholeLowestPriorityGang) {
  const PreemptionPlan p = PlanPreemption(c_, r_, Gang("high", kPool, 1, 4, {{kTpu, 4}}, 10));
  ASSERT_TRUE(p.feasible);
  EXPECT_THAT(p.victims, ElementsAre(Id("low")));
  // Inputs are untouched.
  EXPECT_NE(r_.Find(Id("low")), nullptr);
  EXPECT_EQ(c_.JobPods(low_.jobs[0].key), 4);
}

TEST_F(PlacementPreemptTest, TakesAsManyGangsAsNeeded) {
  const PreemptionPlan p = PlanPreemption(c_, r_, Gang("high", kPool, 2, 4, {{kTpu, 4}}, 10));
  ASSERT_TRUE(p.feasible);
  EXPECT_THAT(p.victims, ElementsAre(Id("low"), Id("mid")));
}

TEST_F(PlacementPreemptTest, EqualPriorityNeverPreempts) {
  const PreemptionPlan p = PlanPreemption(c_, r_, Gang("peer", kPool, 1, 4, {{kTpu, 4}}, 0));
  EXPECT_FALSE(p.feasible);
  EXPECT_TRUE(p.victims.empty());
  EXPECT_THAT(p.reason, HasSubstr("reserved by"));
}

TEST_F(PlacementPreemptTest, NoVictimsWhenItFits) {
  c_.UpsertNode(NodeBuilder("p9-0").Label(kPool, "p9").Alloc(kTpu, 4));
  const PreemptionPlan p = PlanPreemption(c_, r_, Gang("high", kPool, 1, 1, {{kTpu, 4}}, 10));
  EXPECT_TRUE(p.feasible);
  EXPECT_TRUE(p.victims.empty());
}

TEST(PlacementPreemptTrimTest, DropsVictimsThatDoNotHelp) {
  Cluster c;
  AddAll(c, Pools(kPool, "small", 1, 2, {{kTpu, 4}}));
  AddAll(c, Pools(kPool, "big", 1, 4, {{kTpu, 4}}));
  Reservations r;
  ASSERT_TRUE(r.Reserve(c, Gang("a", kPool, 1, 2, {{kTpu, 4}}, 0)).placed());  // small0
  ASSERT_TRUE(r.Reserve(c, Gang("b", kPool, 1, 4, {{kTpu, 4}}, 1)).placed());  // big0
  const PreemptionPlan p = PlanPreemption(c, r, Gang("high", kPool, 1, 4, {{kTpu, 4}}, 10));
  ASSERT_TRUE(p.feasible);
  EXPECT_THAT(p.victims, ElementsAre(Id("b")));
}

}  // namespace
}  // namespace phalanx::placement
