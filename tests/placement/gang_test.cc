#include "placement/gang.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace phalanx::placement {
namespace {

JobSetDemand Train() {
  JobSetDemand js;
  js.uid = "u1";
  js.namespace_name = "ml";
  js.name = "train";
  js.exclusive_key = "cloud.google.com/gke-nodepool";
  js.priority = 5;
  ReplicatedJobDemand leader;
  leader.name = "leader";
  leader.requests = {{"cpu", 1000}};
  ReplicatedJobDemand workers;
  workers.name = "workers";
  workers.replicas = 3;
  workers.pods_per_job = 4;
  workers.requests = {{"google.com/tpu", 4}};
  js.replicated_jobs = {leader, workers};
  return js;
}

TEST(PlacementGangTest, DefaultPolicyIsOneGangPerJob) {
  const std::vector<GangDemand> gangs = MakeGangs(Train());
  ASSERT_EQ(gangs.size(), 4u);
  EXPECT_EQ(gangs[0].id, (GangId{"u1", "leader", 0}));
  EXPECT_EQ(gangs[3].id, (GangId{"u1", "workers", 2}));
  ASSERT_EQ(gangs[3].jobs.size(), 1u);
  EXPECT_EQ(gangs[3].jobs[0].name, "train-workers-2");
  EXPECT_EQ(gangs[3].jobs[0].pods, 4);
  EXPECT_EQ(gangs[3].jobs[0].exclusive_key, "cloud.google.com/gke-nodepool");
  EXPECT_EQ(gangs[3].owner, "ml/train");
  EXPECT_EQ(gangs[3].priority, 5);
}

TEST(PlacementGangTest, ReplicatedJobAndJobSetPolicies) {
  JobSetDemand js = Train();
  js.replicated_jobs[1].policy = GangPolicy::kReplicatedJob;
  std::vector<GangDemand> gangs = MakeGangs(js);
  ASSERT_EQ(gangs.size(), 2u);
  EXPECT_EQ(gangs[1].id, (GangId{"u1", "workers", -1}));
  EXPECT_EQ(gangs[1].jobs.size(), 3u);
  js.policy = GangPolicy::kJobSet;
  gangs = MakeGangs(js);
  ASSERT_EQ(gangs.size(), 1u);
  EXPECT_EQ(gangs[0].id, (GangId{"u1", "", -1}));
  ASSERT_EQ(gangs[0].jobs.size(), 4u);
  // The JobSet-level key applies to every ReplicatedJob without its own.
  EXPECT_EQ(gangs[0].jobs[0].exclusive_key, "cloud.google.com/gke-nodepool");
}

}  // namespace
}  // namespace phalanx::placement
