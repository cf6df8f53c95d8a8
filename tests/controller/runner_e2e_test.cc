// End-to-end tests: the real Runner against kube::MemoryCluster with the emulated Job controller
// (sim/job_controller). Waits poll the cluster for a condition with a deadline; nothing sleeps to
// synchronize.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/job_codec.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/strings.h"
#include "controller/conditions.h"
#include "controller/metrics.h"
#include "controller/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "kube/retry.h"
#include "sim/job_controller.h"
#include "tests/controller/reconcile_test_util.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::controller {
namespace {

using testing::NewJobSet;

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(30)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pred();
}

class RunnerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    jobs_ = std::make_unique<sim::JobController>(cluster_);
    jobs_->Start();
  }
  void TearDown() override {
    if (runner_) runner_->Stop();
    jobs_->Stop();
  }

  void StartRunner(RunnerOptions options = {}) {
    options.metrics = &metrics_;
    runner_ = std::make_unique<Runner>(cluster_, options);
    runner_->Start();
    ASSERT_TRUE(runner_->WaitForSync(absl::Seconds(10)));
  }

  static api::JobSet Spec(const std::string& name, const std::vector<std::pair<std::string, int>>& rjobs) {
    api::JobSet js = NewJobSet(rjobs);
    js.metadata.name = name;
    js.metadata.uid.reset();
    js.metadata.resource_version.reset();
    js.status.reset();
    for (auto& rj : *js.spec.replicated_jobs) rj.template_.spec.backoff_limit = 0;
    return js;
  }

  void Create(const api::JobSet& js) {
    ASSERT_OK(cluster_.Create(kube::kJobSets, "default", api::EncodeJobSet(js)).status());
  }

  // Another client's read-modify-write of a JobSet (Kueue's, in these tests): the controller writes
  // status at any moment, so the Update may meet 409 Conflict; read again and redo, as Kueue does.
  absl::Status UpdateJobSet(const std::string& name, const std::function<void(api::JobSet&)>& mutate,
                            bool status = false) {
    return kube::RetryOnConflict(
        [&]() -> absl::Status {
          std::optional<api::JobSet> cur = Get(name);
          if (!cur.has_value()) return absl::NotFoundError(absl::StrCat("jobset ", name));
          mutate(*cur);
          const std::string body = api::EncodeJobSet(*cur);
          return (status ? cluster_.UpdateStatus(kube::kJobSets, "default", body)
                         : cluster_.Update(kube::kJobSets, "default", body))
              .status();
        },
        kube::RetryBackoff{.attempts = 20});
  }

  std::optional<api::JobSet> Get(const std::string& name) {
    absl::StatusOr<kube::Object> obj = cluster_.Get(kube::kJobSets, "default", name);
    if (!obj.ok()) return std::nullopt;
    absl::StatusOr<api::JobSet> js = api::DecodeJobSet(obj->json);
    if (!js.ok()) return std::nullopt;
    return *js;
  }

  api::JobSetStatus Status(const std::string& name) {
    std::optional<api::JobSet> js = Get(name);
    return js && js->status ? *js->status : api::JobSetStatus{};
  }

  std::vector<api::Job> Jobs(const std::string& jobset) {
    std::vector<api::Job> out;
    absl::StatusOr<kube::ObjectList> list = cluster_.List(
        kube::kJobs, "default", {.label_selector = absl::StrCat(phalanx::AsAbsl(api::kJobSetNameKey), "=", jobset)});
    if (!list.ok()) return out;
    for (const auto& o : list->items) out.push_back(api::DecodeJob(o.json).value());
    return out;
  }

  // Jobs of `jobset` at `attempt` that are not being deleted.
  int LiveJobsAt(const std::string& jobset, int attempt) {
    int n = 0;
    for (const auto& j : Jobs(jobset)) {
      if (!j.metadata.deletion_timestamp && j.metadata.Label(api::kRestartsKey) == absl::StrCat(attempt)) ++n;
    }
    return n;
  }

  bool HasCondition(const std::string& name, std::string_view type, std::string_view status,
                    std::string_view reason = "") {
    api::JobSetStatus s = Status(name);
    const api::Condition* c = FindCondition(s.conditions, type);
    return c != nullptr && c->status == status && (reason.empty() || c->reason == reason);
  }

  bool HasEvent(std::string_view reason) {
    absl::StatusOr<kube::ObjectList> list = cluster_.List(kube::kEvents, "default", {});
    if (!list.ok()) return false;
    for (const auto& o : list->items) {
      if (absl::StrContains(o.json, absl::StrCat("\"reason\":\"", phalanx::AsAbsl(reason), "\""))) return true;
    }
    return false;
  }

  std::vector<std::string> PodNames(const std::string& job) {
    std::vector<std::string> out;
    auto list = cluster_.List(kube::kPods, "default", {.label_selector = absl::StrCat("batch.kubernetes.io/job-name=", job)});
    if (list.ok()) {
      for (const auto& o : list->items) out.push_back(o.meta.name);
    }
    return out;
  }

  // Keeps the Job's pods (and so, under foreground deletion, the Job) around until Release().
  void Hold(const std::string& job) {
    for (const std::string& pod : PodNames(job)) {
      ASSERT_OK(cluster_.Patch(kube::kPods, "default", pod, kube::PatchType::kMerge,
                               R"({"metadata":{"finalizers":["test.phalanx.dev/hold"]}})")
                    .status());
    }
  }
  void Release(const std::string& job) {
    for (const std::string& pod : PodNames(job)) {
      ASSERT_OK(cluster_.Patch(kube::kPods, "default", pod, kube::PatchType::kMerge, R"({"metadata":{"finalizers":null}})")
                    .status());
    }
  }

  kube::MemoryCluster cluster_;
  std::unique_ptr<sim::JobController> jobs_;
  Metrics metrics_;
  std::unique_ptr<Runner> runner_;
};

TEST_F(RunnerE2ETest, JobSetRunsToCompletion) {
  StartRunner();
  Create(Spec("ok", {{"a", 1}, {"b", 2}}));
  ASSERT_TRUE(WaitFor([&] { return Jobs("ok").size() == 3; }));
  ASSERT_OK(cluster_.Get(kube::kServices, "default", "ok").status());
  ASSERT_TRUE(WaitFor([&] {
    api::JobSetStatus s = Status("ok");
    return s.replicated_jobs_status.size() == 2 && s.replicated_jobs_status[1].ready == 2;
  }));
  for (const char* job : {"ok-a-0", "ok-b-0", "ok-b-1"}) ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", job).ok(); }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("ok", "Completed", "True", "AllJobsCompleted"); }));
  EXPECT_EQ(Status("ok").terminal_state, "Completed");
  EXPECT_TRUE(WaitFor([&] { return Status("ok").replicated_jobs_status[1].succeeded == 2; }));
  EXPECT_TRUE(WaitFor([&] { return HasEvent("AllJobsCompleted"); }));
  EXPECT_EQ(metrics_.Completed("ok", "default"), 1u);
  EXPECT_EQ(Jobs("ok").size(), 3u);  // completed Jobs are kept
}

TEST_F(RunnerE2ETest, FailJobSetRuleFailsAtOnce) {
  StartRunner();
  api::JobSet js = Spec("fr", {{"driver", 1}, {"workers", 2}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 5;
  api::FailurePolicyRule rule;
  rule.name = "workersFatal";
  rule.action = "FailJobSet";
  rule.on_job_failure_reasons = std::vector<std::string>{"BackoffLimitExceeded"};
  rule.target_replicated_jobs = std::vector<std::string>{"workers"};
  js.spec.failure_policy->rules = std::vector<api::FailurePolicyRule>{rule};
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("fr-workers-1").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "fr-workers-1", 0).ok(); }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("fr", "Failed", "True", "FailJobSetFailurePolicyAction"); }));
  api::JobSetStatus s = Status("fr");
  EXPECT_EQ(s.restarts, 0);
  EXPECT_EQ(FindCondition(s.conditions, "Failed")->message,
            "applying FailJobSet failure policy action (first failed job: fr-workers-1)");
  // The finished JobSet deletes its active Jobs but keeps the failed one.
  ASSERT_TRUE(WaitFor([&] { return Jobs("fr").size() == 1; }));
  EXPECT_EQ(Jobs("fr")[0].metadata.name, "fr-workers-1");
  EXPECT_EQ(metrics_.Failed("fr", "default"), 1u);
}

TEST_F(RunnerE2ETest, RecreateRestartsThenReachesMaxRestarts) {
  StartRunner();
  api::JobSet js = Spec("rc", {{"a", 2}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 1;
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("rc-a-0").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "rc-a-0", 0).ok(); }));
  ASSERT_TRUE(WaitFor([&] { return LiveJobsAt("rc", 1) == 2 && Jobs("rc").size() == 2; }));
  EXPECT_EQ(Status("rc").restarts, 1);
  EXPECT_TRUE(WaitFor([&] { return HasEvent("RestartJobSetFailurePolicyAction"); }));
  ASSERT_TRUE(WaitFor([&] { return PodNames("rc-a-1").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "rc-a-1", 0).ok(); }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("rc", "Failed", "True", "ReachedMaxRestarts"); }));
  EXPECT_EQ(Status("rc").restarts, 1);
  EXPECT_TRUE(HasCondition("rc", "RestartingJobSet", "False", "JobSetFailed"));
}

TEST_F(RunnerE2ETest, RecreateRecreatesEachJobAsSoonAsItsPredecessorIsGone) {
  StartRunner();
  api::JobSet js = Spec("re", {{"a", 3}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 3;
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("re-a-2").size() == 1 && PodNames("re-a-0").size() == 1; }));
  Hold("re-a-2");
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "re-a-0", 0).ok(); }));
  // a-0 and a-1 come back at attempt 1 while a-2 is still being deleted.
  ASSERT_TRUE(WaitFor([&] { return LiveJobsAt("re", 1) == 2; }));
  std::vector<api::Job> all = Jobs("re");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[2].metadata.deletion_timestamp.has_value());
  Release("re-a-2");
  ASSERT_TRUE(WaitFor([&] { return LiveJobsAt("re", 1) == 3 && Jobs("re").size() == 3; }));
  EXPECT_EQ(Status("re").restarts, 1);
}

TEST_F(RunnerE2ETest, BlockingRecreateWaitsForEveryPreviousJob) {
  StartRunner();
  api::JobSet js = Spec("br", {{"a", 3}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 3;
  js.spec.failure_policy->restart_strategy = "BlockingRecreate";
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("br-a-2").size() == 1 && PodNames("br-a-0").size() == 1; }));
  Hold("br-a-2");
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "br-a-0", 0).ok(); }));
  // Only the held Job remains, being deleted; nothing new is created while it exists.
  ASSERT_TRUE(WaitFor([&] { return Jobs("br").size() == 1 && Status("br").restarts == 1; }));
  ASSERT_TRUE(WaitFor([&] { return runner_->Idle(); }));
  EXPECT_EQ(LiveJobsAt("br", 1), 0);
  EXPECT_EQ(Jobs("br").size(), 1u);
  Release("br-a-2");
  ASSERT_TRUE(WaitFor([&] { return LiveJobsAt("br", 1) == 3 && Jobs("br").size() == 3; }));
}

TEST_F(RunnerE2ETest, DependsOnChainStartsInOrder) {
  StartRunner();
  api::JobSet js = Spec("dep", {{"init", 1}, {"workers", 2}, {"post", 1}});
  api::DependsOn ready{"init", "Ready", {}};
  api::DependsOn complete{"workers", "Complete", {}};
  (*js.spec.replicated_jobs)[1].depends_on = std::vector<api::DependsOn>{ready};
  (*js.spec.replicated_jobs)[2].depends_on = std::vector<api::DependsOn>{complete};
  jobs_->Stop();  // pods stay un-ready until the test says so
  jobs_ = std::make_unique<sim::JobController>(cluster_, sim::JobControllerOptions{.pods_start_ready = false});
  jobs_->Start();
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("dep-init-0").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return runner_->Idle(); }));
  EXPECT_EQ(Jobs("dep").size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return jobs_->MakeReady("default", "dep-init-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return Jobs("dep").size() == 3; }));
  ASSERT_TRUE(WaitFor([&] { return PodNames("dep-workers-1").size() == 1 && PodNames("dep-workers-0").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", "dep-workers-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", "dep-workers-1").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return Jobs("dep").size() == 4; }));
  ASSERT_TRUE(WaitFor([&] { return PodNames("dep-post-0").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", "dep-init-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", "dep-post-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("dep", "Completed", "True"); }));
}

TEST_F(RunnerE2ETest, SuspendKueueInjectionAndResume) {
  StartRunner();
  api::JobSet js = Spec("kq", {{"a", 2}});
  js.spec.suspend = true;
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return Jobs("kq").size() == 2 && HasCondition("kq", "Suspended", "True", "SuspendedJobs"); }));
  for (const auto& j : Jobs("kq")) EXPECT_EQ(j.spec.suspend, true);
  EXPECT_TRUE(PodNames("kq-a-0").empty());
  // Kueue admits: suspend=false and the flavor's node selector / toleration in the same update.
  ASSERT_OK(UpdateJobSet("kq", [](api::JobSet& cur) {
    cur.spec.suspend = false;
    auto& pod = (*cur.spec.replicated_jobs)[0].template_.spec.template_;
    pod.spec.node_selector = api::StringMap{{"cloud.google.com/gke-nodepool", "pool-a"}};
    pod.spec.tolerations = std::vector<api::RawJson>{
        api::RawJson::Parse(R"({"key":"tpu","operator":"Exists","effect":"NoSchedule"})").value()};
  }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("kq", "Suspended", "False", "ResumeJobs"); }));
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& j : Jobs("kq")) {
      if (j.spec.suspend.value_or(true)) return false;
    }
    return true;
  }));
  for (const auto& j : Jobs("kq")) {
    ASSERT_TRUE(j.spec.template_.spec.node_selector.has_value());
    EXPECT_EQ(j.spec.template_.spec.node_selector->at("cloud.google.com/gke-nodepool"), "pool-a");
    ASSERT_TRUE(j.spec.template_.spec.tolerations.has_value());
    EXPECT_EQ(j.spec.template_.spec.tolerations->size(), 1u);
  }
  ASSERT_TRUE(WaitFor([&] { return PodNames("kq-a-0").size() == 1; }));
  auto pod_obj = cluster_.Get(kube::kPods, "default", PodNames("kq-a-0")[0]);
  ASSERT_OK(pod_obj.status());
  EXPECT_TRUE(absl::StrContains(pod_obj->json, "pool-a"));
  // Kueue evicts: suspended again, pods go away.
  ASSERT_OK(UpdateJobSet("kq", [](api::JobSet& cur) { cur.spec.suspend = true; }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition("kq", "Suspended", "True") && PodNames("kq-a-0").empty(); }));
}

TEST_F(RunnerE2ETest, TtlDeletesFinishedJobSet) {
  StartRunner();
  api::JobSet js = Spec("ttl", {{"a", 1}});
  js.spec.ttl_seconds_after_finished = 0;
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("ttl-a-0").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return jobs_->SucceedJob("default", "ttl-a-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return !Get("ttl").has_value(); }));
  EXPECT_TRUE(WaitFor([&] { return Jobs("ttl").empty(); }));
}

TEST_F(RunnerE2ETest, ManagedByAnotherControllerIsLeftAlone) {
  StartRunner();
  api::JobSet other = Spec("mk", {{"a", 2}});
  other.spec.managed_by = "kueue.x-k8s.io/multikueue";
  Create(other);
  ASSERT_OK(UpdateJobSet(
      "mk",
      [](api::JobSet& cur) {
        cur.status = api::JobSetStatus{};
        cur.status->restarts = 4;
        cur.status->terminal_state = "Completed";
      },
      /*status=*/true));
  // A JobSet of ours, created after, proves the runner got that far.
  Create(Spec("mine", {{"a", 1}}));
  ASSERT_TRUE(WaitFor([&] { return Jobs("mine").size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return runner_->Idle(); }));
  EXPECT_TRUE(Jobs("mk").empty());
  EXPECT_EQ(Status("mk").restarts, 4);
  EXPECT_EQ(Status("mk").terminal_state, "Completed");
  EXPECT_FALSE(cluster_.Get(kube::kServices, "default", "mk").ok());
}

TEST_F(RunnerE2ETest, DeletedServiceIsRecreated) {
  StartRunner();
  Create(Spec("svc", {{"a", 1}}));
  ASSERT_TRUE(WaitFor([&] { return cluster_.Get(kube::kServices, "default", "svc").ok(); }));
  std::string uid = cluster_.Get(kube::kServices, "default", "svc")->meta.uid;
  ASSERT_OK(cluster_.Delete(kube::kServices, "default", "svc"));
  ASSERT_TRUE(WaitFor([&] {
    auto s = cluster_.Get(kube::kServices, "default", "svc");
    return s.ok() && s->meta.uid != uid;
  }));
}

TEST_F(RunnerE2ETest, JobCreationFailureIsAWarningEventAndARetry) {
  StartRunner();
  Create(Spec("bad", {{"Upper", 1}}));  // Job name "bad-Upper-0" is not a valid object name
  ASSERT_TRUE(WaitFor([&] { return HasEvent("JobCreationFailed"); }));
  ASSERT_TRUE(WaitFor([&] { return metrics_.Errors() >= 2; }));  // retried with backoff
  EXPECT_TRUE(Jobs("bad").empty());
  // No status write on a failed reconcile.
  EXPECT_TRUE(Status("bad").replicated_jobs_status.empty());
}

// Crash safety: the runner dies right after the status write that counted a restart (before any
// deletion), or right after the deletions; a fresh runner on the same cluster finishes the restart.
class CrashTest : public RunnerE2ETest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashTest, RestartCountedOnceAndNoDuplicateJobs) {
  const std::string point = GetParam();
  std::atomic<bool> armed{false};
  RunnerOptions opts;
  opts.crash_point = [&](std::string_view at, const std::string& key) {
    if (key != "default/cr" || at != point || !armed) return false;
    // Both points are taken only once the restart is in the stored status: right after the write that
    // counted it, or in the next round, after the old attempt's Jobs were deleted.
    if (Status("cr").restarts != 1) return false;
    if (point == "after-deletes" && LiveJobsAt("cr", 0) != 0) return false;
    return true;
  };
  StartRunner(opts);
  api::JobSet js = Spec("cr", {{"a", 3}});
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 3;
  Create(js);
  ASSERT_TRUE(WaitFor([&] { return PodNames("cr-a-1").size() == 1 && LiveJobsAt("cr", 0) == 3; }));
  armed = true;
  ASSERT_TRUE(WaitFor([&] { return jobs_->FailIndex("default", "cr-a-1", 0).ok(); }));
  ASSERT_TRUE(WaitFor([&] { return runner_->Crashed(); }));
  runner_->Stop();
  EXPECT_EQ(Status("cr").restarts, 1);

  runner_.reset();
  StartRunner();
  ASSERT_TRUE(WaitFor([&] { return LiveJobsAt("cr", 1) == 3 && Jobs("cr").size() == 3; }));
  ASSERT_TRUE(WaitFor([&] { return runner_->Idle(); }));
  api::JobSetStatus s = Status("cr");
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.restarts_count_towards_max, 1);
  EXPECT_FALSE(JobSetFinished(s));
  EXPECT_EQ(Jobs("cr").size(), 3u);
  ASSERT_TRUE(WaitFor([&] {
    api::JobSetStatus st = Status("cr");
    return st.replicated_jobs_status.size() == 1 && st.replicated_jobs_status[0].ready == 3 &&
           st.replicated_jobs_status[0].failed == 0;
  }));
}

INSTANTIATE_TEST_SUITE_P(Points, CrashTest, ::testing::Values("after-status-write", "after-deletes"));

}  // namespace
}  // namespace phalanx::controller
