#include "controller/conditions.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/reconcile_test_util.h"

namespace phalanx::controller {
namespace {

using testing::T;
using testing::TS;

ConditionSpec Spec(std::string type, std::string status, std::string reason, std::string message) {
  return ConditionSpec{type, status, reason, message, "Normal"};
}

api::Condition Cond(std::string type, std::string status, std::string reason, std::string message, int at) {
  api::Condition c;
  c.type = type;
  c.status = status;
  c.reason = reason;
  c.message = message;
  c.last_transition_time = TS(at);
  return c;
}

TEST(ConditionsTest, FalseConditionIsNeverAdded) {
  std::vector<api::Condition> conds;
  EXPECT_FALSE(UpdateCondition(conds, Spec("RestartingJobSet", "False", "JobsReady", "all jobs are ready"), T(5)));
  EXPECT_TRUE(conds.empty());
  EXPECT_FALSE(UpdateCondition(conds, Spec("Suspended", "False", "ResumeJobs", "jobset is resumed"), T(5)));
  EXPECT_TRUE(conds.empty());
}

TEST(ConditionsTest, TrueConditionIsAddedWithNow) {
  std::vector<api::Condition> conds;
  EXPECT_TRUE(UpdateCondition(conds, Spec("Suspended", "True", "SuspendedJobs", "jobset is suspended"), T(5)));
  ASSERT_EQ(conds.size(), 1u);
  EXPECT_EQ(conds[0].last_transition_time, TS(5));
  EXPECT_EQ(conds[0].reason, "SuspendedJobs");
}

TEST(ConditionsTest, StatusChangeReplacesWithNewTransitionTime) {
  std::vector<api::Condition> conds = {Cond("Suspended", "True", "SuspendedJobs", "jobset is suspended", 1)};
  EXPECT_TRUE(UpdateCondition(conds, Spec("Suspended", "False", "ResumeJobs", "jobset is resumed"), T(9)));
  ASSERT_EQ(conds.size(), 1u);
  EXPECT_EQ(conds[0].status, "False");
  EXPECT_EQ(conds[0].reason, "ResumeJobs");
  EXPECT_EQ(conds[0].message, "jobset is resumed");
  EXPECT_EQ(conds[0].last_transition_time, TS(9));
}

TEST(ConditionsTest, ReasonOrMessageChangeKeepsTransitionTime) {
  std::vector<api::Condition> conds = {Cond("RestartingJobSet", "False", "JobsReady", "all jobs are ready", 1)};
  EXPECT_TRUE(UpdateCondition(conds, Spec("RestartingJobSet", "False", "JobSetSuspended", "jobset is suspended"), T(9)));
  EXPECT_EQ(conds[0].reason, "JobSetSuspended");
  EXPECT_EQ(conds[0].last_transition_time, TS(1));
  EXPECT_TRUE(UpdateCondition(conds, Spec("RestartingJobSet", "False", "JobSetSuspended", "other"), T(10)));
  EXPECT_EQ(conds[0].message, "other");
  EXPECT_EQ(conds[0].last_transition_time, TS(1));
}

TEST(ConditionsTest, IdenticalIsNoChange) {
  std::vector<api::Condition> conds = {Cond("Suspended", "True", "SuspendedJobs", "jobset is suspended", 1)};
  EXPECT_FALSE(UpdateCondition(conds, Spec("Suspended", "True", "SuspendedJobs", "jobset is suspended"), T(9)));
  EXPECT_EQ(conds[0].last_transition_time, TS(1));
}

TEST(ConditionsTest, StartupConditionsAreMutuallyExclusive) {
  std::vector<api::Condition> conds;
  EXPECT_TRUE(UpdateCondition(conds, Spec("StartupPolicyInProgress", "True", "InOrderStartupPolicyInProgress",
                                          "in order startup policy is in progress"),
                              T(1)));
  EXPECT_TRUE(UpdateCondition(conds, Spec("StartupPolicyCompleted", "True", "InOrderStartupPolicyCompleted",
                                          "in order startup policy has completed"),
                              T(2)));
  ASSERT_EQ(conds.size(), 2u);
  EXPECT_EQ(conds[0].type, "StartupPolicyInProgress");
  EXPECT_EQ(conds[0].status, "False");
  EXPECT_EQ(conds[0].last_transition_time, TS(1));  // flipped in place
  EXPECT_EQ(conds[1].status, "True");
  // And back: InProgress True flips Completed to False.
  EXPECT_TRUE(UpdateCondition(conds, Spec("StartupPolicyInProgress", "True", "InOrderStartupPolicyInProgress",
                                          "in order startup policy is in progress"),
                              T(3)));
  EXPECT_EQ(conds[0].status, "True");
  EXPECT_EQ(conds[0].last_transition_time, TS(3));
  EXPECT_EQ(conds[1].status, "False");
}

TEST(ConditionsTest, StatusUpdateQueuesOneEventPerEffectiveChange) {
  StatusUpdate u;
  u.SetSuspended(T(1));
  EXPECT_TRUE(u.changed);
  // RestartingJobSet never existed: only the Suspended event.
  EXPECT_THAT(u.events, ::testing::ElementsAre(Event{"Normal", "SuspendedJobs", "jobset is suspended"}));
  u.SetSuspended(T(2));
  EXPECT_EQ(u.events.size(), 1u);
}

TEST(ConditionsTest, FinishedIsCompletedOrFailedTrue) {
  api::JobSetStatus s;
  EXPECT_FALSE(JobSetFinished(s));
  s.conditions.push_back(Cond("Completed", "False", "x", "y", 1));
  EXPECT_FALSE(JobSetFinished(s));
  s.conditions.push_back(Cond("Failed", "True", "FailedJobs", "y", 1));
  EXPECT_TRUE(JobSetFinished(s));
}

}  // namespace
}  // namespace phalanx::controller
