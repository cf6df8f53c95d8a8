#include "placement/filter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/placement/builders.h"

namespace phalanx::placement {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing::AddAll;
using testing::Gang;
using testing::kTpu;
using testing::MemberPod;
using testing::NodeBuilder;
using testing::Passed;
using testing::Pools;

constexpr char kPool[] = "pool";

class PlacementFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddAll(c_, Pools(kPool, "p", 3, 2, {{kTpu, 4}}));
    c_.UpsertNode(NodeBuilder("cpu-0").Alloc("cpu", 4000));
    g_ = Gang("g", kPool, 2, 2, {{kTpu, 4}});
    ASSERT_TRUE(r_.Reserve(c_, g_).placed());  // p0, p1
    names_ = {"p0-0", "p0-1", "p1-0", "p1-1", "p2-0", "p2-1", "cpu-0", "ghost"};
  }

  Cluster c_;
  Reservations r_;
  GangDemand g_;
  std::vector<std::string> names_;
};

TEST_F(PlacementFilterTest, MembersPassOnlyOnTheirDomain) {
  const FilterResult f = Filter(c_, r_, MemberPod(g_, 1), names_);
  EXPECT_THAT(Passed(f, names_), ElementsAre("p1-0", "p1-1"));
  EXPECT_EQ(f.verdicts[0], Verdict::kUnresolvable);
  EXPECT_EQ(f.reason(0), "outside reserved domain pool=p1");
  EXPECT_EQ(f.reason(7), "node unknown to placement");
  EXPECT_EQ(f.passed(), 2u);
}

TEST_F(PlacementFilterTest, OthersAreKeptOutOfReservedDomains) {
  PodDemand other;
  other.job = JobKey{"x", "w", 0};
  other.requests = {{kTpu, 1}};
  const FilterResult f = Filter(c_, r_, other, names_);
  EXPECT_THAT(Passed(f, names_), ElementsAre("p2-0", "p2-1"));
  EXPECT_EQ(f.verdicts[0], Verdict::kUnresolvable);
  EXPECT_EQ(f.reason(0), "domain pool=p0 reserved by ns/g job g-w-0");
  EXPECT_EQ(f.reason(2), "domain pool=p1 reserved by ns/g job g-w-1");
  EXPECT_EQ(f.verdicts[6], Verdict::kFail);  // no TPU there: capacity, resolvable
  EXPECT_EQ(f.reason(6), "insufficient google.com/tpu");
  // Equal causes share one reason text.
  EXPECT_EQ(f.reason_ids[0], f.reason_ids[1]);
}

TEST_F(PlacementFilterTest, DaemonSetsAndOptionallyNonJobSetPodsMayEnter) {
  PodDemand ds;
  ds.daemonset = true;
  EXPECT_EQ(Filter(c_, r_, ds, names_).passed(), 7u);
  PodDemand plain;
  EXPECT_EQ(Filter(c_, r_, plain, names_).passed(), 3u);
  FilterOptions allow;
  allow.allow_non_jobset_pods_in_reserved_domains = true;
  EXPECT_EQ(Filter(c_, r_, plain, names_, allow).passed(), 7u);
}

TEST_F(PlacementFilterTest, UnplacedExclusivePodsFitNowhere) {
  const GangDemand h = Gang("h", kPool, 1, 2, {{kTpu, 4}});
  const FilterResult f = Filter(c_, r_, MemberPod(h, 0), names_);
  EXPECT_EQ(f.passed(), 0u);
  EXPECT_EQ(f.reason(4), "gang not placed yet");
  EXPECT_EQ(f.verdicts[4], Verdict::kUnresolvable);
}

TEST_F(PlacementFilterTest, HealthEligibilityAndCapacityReasons) {
  c_.UpsertNode(NodeBuilder("p1-0").Label(kPool, "p1").Alloc(kTpu, 4).NotReady());
  c_.UpsertNode(NodeBuilder("p1-1").Label(kPool, "p1").Alloc(kTpu, 4).Cordoned());
  c_.UpsertNode(NodeBuilder("p2-0").Label(kPool, "p2").Alloc(kTpu, 4).Taint("maint", "x"));
  c_.UpsertNode(NodeBuilder("p2-1").Label(kPool, "p2").Alloc(kTpu, 4).Label("zone", "b"));
  PodDemand p;
  p.requests = {{kTpu, 1}};
  p.eligibility.node_selector = {{"zone", "a"}};
  const std::vector<std::string> names = {"p1-0", "p1-1", "p2-0", "p2-1"};
  const FilterResult f = Filter(c_, r_, p, names);
  EXPECT_EQ(f.reason(0), "node not ready");
  EXPECT_EQ(f.reason(1), "node unschedulable");
  EXPECT_EQ(f.reason(2), "node does not match pod's node selector or affinity");
  p.eligibility.node_selector.clear();
  const FilterResult g = Filter(c_, r_, p, names);
  EXPECT_EQ(g.reason(2), "node has a taint the pod does not tolerate");
  EXPECT_EQ(g.verdicts[3], Verdict::kPass);
  c_.UpsertPod({"busy", "p2-1", {{kTpu, 4}}, std::nullopt, false});
  const FilterResult h = Filter(c_, r_, p, names);
  EXPECT_EQ(h.verdicts[3], Verdict::kFail);
  EXPECT_EQ(h.reason(3), "insufficient google.com/tpu");
}

TEST_F(PlacementFilterTest, StringViewNamesGiveTheSameAnswer) {
  std::vector<std::string_view> views(names_.begin(), names_.end());
  const FilterResult a = Filter(c_, r_, MemberPod(g_, 0), names_);
  const FilterResult b = Filter(c_, r_, MemberPod(g_, 0), absl::MakeConstSpan(views));
  EXPECT_EQ(a.verdicts, b.verdicts);
  EXPECT_EQ(a.reasons, b.reasons);
}

TEST_F(PlacementFilterTest, PrioritizePacksMembersOntoFullerNodes) {
  PodDemand p = MemberPod(g_, 0);
  p.requests = {{kTpu, 1}};
  c_.UpsertPod({"m1", "p0-1", {{kTpu, 2}}, g_.jobs[0].key, false});
  const std::vector<int64_t> s = Prioritize(c_, r_, p, names_);
  ASSERT_EQ(s.size(), names_.size());
  EXPECT_EQ(s[0], 3);  // (0+1)/4 → 2.5 rounds to 3
  EXPECT_EQ(s[1], 8);  // (2+1)/4 → 7.5 rounds to 8
  EXPECT_EQ(s[2], 0);  // filtered out
  for (int64_t v : s) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 10);
  }
}

TEST_F(PlacementFilterTest, PrioritizeSendsOthersToFullerDomains) {
  // Two free racks; one already has a pod. A small pod should join the busy rack.
  Cluster c;
  AddAll(c, Pools("rack", "r", 2, 2, {{testing::kGpu, 4}}));
  c.EnsureLevel("rack");
  c.UpsertPod({"x", "r1-0", {{testing::kGpu, 1}}, std::nullopt, false});
  Reservations r;
  PodDemand p;
  p.requests = {{testing::kGpu, 1}};
  const std::vector<std::string> names = {"r0-0", "r0-1", "r1-0", "r1-1"};
  const std::vector<int64_t> s = Prioritize(c, r, p, names);
  EXPECT_GT(s[2], s[0]);
  EXPECT_GT(s[3], s[1]);
  EXPECT_GE(s[3], s[0]);
}

// Rack names repeat under every block; a gang colocated on block and exclusive on rack holds
// block-2/rack-1 (block-1 is busy): its members pass only there, never on block-1's rack-1, and other
// JobSets' pods stay out of it while block-1/rack-1 stays open to them.
TEST(PlacementFilterRepeatedRacksTest, MembersPassOnlyOnTheirRackOfTheirBlock) {
  Cluster c;
  std::vector<std::string> names;
  for (int b = 1; b <= 2; ++b) {
    for (int k = 1; k <= 2; ++k) {
      const std::string name = absl::StrCat("b", b, "-r", k);
      c.UpsertNode(NodeBuilder(name)
                       .Label("block", absl::StrCat("block-", b))
                       .Label("rack", absl::StrCat("rack-", k))
                       .Alloc(kTpu, 4));
      names.push_back(name);
    }
  }
  BoundPod busy;
  busy.uid = "busy";
  busy.node_name = "b1-r2";
  busy.requests = {{kTpu, 1}};
  c.UpsertPod(busy);
  Reservations r;
  GangDemand g = Gang("g", "rack", 1, 1, {{kTpu, 4}});
  g.colocate_key = "block";
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  ASSERT_EQ(c.DomainLabel(res.reservation->jobs[0].domain), "rack=block-1/rack-1");
  // Partly used block-1 is preferred; block-1/rack-1 is the only free rack there.
  EXPECT_THAT(Passed(Filter(c, r, MemberPod(g, 0), names), names), ElementsAre("b1-r1"));
  const GangDemand other = Gang("o", "rack", 1, 1, {{kTpu, 4}});
  EXPECT_THAT(Passed(Filter(c, r, MemberPod(other, 0), names), names), ElementsAre());  // not reserved yet
  PodDemand stranger;
  stranger.job = JobKey{"o", "w", 0};
  stranger.requests = {{kTpu, 1}};
  EXPECT_THAT(Passed(Filter(c, r, stranger, names), names), ElementsAre("b1-r2", "b2-r1", "b2-r2"));
}

}  // namespace
}  // namespace phalanx::placement
