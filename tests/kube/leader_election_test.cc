// Leader election on a Lease: deterministic steps with a fake clock, then two live candidates.
#include "kube/leader_election.h"

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "tests/kube/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;

LeaderElectionConfig Config(const std::string& id) {
  LeaderElectionConfig c;
  c.name = "phalanx-controller";
  c.identity = id;
  c.lease_duration = absl::Seconds(15);
  c.renew_deadline = absl::Seconds(10);
  c.retry_period = absl::Seconds(2);
  return c;
}

Json Lease(MemoryCluster& cluster) {
  absl::StatusOr<Object> o = cluster.Get(kLeases, "default", "phalanx-controller");
  EXPECT_OK(o);
  return o.ok() ? Json::parse(o->json) : Json();
}

TEST(LeaderElectionTest, AcquireRenewAndTakeOverOnlyAfterExpiry) {
  MemoryCluster cluster;
  testing::FakeClock clock;
  LeaderElector a(cluster, clock, Config("a"));
  LeaderElector b(cluster, clock, Config("b"));
  ASSERT_OK_AND_ASSIGN(bool a_leads, a.TryAcquireOrRenew());
  EXPECT_TRUE(a_leads);
  Json lease = Lease(cluster);
  EXPECT_EQ(lease["spec"]["holderIdentity"], "a");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
  EXPECT_THAT(lease["spec"]["renewTime"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z"));

  ASSERT_OK_AND_ASSIGN(bool b_leads, b.TryAcquireOrRenew());
  EXPECT_FALSE(b_leads);
  EXPECT_EQ(b.Leader(), "a");

  // a renews; b's observation restarts, so a's lease is still good 14 s later.
  clock.Advance(absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(a_leads, a.TryAcquireOrRenew());
  EXPECT_TRUE(a_leads);
  ASSERT_OK_AND_ASSIGN(b_leads, b.TryAcquireOrRenew());
  EXPECT_FALSE(b_leads);
  clock.Advance(absl::Seconds(14));
  ASSERT_OK_AND_ASSIGN(b_leads, b.TryAcquireOrRenew());
  EXPECT_FALSE(b_leads) << "lease not yet expired as b observed it";

  // a stops renewing: 15 s after b last saw a change, b takes over.
  clock.Advance(absl::Seconds(1) + absl::Milliseconds(1));
  ASSERT_OK_AND_ASSIGN(b_leads, b.TryAcquireOrRenew());
  EXPECT_TRUE(b_leads);
  lease = Lease(cluster);
  EXPECT_EQ(lease["spec"]["holderIdentity"], "b");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
  ASSERT_OK_AND_ASSIGN(a_leads, a.TryAcquireOrRenew());
  EXPECT_FALSE(a_leads);
}

TEST(LeaderElectionTest, ReleaseLetsTheOtherAcquireAtOnce) {
  MemoryCluster cluster;
  testing::FakeClock clock;
  LeaderElector a(cluster, clock, Config("a"));
  LeaderElector b(cluster, clock, Config("b"));
  ASSERT_OK_AND_ASSIGN(bool a_leads, a.TryAcquireOrRenew());
  ASSERT_TRUE(a_leads);
  ASSERT_OK_AND_ASSIGN(bool b_leads, b.TryAcquireOrRenew());
  ASSERT_FALSE(b_leads);
  ASSERT_OK(a.Release());
  ASSERT_OK_AND_ASSIGN(b_leads, b.TryAcquireOrRenew());
  EXPECT_TRUE(b_leads);
}

TEST(LeaderElectionTest, StaleWriteLosesTheRace) {
  MemoryCluster cluster;
  testing::FakeClock clock;
  LeaderElector a(cluster, clock, Config("a"));
  ASSERT_OK_AND_ASSIGN(bool a_leads, a.TryAcquireOrRenew());
  ASSERT_TRUE(a_leads);
  // A competitor's takeover PUT carrying an old resourceVersion is a 409, as in the fixtures.
  Json lease = Lease(cluster);
  clock.Advance(absl::Seconds(2));
  ASSERT_OK(a.TryAcquireOrRenew().status());  // renewal: a new resourceVersion
  lease["spec"]["holderIdentity"] = "intruder";
  EXPECT_THAT(cluster.Update(kLeases, "default", lease.dump()), ::phalanx::testing::StatusIs(absl::StatusCode::kAborted));
}

// Two live candidates on short durations: exactly one leads; when it dies (stops renewing without
// releasing) the other takes over.
TEST(LeaderElectionTest, TwoCandidatesOneLeaderThenTakeover) {
  MemoryCluster cluster;
  RealClock clock;
  std::atomic<int> leading{0};
  auto cfg = [](const std::string& id) {
    LeaderElectionConfig c;
    c.name = "phalanx-controller";
    c.identity = id;
    c.lease_duration = absl::Seconds(2);
    c.renew_deadline = absl::Milliseconds(1500);
    c.retry_period = absl::Milliseconds(100);
    c.release_on_stop = false;  // "dies": the lease must expire
    return c;
  };
  LeaderCallbacks cb{[&] { leading++; }, [&] { leading--; }, nullptr};
  auto a = std::make_unique<LeaderElector>(cluster, clock, cfg("a"), cb);
  auto b = std::make_unique<LeaderElector>(cluster, clock, cfg("b"), cb);
  a->Start();
  b->Start();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!((a->IsLeader() || b->IsLeader()) && leading.load() == 1) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(a->IsLeader() || b->IsLeader());
  // Several renew periods later there is still exactly one leader.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_NE(a->IsLeader(), b->IsLeader());
  EXPECT_EQ(leading.load(), 1);

  std::unique_ptr<LeaderElector>& leader = a->IsLeader() ? a : b;
  std::unique_ptr<LeaderElector>& other = a->IsLeader() ? b : a;
  leader.reset();  // stops renewing; does not release
  deadline = absl::Now() + absl::Seconds(10);
  // IsLeader() turns true just before the callback runs: wait for both.
  while (!(other->IsLeader() && leading.load() == 1) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(other->IsLeader());
  EXPECT_EQ(leading.load(), 1);
  Json lease = Lease(cluster);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
  other->Stop();
}

}  // namespace
}  // namespace phalanx::kube
