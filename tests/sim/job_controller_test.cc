// The emulated Job controller against MemoryCluster, driven by the real Job request bodies of the v1.36
// fixtures; the resulting status is compared with what the real control plane returned
// (get-job-complete.json, get-job-failed.json).
#include "sim/job_controller.h"

#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "api/job_codec.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "kube/retry.h"
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

}  // namespace
}  // namespace phalanx::sim
