// Table tests of the pure reconcile: every row of the condition table and the policy edge cases of the
// upstream JobSet reference (§4).
#include "controller/reconcile.h"

#include <algorithm>
#include <map>

#include "api/labels.h"
#include "controller/failure_policy.h"
#include "controller/resume.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/reconcile_test_util.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Children;
using testing::Find;
using testing::NewJobSet;
using testing::SetComplete;
using testing::SetFailed;
using testing::SetReady;
using testing::T;
using testing::TS;

Plan Rec(const api::JobSet& js, const std::vector<api::Job>& jobs, const std::vector<api::Service>& svcs = {},
         int now = 100) {
  absl::StatusOr<Plan> plan = Reconcile(js, jobs, svcs, T(now));
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *std::move(plan) : Plan{};
}

// The status after the plan's write.
api::JobSetStatus After(const api::JobSet& js, const Plan& plan) {
  return plan.new_status ? *plan.new_status : js.status.value_or(api::JobSetStatus{});
}

const api::Condition* Cond(const api::JobSetStatus& s, std::string_view type) {
  return FindCondition(s.conditions, type);
}

std::vector<std::string> Names(const std::vector<api::Job>& jobs) {
  std::vector<std::string> out;
  for (const auto& j : jobs) out.push_back(j.metadata.name_or_empty());
  return out;
}

std::vector<std::string> Names(const std::vector<JobRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.name);
  return out;
}

api::Service ServiceNamed(const std::string& name) {
  api::Service s;
  s.metadata.name = name;
  s.metadata.namespace_ = "default";
  return s;
}

api::Condition TrueCond(std::string type, std::string reason, int at) {
  api::Condition c;
  c.type = type;
  c.status = "True";
  c.reason = reason;
  c.message = "m";
  c.last_transition_time = TS(at);
  return c;
}

api::FailurePolicyRule Rule(std::string name, std::string action, std::vector<std::string> reasons = {},
                            std::vector<std::string> targets = {}, std::vector<std::string> patterns = {}) {
  api::FailurePolicyRule r;
  r.name = name;
  r.action = action;
  if (!reasons.empty()) r.on_job_failure_reasons = reasons;
  if (!targets.empty()) r.target_replicated_jobs = targets;
  if (!patterns.empty()) r.on_job_failure_message_patterns = patterns;
  return r;
}

// --- creation, Service, counters -----------------------------------------------------------------

TEST(ReconcileTest, FreshJobSetCreatesEveryJobAndTheService) {
  api::JobSet js = NewJobSet({{"a", 1}, {"b", 3}});
  Plan plan = Rec(js, {});
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-a-0", "js-b-0", "js-b-1", "js-b-2"));
  ASSERT_TRUE(plan.create_service.has_value());
  EXPECT_EQ(plan.create_service->metadata.name, "js");
  EXPECT_TRUE(plan.delete_jobs.empty());
  // replicatedJobsStatus appears (one entry per replicated job, zero counters); no condition.
  ASSERT_TRUE(plan.new_status.has_value());
  ASSERT_EQ(plan.new_status->replicated_jobs_status.size(), 2u);
  EXPECT_EQ(plan.new_status->replicated_jobs_status[1].name, "b");
  EXPECT_THAT(plan.new_status->conditions, IsEmpty());
  EXPECT_THAT(plan.events, IsEmpty());
  EXPECT_EQ(plan.create_jobs[0].metadata.Label(api::kRestartsKey), "0");
}

TEST(ReconcileTest, ChildJobsCarryGangAnnotationsForExclusivePlacement) {
  api::JobSet js = NewJobSet({{"slice", 2}});
  js.metadata.annotations = api::StringMap{{std::string(api::kExclusiveKey), "cloud.google.com/gke-nodepool"}};
  Plan plan = Rec(js, {});
  ASSERT_EQ(plan.create_jobs.size(), 2u);
  for (const api::Job& job : plan.create_jobs) {
    EXPECT_EQ(job.metadata.Annotation(api::kExclusiveKey), "cloud.google.com/gke-nodepool");
    EXPECT_TRUE(job.metadata.Annotation(api::kGangNameKey).has_value());
    EXPECT_EQ(job.metadata.Annotation(api::kGangPolicyKey), "Job");
    EXPECT_EQ(job.spec.template_.metadata.Annotation(api::kGangNameKey), job.metadata.Annotation(api::kGangNameKey));
  }
}

TEST(ReconcileTest, SteadyStateDoesNothing) {
  api::JobSet js = NewJobSet({{"a", 2}});
  std::vector<api::Job> jobs = Children(js);
  for (auto& j : jobs) SetReady(j);
  Plan first = Rec(js, jobs, {ServiceNamed("js")});
  js.status = After(js, first);
  Plan plan = Rec(js, jobs, {ServiceNamed("js")});
  EXPECT_FALSE(plan.new_status.has_value());
  EXPECT_TRUE(plan.create_jobs.empty());
  EXPECT_FALSE(plan.create_service.has_value());
  EXPECT_TRUE(plan.update_jobs.empty());
  EXPECT_TRUE(plan.events.empty());
}

TEST(ReconcileTest, ServiceNotCreatedWithoutDnsHostnamesOrWhenPresent) {
  api::JobSet js = NewJobSet({{"a", 1}});
  EXPECT_FALSE(Rec(js, {}, {ServiceNamed("js")}).create_service.has_value());
  js.spec.network->subdomain = "net";
  EXPECT_TRUE(Rec(js, {}, {ServiceNamed("js")}).create_service.has_value());
  EXPECT_EQ(Rec(js, {}, {}).create_service->metadata.name, "net");
  js.spec.network.reset();
  EXPECT_FALSE(Rec(js, {}, {}).create_service.has_value());
}

TEST(ReconcileTest, CountersFollowJobStatus) {
  api::JobSet js = NewJobSet({{"a", 4}});
  std::vector<api::Job> jobs = Children(js);
  SetReady(jobs[0]);
  jobs[1].status.emplace();
  jobs[1].status->active = 1;  // active, not ready
  jobs[2].spec.suspend = true;
  SetComplete(jobs[3], 5);
  Plan plan = Rec(js, jobs);
  ASSERT_TRUE(plan.new_status.has_value());
  const api::ReplicatedJobStatus& s = plan.new_status->replicated_jobs_status[0];
  EXPECT_EQ(s.ready, 1);
  EXPECT_EQ(s.active, 2);
  EXPECT_EQ(s.suspended, 1);
  EXPECT_EQ(s.succeeded, 1);
  EXPECT_EQ(s.failed, 0);
}

TEST(ReconcileTest, JobsOfAnotherOwnerAreIgnored) {
  api::JobSet js = NewJobSet({{"a", 1}});
  std::vector<api::Job> jobs = Children(js);
  (*jobs[0].metadata.owner_references)[0].uid = "someone-else";
  SetFailed(jobs[0], 3);
  Plan plan = Rec(js, jobs);
  // Not ours: it does not fail the JobSet; the name is still "free" as far as this JobSet knows.
  EXPECT_FALSE(JobSetFinished(After(js, plan)));
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-a-0"));
}

TEST(ReconcileTest, MalformedRestartAttemptLabelIsAnError) {
  api::JobSet js = NewJobSet({{"a", 1}});
  std::vector<api::Job> jobs = Children(js);
  (*jobs[0].metadata.labels)[std::string(api::kRestartsKey)] = "x";
  EXPECT_FALSE(Reconcile(js, jobs, {}, T(1)).ok());
}

TEST(ReconcileTest, ManagedByAnotherControllerOrDeletingIsSkipped) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.managed_by = "kueue.x-k8s.io/multikueue";
  js.status->restarts = 7;  // an external writer's status
  Plan plan = Rec(js, {});
  EXPECT_TRUE(plan.skip);
  EXPECT_TRUE(plan.create_jobs.empty());
  EXPECT_FALSE(plan.new_status.has_value());

  js.spec.managed_by = std::string(api::kJobSetControllerName);
  EXPECT_FALSE(Rec(js, {}).skip);

  js.spec.managed_by.reset();
  js.metadata.deletion_timestamp = TS(1);
  EXPECT_TRUE(Rec(js, {}).skip);
}

// --- success policy --------------------------------------------------------------------------------

TEST(ReconcileTest, AllJobsCompletedCompletesTheJobSet) {
  api::JobSet js = NewJobSet({{"a", 1}, {"b", 2}});
  std::vector<api::Job> jobs = Children(js);
  for (auto& j : jobs) SetComplete(j, 10);
  Plan plan = Rec(js, jobs);
  api::JobSetStatus s = After(js, plan);
  ASSERT_NE(Cond(s, "Completed"), nullptr);
  EXPECT_EQ(Cond(s, "Completed")->reason, "AllJobsCompleted");
  EXPECT_EQ(Cond(s, "Completed")->message, "jobset completed successfully");
  EXPECT_EQ(s.terminal_state, "Completed");
  EXPECT_EQ(Cond(s, "RestartingJobSet"), nullptr);  // never existed, never added as False
  EXPECT_EQ(plan.terminal, StatusUpdate::Terminal::kCompleted);
  EXPECT_THAT(plan.events, ElementsAre(Event{"Normal", "AllJobsCompleted", "jobset completed successfully"}));
  EXPECT_TRUE(plan.create_jobs.empty());
}

TEST(ReconcileTest, PartialSuccessWithAllDoesNotComplete) {
  api::JobSet js = NewJobSet({{"a", 1}, {"b", 2}});
  std::vector<api::Job> jobs = Children(js);
  SetComplete(jobs[0], 10);
  SetComplete(jobs[1], 10);
  EXPECT_FALSE(JobSetFinished(After(js, Rec(js, jobs))));
}

TEST(ReconcileTest, AnyCompletesOnOneTargetedSuccess) {
  api::JobSet js = NewJobSet({{"leader", 1}, {"workers", 3}});
  js.spec.success_policy->operator_ = "Any";
  js.spec.success_policy->target_replicated_jobs = std::vector<std::string>{"workers"};
  std::vector<api::Job> jobs = Children(js);
  SetComplete(*Find(jobs, "js-leader-0"), 10);  // not targeted
  EXPECT_FALSE(JobSetFinished(After(js, Rec(js, jobs))));
  SetComplete(*Find(jobs, "js-workers-1"), 11);
  EXPECT_EQ(After(js, Rec(js, jobs)).terminal_state, "Completed");
}

TEST(ReconcileTest, AllWithTargetsCountsOnlyTargets) {
  api::JobSet js = NewJobSet({{"driver", 1}, {"workers", 2}});
  js.spec.success_policy->target_replicated_jobs = std::vector<std::string>{"workers"};
  std::vector<api::Job> jobs = Children(js);
  SetComplete(*Find(jobs, "js-workers-0"), 10);
  EXPECT_FALSE(JobSetFinished(After(js, Rec(js, jobs))));
  SetComplete(*Find(jobs, "js-workers-1"), 11);
  EXPECT_EQ(After(js, Rec(js, jobs)).terminal_state, "Completed");  // driver still running
}

TEST(ReconcileTest, TargetedReplicatedJobsWithZeroReplicasCompleteOnAnySuccess) {
  // Upstream quirk kept: needed == 0, so the first success of a non-targeted Job completes the JobSet.
  api::JobSet js = NewJobSet({{"empty", 0}, {"other", 2}});
  js.spec.success_policy->target_replicated_jobs = std::vector<std::string>{"empty"};
  std::vector<api::Job> jobs = Children(js);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_FALSE(JobSetFinished(After(js, Rec(js, jobs))));  // no success yet: policy not evaluated
  SetComplete(jobs[0], 10);
  EXPECT_EQ(After(js, Rec(js, jobs)).terminal_state, "Completed");
}

TEST(ReconcileTest, AllReplicasZeroNeverCompletes) {
  api::JobSet js = NewJobSet({{"a", 0}});
  Plan plan = Rec(js, {});
  EXPECT_TRUE(plan.create_jobs.empty());
  EXPECT_FALSE(JobSetFinished(After(js, plan)));
}

// --- failure policy --------------------------------------------------------------------------------

TEST(ReconcileTest, NoFailurePolicyFailsOnFirstFailureNamingEarliest) {
  api::JobSet js = NewJobSet({{"a", 3}});
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 20);
  SetFailed(jobs[2], 10);  // earlier
  Plan plan = Rec(js, jobs);
  api::JobSetStatus s = After(js, plan);
  ASSERT_NE(Cond(s, "Failed"), nullptr);
  EXPECT_EQ(Cond(s, "Failed")->reason, "FailedJobs");
  EXPECT_EQ(Cond(s, "Failed")->message, "jobset failed due to one or more job failures (first failed job: js-a-2)");
  EXPECT_EQ(s.terminal_state, "Failed");
  EXPECT_EQ(plan.terminal, StatusUpdate::Terminal::kFailed);
  EXPECT_THAT(plan.events, ElementsAre(Event{"Warning", "FailedJobs", Cond(s, "Failed")->message}));
  EXPECT_EQ(s.restarts, 0);
}

TEST(ReconcileTest, EmptyFailurePolicyFailsWithReachedMaxRestarts) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.failure_policy = api::FailurePolicy{};
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 10);
  api::JobSetStatus s = After(js, Rec(js, jobs));
  ASSERT_NE(Cond(s, "Failed"), nullptr);
  EXPECT_EQ(Cond(s, "Failed")->reason, "ReachedMaxRestarts");
  EXPECT_EQ(Cond(s, "Failed")->message,
            "jobset failed due to reaching max number of restarts (first failed job: js-a-0)");
}

TEST(ReconcileTest, MaxRestartsNSurvivesNFailures) {
  const int kMax = 3;
  api::JobSet js = NewJobSet({{"a", 2}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = kMax;
  for (int failure = 1; failure <= kMax + 1; ++failure) {
    std::vector<api::Job> jobs = Children(js);  // the current attempt
    SetFailed(jobs[1], failure);
    Plan plan = Rec(js, jobs);
    js.status = After(js, plan);
    if (failure <= kMax) {
      EXPECT_FALSE(JobSetFinished(*js.status)) << failure;
      EXPECT_EQ(js.status->restarts, failure);
      EXPECT_EQ(js.status->restarts_count_towards_max, failure);
      ASSERT_NE(Cond(*js.status, "RestartingJobSet"), nullptr);
      EXPECT_EQ(Cond(*js.status, "RestartingJobSet")->status, "True");
      EXPECT_EQ(Cond(*js.status, "RestartingJobSet")->reason, "DefaultFailurePolicy");
      EXPECT_EQ(Cond(*js.status, "RestartingJobSet")->message,
                "applying RestartJobSet failure policy action (first failed job: js-a-1)");
      EXPECT_TRUE(std::count(plan.events.begin(), plan.events.end(),
                             Event{"Warning", "RestartJobSetFailurePolicyAction",
                                   "applying RestartJobSet failure policy action (first failed job: js-a-1)"}));
      EXPECT_TRUE(plan.create_jobs.empty());  // restart is lazy: nothing else this round
      EXPECT_TRUE(plan.delete_jobs.empty());
    } else {
      EXPECT_EQ(Cond(*js.status, "Failed")->reason, "ReachedMaxRestarts");
      EXPECT_EQ(js.status->restarts, kMax);
      // RestartingJobSet existed: flipped to False/JobSetFailed.
      EXPECT_EQ(Cond(*js.status, "RestartingJobSet")->status, "False");
      EXPECT_EQ(Cond(*js.status, "RestartingJobSet")->reason, "JobSetFailed");
    }
  }
}

TEST(ReconcileTest, RestartDeletesPreviousAttemptAndRecreatesPerName) {
  api::JobSet js = NewJobSet({{"a", 2}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 1;
  std::vector<api::Job> old = Children(js);
  SetFailed(old[0], 5);
  SetComplete(old[1], 4);
  js.status = After(js, Rec(js, old));
  ASSERT_EQ(js.status->restarts, 1);

  // Next round: both old Jobs (failed and completed) are previous → deleted; not counted; no re-restart.
  Plan plan = Rec(js, old);
  EXPECT_THAT(Names(plan.delete_jobs), ElementsAre("js-a-0", "js-a-1"));
  EXPECT_TRUE(plan.create_jobs.empty());  // names still taken
  api::JobSetStatus s = After(js, plan);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_FALSE(JobSetFinished(s));
  EXPECT_EQ(s.replicated_jobs_status[0].failed, 0);

  // Foreground deletion in progress: not deleted again. js-a-1 is gone: recreated at attempt 1 (Recreate).
  old[0].metadata.deletion_timestamp = TS(6);
  plan = Rec(js, {old[0]});
  EXPECT_TRUE(plan.delete_jobs.empty());
  ASSERT_THAT(Names(plan.create_jobs), ElementsAre("js-a-1"));
  EXPECT_EQ(plan.create_jobs[0].metadata.Label(api::kRestartsKey), "1");
}

TEST(ReconcileTest, BlockingRecreateCreatesNothingWhilePreviousJobsExist) {
  api::JobSet js = NewJobSet({{"a", 3}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 1;
  js.spec.failure_policy->restart_strategy = "BlockingRecreate";
  js.status->restarts = 1;
  js.status->restarts_count_towards_max = 1;
  api::JobSet attempt0 = js;
  attempt0.status->restarts = 0;
  std::vector<api::Job> old = Children(attempt0);
  old[0].metadata.deletion_timestamp = TS(6);
  Plan plan = Rec(js, {old[0]});
  EXPECT_TRUE(plan.create_jobs.empty());
  plan = Rec(js, {});
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-a-0", "js-a-1", "js-a-2"));
}

TEST(ReconcileTest, RulesApplyInOrderToEarliestMatchingFailure) {
  api::JobSet js = NewJobSet({{"a", 2}, {"b", 2}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 5;
  js.spec.failure_policy->rules = std::vector<api::FailurePolicyRule>{
      Rule("noMatch", "FailJobSet", {"DeadlineExceeded"}),
      Rule("restartB", "RestartJobSetAndIgnoreMaxRestarts", {}, {"b"}),
      Rule("failAny", "FailJobSet"),
  };
  std::vector<api::Job> jobs = Children(js);
  SetFailed(*Find(jobs, "js-a-0"), 1);   // earliest overall, but only matches rule 3
  SetFailed(*Find(jobs, "js-b-1"), 30);
  SetFailed(*Find(jobs, "js-b-0"), 20);  // earliest among rule 2's matches
  Plan plan = Rec(js, jobs);
  api::JobSetStatus s = After(js, plan);
  EXPECT_FALSE(JobSetFinished(s));
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.restarts_count_towards_max.value_or(0), 0);  // ignored for the max
  EXPECT_EQ(Cond(s, "RestartingJobSet")->reason, "FailurePolicy_restartB");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->message,
            "applying RestartJobSetAndIgnoreMaxRestarts failure policy action (first failed job: js-b-0)");
  EXPECT_TRUE(std::count(plan.events.begin(), plan.events.end(),
                         Event{"Warning", "RestartJobSetAndIgnoreMaxRestartsFailurePolicyAction",
                               Cond(s, "RestartingJobSet")->message}));
}

TEST(ReconcileTest, FailJobSetRuleNamesEarliestMatchingJob) {
  api::JobSet js = NewJobSet({{"a", 3}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->rules = std::vector<api::FailurePolicyRule>{
      Rule("podFailure", "FailJobSet", {"PodFailurePolicy"})};
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 5);  // BackoffLimitExceeded: no match
  SetFailed(jobs[1], 9, "PodFailurePolicy", "Container main for pod x failed with exit code 42");
  SetFailed(jobs[2], 7, "PodFailurePolicy", "Container main for pod y failed with exit code 42");
  api::JobSetStatus s = After(js, Rec(js, jobs));
  EXPECT_EQ(Cond(s, "Failed")->reason, "FailJobSetFailurePolicyAction");
  EXPECT_EQ(Cond(s, "Failed")->message, "applying FailJobSet failure policy action (first failed job: js-a-2)");
}

TEST(ReconcileTest, MessagePatternsAreUnanchoredAndInvalidOnesNeverMatch) {
  api::Job job = Children(NewJobSet({{"a", 1}}))[0];
  SetFailed(job, 1, "PodFailurePolicy", "Container main for pod p failed with exit code 42 matching rule");
  EXPECT_TRUE(RuleMatches(Rule("r", "FailJobSet", {}, {}, {"exit code 4[0-9]"}), job));
  EXPECT_FALSE(RuleMatches(Rule("r", "FailJobSet", {}, {}, {"^exit code"}), job));
  EXPECT_FALSE(RuleMatches(Rule("r", "FailJobSet", {}, {}, {"exit code (42"}), job));  // invalid
  EXPECT_TRUE(RuleMatches(Rule("r", "FailJobSet", {}, {}, {"exit code (42", "pod p"}), job));
  EXPECT_FALSE(RuleMatches(Rule("r", "FailJobSet", {"BackoffLimitExceeded"}), job));
  EXPECT_FALSE(RuleMatches(Rule("r", "FailJobSet", {}, {"other"}), job));
  job.metadata.labels->erase(std::string(api::kReplicatedJobNameKey));
  EXPECT_FALSE(RuleMatches(Rule("r", "FailJobSet"), job));  // no replicatedjob-name: never matches
}

TEST(ReconcileTest, NoRuleMatchedRestartsWithDefaultReason) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 2;
  js.spec.failure_policy->rules = std::vector<api::FailurePolicyRule>{Rule("x", "FailJobSet", {"DeadlineExceeded"})};
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 1);
  api::JobSetStatus s = After(js, Rec(js, jobs));
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(Cond(s, "RestartingJobSet")->reason, "DefaultFailurePolicy");
}

TEST(ReconcileTest, RestartJobActionsNeedTheGate) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->rules = std::vector<api::FailurePolicyRule>{Rule("x", "RestartJob")};
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 1);
  EXPECT_FALSE(Reconcile(js, jobs, {}, T(1)).ok());
}

TEST(ReconcileTest, FailureWinsOverSuccessInTheSameRound) {
  api::JobSet js = NewJobSet({{"a", 2}});
  js.spec.success_policy->operator_ = "Any";
  std::vector<api::Job> jobs = Children(js);
  SetComplete(jobs[0], 1);
  SetFailed(jobs[1], 2);
  api::JobSetStatus s = After(js, Rec(js, jobs));
  EXPECT_EQ(s.terminal_state, "Failed");
  EXPECT_EQ(Cond(s, "Completed"), nullptr);
}

// --- RestartingJobSet=False rows --------------------------------------------------------------------

TEST(ReconcileTest, JobsReadyFlipsRestartingOnlyIfItExisted) {
  api::JobSet js = NewJobSet({{"a", 2}});
  std::vector<api::Job> jobs = Children(js);
  for (auto& j : jobs) SetReady(j);
  EXPECT_EQ(Cond(After(js, Rec(js, jobs)), "RestartingJobSet"), nullptr);

  js.status->restarts = 0;
  js.status->conditions.push_back(TrueCond("RestartingJobSet", "DefaultFailurePolicy", 3));
  Plan plan = Rec(js, jobs);
  api::JobSetStatus s = After(js, plan);
  EXPECT_EQ(Cond(s, "RestartingJobSet")->status, "False");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->reason, "JobsReady");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->message, "all jobs are ready");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->last_transition_time, TS(100));
  EXPECT_THAT(plan.events, ElementsAre(Event{"Normal", "JobsReady", "all jobs are ready"}));

  // Not all ready: untouched.
  jobs[1].status->ready = 0;
  EXPECT_EQ(Cond(After(js, Rec(js, jobs)), "RestartingJobSet")->status, "True");
}

TEST(ReconcileTest, CompletionFlipsExistingRestartingToJobSetCompleted) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.status->conditions.push_back(TrueCond("RestartingJobSet", "DefaultFailurePolicy", 3));
  std::vector<api::Job> jobs = Children(js);
  SetComplete(jobs[0], 4);
  api::JobSetStatus s = After(js, Rec(js, jobs));
  EXPECT_EQ(Cond(s, "RestartingJobSet")->status, "False");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->reason, "JobSetCompleted");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->message, "jobset completed successfully");
}

// --- finished JobSets, TTL --------------------------------------------------------------------------

TEST(ReconcileTest, FinishedJobSetDeletesOnlyActiveJobs) {
  api::JobSet js = NewJobSet({{"a", 3}});
  js.status->conditions.push_back(TrueCond("Failed", "FailedJobs", 10));
  js.status->terminal_state = "Failed";
  std::vector<api::Job> jobs = Children(js);
  SetFailed(jobs[0], 9);
  SetComplete(jobs[1], 8);
  SetReady(jobs[2]);
  Plan plan = Rec(js, jobs);
  EXPECT_THAT(Names(plan.delete_jobs), ElementsAre("js-a-2"));
  EXPECT_TRUE(plan.create_jobs.empty());
  EXPECT_FALSE(plan.create_service.has_value());
  EXPECT_FALSE(plan.delete_jobset);
  EXPECT_FALSE(plan.requeue_after.has_value());
  EXPECT_EQ(plan.terminal, StatusUpdate::Terminal::kNone);
}

TEST(ReconcileTest, TtlRequeuesThenDeletes) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.ttl_seconds_after_finished = 30;
  js.status->conditions.push_back(TrueCond("Completed", "AllJobsCompleted", 100));
  js.status->terminal_state = "Completed";
  Plan plan = Rec(js, {}, {}, 110);
  EXPECT_FALSE(plan.delete_jobset);
  EXPECT_EQ(plan.requeue_after, absl::Seconds(20));
  plan = Rec(js, {}, {}, 130);
  EXPECT_TRUE(plan.delete_jobset);
  js.spec.ttl_seconds_after_finished = 0;
  EXPECT_TRUE(Rec(js, {}, {}, 100).delete_jobset);
  js.spec.ttl_seconds_after_finished.reset();
  plan = Rec(js, {}, {}, 10000);
  EXPECT_FALSE(plan.delete_jobset);
  EXPECT_FALSE(plan.requeue_after.has_value());
}

// --- suspend / resume -------------------------------------------------------------------------------

TEST(ReconcileTest, SuspendSuspendsActiveJobsAndCreatesSuspended) {
  api::JobSet js = NewJobSet({{"a", 2}});
  js.spec.suspend = true;
  std::vector<api::Job> jobs = Children(NewJobSet({{"a", 1}}));  // js-a-0 exists, running
  SetReady(jobs[0]);
  js.status->conditions.push_back(TrueCond("RestartingJobSet", "DefaultFailurePolicy", 3));
  Plan plan = Rec(js, jobs);
  ASSERT_EQ(plan.update_jobs.size(), 1u);
  EXPECT_EQ(plan.update_jobs[0].job.metadata.name, "js-a-0");
  EXPECT_EQ(plan.update_jobs[0].job.spec.suspend, true);
  ASSERT_THAT(Names(plan.create_jobs), ElementsAre("js-a-1"));
  EXPECT_EQ(plan.create_jobs[0].spec.suspend, true);
  api::JobSetStatus s = After(js, plan);
  EXPECT_EQ(Cond(s, "Suspended")->status, "True");
  EXPECT_EQ(Cond(s, "Suspended")->reason, "SuspendedJobs");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->reason, "JobSetSuspended");
  EXPECT_EQ(Cond(s, "RestartingJobSet")->status, "False");
}

TEST(ReconcileTest, ResumedIsWrittenOnlyIfSuspendedExisted) {
  api::JobSet js = NewJobSet({{"a", 1}});
  EXPECT_EQ(Cond(After(js, Rec(js, Children(js))), "Suspended"), nullptr);
  js.status->conditions.push_back(TrueCond("Suspended", "SuspendedJobs", 3));
  Plan plan = Rec(js, Children(js));
  api::JobSetStatus s = After(js, plan);
  EXPECT_EQ(Cond(s, "Suspended")->status, "False");
  EXPECT_EQ(Cond(s, "Suspended")->reason, "ResumeJobs");
  EXPECT_EQ(Cond(s, "Suspended")->message, "jobset is resumed");
}

TEST(ReconcileTest, ResumeMergesTemplateAndClearsStartTime) {
  api::JobSet js = NewJobSet({{"a", 1}});
  js.spec.suspend = true;
  std::vector<api::Job> jobs = Children(js);
  jobs[0].status.emplace();
  jobs[0].status->start_time = TS(1);
  jobs[0].spec.template_.spec.node_selector = api::StringMap{{"keep", "1"}, {"zone", "old"}};
  jobs[0].spec.template_.spec.tolerations =
      std::vector<api::RawJson>{api::RawJson::Parse(R"({"key":"a","operator":"Exists"})").value()};
  // Kueue admits: resume + inject flavor node labels, a toleration and a scheduling gate.
  js.spec.suspend = false;
  auto& pod = (*js.spec.replicated_jobs)[0].template_.spec.template_;
  pod.spec.node_selector = api::StringMap{{"zone", "z1"}, {"cloud.google.com/gke-nodepool", "p1"}};
  pod.spec.tolerations = std::vector<api::RawJson>{api::RawJson::Parse(R"({"key":"a","operator":"Exists"})").value(),
                                                   api::RawJson::Parse(R"({"key":"b","operator":"Exists"})").value()};
  pod.spec.scheduling_gates = std::vector<api::RawJson>{api::RawJson::Parse(R"({"name":"kueue.x-k8s.io/topology"})").value()};
  pod.metadata.labels = api::StringMap{{"kueue.x-k8s.io/podset", "a"}};
  Plan plan = Rec(js, jobs);
  ASSERT_EQ(plan.update_jobs.size(), 1u);
  const JobUpdate& u = plan.update_jobs[0];
  EXPECT_TRUE(u.clear_start_time);
  EXPECT_FALSE(u.job.status->start_time.has_value());
  EXPECT_EQ(u.job.spec.suspend, false);
  const api::PodSpec& spec = u.job.spec.template_.spec;
  EXPECT_EQ(*spec.node_selector,
            (api::StringMap{{"keep", "1"}, {"zone", "z1"}, {"cloud.google.com/gke-nodepool", "p1"}}));
  EXPECT_EQ(spec.tolerations->size(), 2u);
  EXPECT_EQ(spec.scheduling_gates->size(), 1u);
  EXPECT_EQ(u.job.spec.template_.metadata.Label("kueue.x-k8s.io/podset"), "a");
  // JobSet labels on the pod template survive the merge.
  EXPECT_EQ(u.job.spec.template_.metadata.Label(api::kJobSetNameKey), "js");
}

// --- InOrder and dependsOn --------------------------------------------------------------------------

TEST(ReconcileTest, InOrderCreatesOneReplicatedJobAtATime) {
  api::JobSet js = NewJobSet({{"a", 1}, {"b", 2}});
  js.spec.startup_policy->startup_policy_order = "InOrder";
  Plan plan = Rec(js, {});
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-a-0"));
  api::JobSetStatus s = After(js, plan);
  EXPECT_EQ(Cond(s, "StartupPolicyInProgress")->status, "True");
  EXPECT_EQ(Cond(s, "StartupPolicyInProgress")->reason, "InOrderStartupPolicyInProgress");
  js.status = s;

  std::vector<api::Job> jobs = Children(NewJobSet({{"a", 1}}));
  SetReady(jobs[0]);
  plan = Rec(js, jobs);
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-b-0", "js-b-1"));
  js.status = After(js, plan);

  std::vector<api::Job> all = Children(js);
  for (auto& j : all) SetReady(j);
  plan = Rec(js, all);
  s = After(js, plan);
  EXPECT_EQ(Cond(s, "StartupPolicyCompleted")->status, "True");
  EXPECT_EQ(Cond(s, "StartupPolicyCompleted")->message, "in order startup policy has completed");
  EXPECT_EQ(Cond(s, "StartupPolicyInProgress")->status, "False");
}

TEST(ReconcileTest, InOrderSuspendedCreatesAllAndResumeLeavesSuspendedTrueUntilAllStarted) {
  api::JobSet js = NewJobSet({{"a", 1}, {"b", 1}});
  js.spec.startup_policy->startup_policy_order = "InOrder";
  js.spec.suspend = true;
  Plan plan = Rec(js, {});
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-a-0", "js-b-0"));
  js.status = After(js, plan);
  EXPECT_EQ(Cond(*js.status, "StartupPolicyInProgress"), nullptr);  // none while suspended
  EXPECT_EQ(Cond(*js.status, "Suspended")->status, "True");

  // Resume: only the first not-started replicated job resumes; Suspended stays True (upstream quirk).
  js.spec.suspend = false;
  std::vector<api::Job> jobs = plan.create_jobs;
  plan = Rec(js, jobs);
  ASSERT_EQ(plan.update_jobs.size(), 1u);
  EXPECT_EQ(plan.update_jobs[0].job.metadata.name, "js-a-0");
  js.status = After(js, plan);
  EXPECT_EQ(Cond(*js.status, "Suspended")->status, "True");

  jobs[0].spec.suspend = false;
  SetReady(jobs[0]);
  plan = Rec(js, jobs);
  ASSERT_EQ(plan.update_jobs.size(), 1u);
  EXPECT_EQ(plan.update_jobs[0].job.metadata.name, "js-b-0");
  js.status = After(js, plan);
  EXPECT_EQ(Cond(*js.status, "Suspended")->status, "True");

  jobs[1].spec.suspend = false;
  SetReady(jobs[1]);
  js.status = After(js, Rec(js, jobs));
  EXPECT_EQ(Cond(*js.status, "Suspended")->status, "False");
}

TEST(ReconcileTest, DependsOnWaitsForReadyOrComplete) {
  api::JobSet js = NewJobSet({{"init", 1}, {"workers", 2}, {"post", 1}});
  api::DependsOn ready;
  ready.name = "init";
  ready.status = "Ready";
  (*js.spec.replicated_jobs)[1].depends_on = std::vector<api::DependsOn>{ready};
  api::DependsOn complete;
  complete.name = "workers";
  complete.status = "Complete";
  (*js.spec.replicated_jobs)[2].depends_on = std::vector<api::DependsOn>{complete};

  Plan plan = Rec(js, {});
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-init-0"));
  js.status = After(js, plan);
  std::vector<api::Job> jobs = plan.create_jobs;
  // Created but not ready: still waiting (counters come from the current round).
  EXPECT_TRUE(Rec(js, jobs).create_jobs.empty());
  // A failed dependency also counts as "reached" for Ready — but the failure policy runs first, so
  // use ready here.
  SetReady(jobs[0]);
  plan = Rec(js, jobs);
  EXPECT_THAT(Names(plan.create_jobs), ElementsAre("js-workers-0", "js-workers-1"));
  for (auto& j : plan.create_jobs) jobs.push_back(j);
  SetComplete(jobs[1], 5);
  EXPECT_TRUE(Rec(js, jobs).create_jobs.empty());
  SetComplete(jobs[2], 6);
  EXPECT_THAT(Names(Rec(js, jobs).create_jobs), ElementsAre("js-post-0"));
}

TEST(ReconcileTest, SuspendedDependsOnCreatesOnlyDependencyFreeJobs) {
  api::JobSet js = NewJobSet({{"init", 1}, {"workers", 2}});
  api::DependsOn ready;
  ready.name = "init";
  ready.status = "Ready";
  (*js.spec.replicated_jobs)[1].depends_on = std::vector<api::DependsOn>{ready};
  js.spec.suspend = true;
  EXPECT_THAT(Names(Rec(js, {}).create_jobs), ElementsAre("js-init-0"));
}

}  // namespace
}  // namespace phalanx::controller
