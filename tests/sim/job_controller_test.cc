// The emulated Job controller against MemoryCluster, driven by the real Job request bodies of the v1.36
// fixtures; the resulting status is compared with what the real control plane returned
// (get-job-complete.json, get-job-failed.json).
#include "sim/job_controller.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "api/job_codec.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/micro_time.h"
#include "kube/resource.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"
#include "sim/kubelet.h"
#include "sim/scheduler.h"
#include "tests/kube/fake_clock.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::sim {
namespace {

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pred();
}

class JobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_.Start(); }
  void TearDown() override { sim_.Stop(); }

  std::string Fixture(const std::string& name) {
    return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/" + name);
  }

  api::Job GetJob(const std::string& name) {
    auto obj = cluster_.Get(kube::kJobs, "default", name);
    if (!obj.ok()) return api::Job{};
    return api::DecodeJob(obj->json).value();
  }

  // A user's read-modify-write of a Job: the emulated controller writes status at any moment, so
  // the Update may meet 409 Conflict; read again and redo, as Kubernetes clients do.
  absl::Status UpdateJob(const std::string& name, const std::function<void(api::Job&)>& mutate) {
    return kube::RetryOnConflict(
        [&]() -> absl::Status {
          auto obj = cluster_.Get(kube::kJobs, "default", name);
          if (!obj.ok()) return obj.status();
          absl::StatusOr<api::Job> job = api::DecodeJob(obj->json);
          if (!job.ok()) return job.status();
          mutate(*job);
          return cluster_.Update(kube::kJobs, "default", api::EncodeJob(*job)).status();
        },
        kube::RetryBackoff{.attempts = 20});
  }

  const api::JobCondition* Cond(const api::Job& job, const std::string& type) {
    if (!job.status) return nullptr;
    for (const auto& c : job.status->conditions) {
      if (c.type == type) return &c;
    }
    return nullptr;
  }

  size_t Pods(const std::string& job) {
    auto list = cluster_.List(kube::kPods, "default", {.label_selector = "batch.kubernetes.io/job-name=" + job});
    return list.ok() ? list->items.size() : 0;
  }

  kube::MemoryCluster cluster_;
  JobController sim_{cluster_};
};

TEST_F(JobControllerTest, IndexedJobRunsToCompleteLikeTheControlPlane) {
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", Fixture("create-job-to-complete.request.json")).status());
  std::string name = api::DecodeJob(Fixture("create-job-to-complete.request.json")).value().metadata.name_or_empty();
  ASSERT_TRUE(WaitFor([&] {
    api::Job j = GetJob(name);
    return j.status && j.status->active == 2 && j.status->ready == 2;
  }));
  EXPECT_TRUE(GetJob(name).status->start_time.has_value());
  ASSERT_OK(sim_.SucceedIndex("default", name, 0));
  ASSERT_OK(sim_.SucceedIndex("default", name, 1));
  ASSERT_TRUE(WaitFor([&] { return Cond(GetJob(name), "Complete") != nullptr; }));
  api::Job got = GetJob(name);
  api::Job real = api::DecodeJob(Fixture("get-job-complete.json")).value();
  ASSERT_EQ(got.status->conditions.size(), real.status->conditions.size());
  for (size_t i = 0; i < got.status->conditions.size(); ++i) {
    EXPECT_EQ(got.status->conditions[i].type, real.status->conditions[i].type);
    EXPECT_EQ(got.status->conditions[i].status, real.status->conditions[i].status);
    EXPECT_EQ(got.status->conditions[i].reason, real.status->conditions[i].reason);
    EXPECT_EQ(got.status->conditions[i].message, real.status->conditions[i].message);
  }
  EXPECT_EQ(got.status->succeeded, real.status->succeeded);
  EXPECT_EQ(got.status->ready, 0);
  EXPECT_TRUE(got.status->completion_time.has_value());
}

TEST_F(JobControllerTest, BackoffLimitZeroFailsOnFirstPodFailureLikeTheControlPlane) {
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", Fixture("create-job-backofflimit0.request.json")).status());
  ASSERT_TRUE(WaitFor([&] { return Pods("fail-job") == 2; }));
  ASSERT_OK(sim_.FailIndex("default", "fail-job", 1));
  ASSERT_TRUE(WaitFor([&] { return Cond(GetJob("fail-job"), "Failed") != nullptr; }));
  api::Job got = GetJob("fail-job");
  api::Job real = api::DecodeJob(Fixture("get-job-failed.json")).value();
  ASSERT_EQ(got.status->conditions.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got.status->conditions[i].type, real.status->conditions[i].type);
    EXPECT_EQ(got.status->conditions[i].reason, real.status->conditions[i].reason);
    EXPECT_EQ(got.status->conditions[i].message, real.status->conditions[i].message);
  }
  // The other pod was terminated.
  ASSERT_TRUE(WaitFor([&] { return Pods("fail-job") == 1 && GetJob("fail-job").status->active == 0; }));
}

TEST_F(JobControllerTest, FailedPodIsReplacedWithinBackoffLimit) {
  std::string body = Fixture("create-job-backofflimit0.request.json");
  api::Job job = api::DecodeJob(body).value();
  job.metadata.name = "retry-job";
  job.spec.backoff_limit = 1;
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", api::EncodeJob(job)).status());
  ASSERT_TRUE(WaitFor([&] { return Pods("retry-job") == 2; }));
  ASSERT_OK(sim_.FailIndex("default", "retry-job", 0));
  // The failed pod is kept and index 0 runs again.
  ASSERT_TRUE(WaitFor([&] { return Pods("retry-job") == 3 && GetJob("retry-job").status->failed == 1; }));
  EXPECT_EQ(Cond(GetJob("retry-job"), "Failed"), nullptr);
}

TEST_F(JobControllerTest, SuspendDeletesPodsAndResumeRestarts) {
  api::Job job = api::DecodeJob(Fixture("create-job-backofflimit0.request.json")).value();
  job.metadata.name = "susp";
  job.spec.suspend = true;
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", api::EncodeJob(job)).status());
  ASSERT_TRUE(WaitFor([&] {
    const api::JobCondition* c = Cond(GetJob("susp"), "Suspended");
    return c != nullptr && c->status == "True" && c->reason == "JobSuspended";
  }));
  EXPECT_EQ(Pods("susp"), 0u);
  ASSERT_OK(UpdateJob("susp", [](api::Job& cur) { cur.spec.suspend = false; }));
  ASSERT_TRUE(WaitFor([&] { return Pods("susp") == 2; }));
  ASSERT_TRUE(WaitFor([&] {
    const api::JobCondition* c = Cond(GetJob("susp"), "Suspended");
    return c != nullptr && c->status == "False" && c->reason == "JobResumed";
  }));
  ASSERT_OK(UpdateJob("susp", [](api::Job& cur) { cur.spec.suspend = true; }));
  ASSERT_TRUE(WaitFor([&] { return Pods("susp") == 0 && GetJob("susp").status->active == 0; }));
}

TEST_F(JobControllerTest, PodsGoWithTheirJob) {
  api::Job job = api::DecodeJob(Fixture("create-job-backofflimit0.request.json")).value();
  job.metadata.name = "gone";
  ASSERT_OK(cluster_.Create(kube::kJobs, "default", api::EncodeJob(job)).status());
  ASSERT_TRUE(WaitFor([&] { return Pods("gone") == 2; }));
  kube::DeleteOptions opts;
  opts.propagation = kube::Propagation::kForeground;
  ASSERT_OK(cluster_.Delete(kube::kJobs, "default", "gone", opts));
  ASSERT_TRUE(WaitFor([&] { return Pods("gone") == 0 && !cluster_.Get(kube::kJobs, "default", "gone").ok(); }));
}

// ---- stepped mode (the simulator's driver): no threads, a virtual clock ---------------------------

namespace stepped {

using nlohmann::json;

class SteppedJobControllerTest : public ::testing::Test {
 protected:
  SteppedJobControllerTest()
      : cluster_(kube::MemoryClusterOptions{.clock = &clock_}), jobs_(cluster_, JobControllerOptions{.clock = &clock_}) {}

  // Steps until nothing changes (bounded, so a livelock fails the test instead of hanging it).
  void Settle() {
    for (int i = 0; i < 50; ++i) {
      if (!jobs_.Step()) return;
    }
    ADD_FAILURE() << "JobController::Step() still making progress after 50 calls";
  }

  void CreateJob(const std::string& name, int parallelism, int backoff_limit, json pod_failure_policy = json()) {
    json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"parallelism", parallelism},
                  {"completions", parallelism},
                  {"completionMode", "Indexed"},
                  {"backoffLimit", backoff_limit},
                  {"template",
                   {{"spec",
                     {{"restartPolicy", "Never"},
                      {"containers", json::array({{{"name", "worker"}, {"image", "example.invalid/w:1"}}})}}}}}}}};
    if (!pod_failure_policy.is_null()) job["spec"]["podFailurePolicy"] = pod_failure_policy;
    ASSERT_OK(cluster_.Create(kube::kJobs, "default", job.dump()).status());
  }

  json GetJson(const kube::Resource& r, const std::string& name) {
    auto got = cluster_.Get(r, "default", name);
    return got.ok() ? json::parse(got->json) : json();
  }

  // The running pods of `job` (names, sorted).
  std::vector<std::string> RunningPods(const std::string& job) {
    std::vector<std::string> out;
    auto list = cluster_.List(kube::kPods, "default", {.label_selector = "batch.kubernetes.io/job-name=" + job});
    if (!list.ok()) return out;
    for (const auto& o : list->items) {
      json p = json::parse(o.json);
      if (p["status"].value("phase", "") == "Running" && !p["metadata"].contains("deletionTimestamp")) {
        out.push_back(o.meta.name);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Fails pod `name` as a kubelet would: terminated container `worker` with `exit_code`, plus
  // `extra_conditions`.
  void FailPod(const std::string& name, int exit_code, json extra_conditions = json::array()) {
    json pod = GetJson(kube::kPods, name);
    ASSERT_TRUE(pod.is_object());
    pod["status"]["phase"] = "Failed";
    json conds = json::array({{{"type", "Ready"}, {"status", "False"}, {"reason", "PodFailed"}}});
    for (const auto& c : extra_conditions) conds.push_back(c);
    pod["status"]["conditions"] = conds;
    pod["status"]["containerStatuses"] =
        json::array({{{"name", "worker"},
                      {"ready", false},
                      {"restartCount", 0},
                      {"image", "example.invalid/w:1"},
                      {"imageID", ""},
                      {"state", {{"terminated", {{"exitCode", exit_code}, {"reason", "Error"}}}}}}});
    ASSERT_OK(cluster_.UpdateStatus(kube::kPods, "default", pod.dump()).status());
  }

  static json Condition(const json& obj, const std::string& type) {
    for (const auto& c : obj["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json();
  }

  kube::testing::FakeClock clock_;
  kube::MemoryCluster cluster_;
  JobController jobs_;
};

TEST_F(SteppedJobControllerTest, StepRunsAJobWithTimestampsFromTheVirtualClock) {
  clock_.Advance(absl::Hours(3));
  CreateJob("train", 3, 6);
  EXPECT_EQ(jobs_.NextWakeup(), absl::InfiniteFuture());
  Settle();
  EXPECT_EQ(RunningPods("train").size(), 3u);
  json job = GetJson(kube::kJobs, "train");
  EXPECT_EQ(job["status"]["startTime"], kube::FormatTime(clock_.Now()));
  EXPECT_EQ(job["status"]["active"], 3);
  EXPECT_FALSE(jobs_.Step()) << "a settled controller makes no progress";

  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(jobs_.SucceedJob("default", "train"));
  Settle();
  job = GetJson(kube::kJobs, "train");
  EXPECT_EQ(Condition(job, "Complete").value("status", ""), "True");
  EXPECT_EQ(job["status"]["completionTime"], kube::FormatTime(clock_.Now()));
  EXPECT_EQ(Condition(job, "Complete")["lastTransitionTime"], kube::FormatTime(clock_.Now()));
}

json Policy() {
  return {{"rules",
           json::array({{{"action", "Ignore"}, {"onPodConditions", json::array({{{"type", "DisruptionTarget"}}})}},
                        {{"action", "FailJob"},
                         {"onExitCodes", {{"containerName", "worker"}, {"operator", "In"}, {"values", {42, 43}}}}},
                        {{"action", "Count"}, {"onExitCodes", {{"operator", "NotIn"}, {"values", {42}}}}}})}};
}

TEST_F(SteppedJobControllerTest, PodFailurePolicyIgnoresDisruptionsWithoutCountingThem) {
  CreateJob("j", 2, 0, Policy());
  Settle();
  std::vector<std::string> pods = RunningPods("j");
  ASSERT_EQ(pods.size(), 2u);
  // A disrupted pod (exit code 137) matches the Ignore rule first: not counted, its index restarted,
  // although backoffLimit is 0.
  FailPod(pods[0], 137, json::array({{{"type", "DisruptionTarget"}, {"status", "True"}}}));
  Settle();
  json job = GetJson(kube::kJobs, "j");
  EXPECT_TRUE(Condition(job, "Failed").is_null());
  EXPECT_EQ(job["status"]["failed"], 0);
  EXPECT_EQ(RunningPods("j").size(), 2u);
  // A DisruptionTarget condition that is False does not match it: Count, past backoffLimit 0.
  FailPod(pods[1], 137, json::array({{{"type", "DisruptionTarget"}, {"status", "False"}}}));
  Settle();
  job = GetJson(kube::kJobs, "j");
  EXPECT_EQ(Condition(job, "Failed").value("reason", ""), "BackoffLimitExceeded");
  EXPECT_EQ(job["status"]["failed"], 1);
}

TEST_F(SteppedJobControllerTest, PodFailurePolicyFailJobOnExitCode) {
  CreateJob("j", 2, 6, Policy());
  Settle();
  std::vector<std::string> pods = RunningPods("j");
  ASSERT_EQ(pods.size(), 2u);
  FailPod(pods[0], 1);  // Count: within backoffLimit 6, replaced
  Settle();
  json job = GetJson(kube::kJobs, "j");
  EXPECT_TRUE(Condition(job, "Failed").is_null());
  EXPECT_EQ(job["status"]["failed"], 1);
  pods = RunningPods("j");
  ASSERT_EQ(pods.size(), 2u);
  clock_.Advance(absl::Seconds(30));
  FailPod(pods[1], 42);
  Settle();
  job = GetJson(kube::kJobs, "j");
  const std::string message =
      "Container worker for pod default/" + pods[1] + " failed with exit code 42 matching FailJob rule at index 1";
  for (const char* type : {"FailureTarget", "Failed"}) {
    json c = Condition(job, type);
    EXPECT_EQ(c.value("status", ""), "True") << type;
    EXPECT_EQ(c.value("reason", ""), "PodFailurePolicy") << type;
    EXPECT_EQ(c.value("message", ""), message) << type;
    EXPECT_EQ(c.value("lastTransitionTime", ""), kube::FormatTime(clock_.Now())) << type;
  }
  EXPECT_TRUE(RunningPods("j").empty()) << "the failed Job's other pods are deleted";
}

TEST_F(SteppedJobControllerTest, PodFailurePolicyContainerNameAndPodConditionFailJob) {
  json policy = {{"rules",
                  json::array({{{"action", "FailJob"},
                                {"onExitCodes", {{"containerName", "sidecar"}, {"operator", "In"}, {"values", {42}}}}},
                               {{"action", "FailJob"},
                                {"onPodConditions", json::array({{{"type", "ConfigIssue"}, {"status", "True"}}})}}})}};
  CreateJob("j", 1, 6, policy);
  Settle();
  std::vector<std::string> pods = RunningPods("j");
  ASSERT_EQ(pods.size(), 1u);
  FailPod(pods[0], 42);  // container "worker", the rule names "sidecar": counted only
  Settle();
  json job = GetJson(kube::kJobs, "j");
  EXPECT_TRUE(Condition(job, "Failed").is_null());
  pods = RunningPods("j");
  ASSERT_EQ(pods.size(), 1u);
  FailPod(pods[0], 1, json::array({{{"type", "ConfigIssue"}, {"status", "True"}}}));
  Settle();
  job = GetJson(kube::kJobs, "j");
  EXPECT_EQ(Condition(job, "Failed").value("reason", ""), "PodFailurePolicy");
  EXPECT_EQ(Condition(job, "Failed").value("message", ""),
            "Pod default/" + pods[0] + " has condition ConfigIssue matching FailJob rule at index 1");
}


// The three emulations stepped together, as the simulator's driver does: the Job's pods are scheduled,
// run for their virtual duration and end with the exit code the workload gives; a FailJob rule on that
// exit code fails the Job.
TEST_F(SteppedJobControllerTest, WithSchedulerAndKubeletPodsRunOnTheVirtualClock) {
  JobController jobs(cluster_, JobControllerOptions{.run_pods_without_scheduler = false, .clock = &clock_});
  Scheduler scheduler(cluster_, SchedulerOptions{.clock = &clock_});
  KubeletOptions ko;
  ko.clock = &clock_;
  ko.run = [](const kube::Object& pod) -> std::optional<PodRun> {
    // Index 1 crashes after 2 minutes with exit code 42; the others would run 10 minutes.
    auto idx = pod.meta.labels.find("batch.kubernetes.io/job-completion-index");
    if (idx != pod.meta.labels.end() && idx->second == "1") return PodRun{absl::Minutes(2), 42, "Error"};
    return PodRun{absl::Minutes(10), 0, ""};
  };
  Kubelet kubelet(cluster_, ko);
  for (const char* n : {"n1", "n2", "n3"}) {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n}}}, {"spec", json::object()}};
    ASSERT_OK(cluster_.Create(kube::kNodes, "", node.dump()).status());
    json status = {{"status",
                    {{"allocatable", {{"cpu", "4"}, {"pods", "110"}}},
                     {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
    ASSERT_OK(cluster_.Patch(kube::kNodesStatus, "", n, kube::PatchType::kMerge, status.dump()).status());
  }
  CreateJob("j", 3, 6, Policy());
  const absl::Time t0 = clock_.Now();
  // The driver: step every component until none makes progress, then jump to the earliest wakeup.
  auto settle = [&] {
    for (int round = 0; round < 50; ++round) {
      bool progress = jobs.Step();
      progress = scheduler.Step() || progress;
      progress = kubelet.Step() || progress;
      if (!progress) return;
    }
    ADD_FAILURE() << "no quiescence after 50 rounds";
  };
  settle();
  EXPECT_EQ(RunningPods("j").size(), 3u);
  EXPECT_EQ(scheduler.Bindings().size(), 3u);
  const absl::Time wake =
      std::min({jobs.NextWakeup(), scheduler.NextWakeup(), kubelet.NextWakeup()});
  EXPECT_EQ(wake, t0 + absl::Minutes(2));
  clock_.Advance(wake - clock_.Now());
  settle();
  json job = GetJson(kube::kJobs, "j");
  EXPECT_EQ(Condition(job, "Failed").value("reason", ""), "PodFailurePolicy");
  EXPECT_EQ(Condition(job, "Failed").value("lastTransitionTime", ""), kube::FormatTime(t0 + absl::Minutes(2)));
  EXPECT_TRUE(RunningPods("j").empty());
}

}  // namespace stepped

}  // namespace
}  // namespace phalanx::sim
