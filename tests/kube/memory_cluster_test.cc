// MemoryCluster behaviour beyond the Client conformance suite: admission hooks, watch history limits,
// deterministic names.
#include "kube/memory_cluster.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using ::phalanx::testing::StatusIs;
using Json = nlohmann::json;

TEST(MemoryClusterTest, AdmissionHooksMutateAndDeny) {
  MemoryCluster cluster;
  std::vector<std::string> seen;
  cluster.AddAdmissionHook([&](const Resource& r, AdmissionOperation op, std::string* object,
                               const std::string* old) -> absl::Status {
    seen.push_back(absl::StrCat(r.plural, r.subresource.empty() ? "" : "/", r.subresource,
                                op == AdmissionOperation::kCreate ? " create" : " update", old ? " old" : ""));
    if (r.plural != "pods") return absl::OkStatus();
    Json j = Json::parse(*object);
    if (j["metadata"].contains("labels") && j["metadata"]["labels"].value("deny", "") == "yes") {
      return ApiError(422, "", "admission webhook \"validate.phalanx.dev\" denied the request: no");
    }
    if (op == AdmissionOperation::kCreate) {
      j["spec"]["schedulingGates"] = Json::array({{{"name", "phalanx.dev/placement"}}});
      *object = j.dump();
    }
    return absl::OkStatus();
  });
  ASSERT_OK_AND_ASSIGN(Object p, cluster.Create(kPods, "default", R"({"metadata":{"generateName":"p-"},"spec":{}})"));
  EXPECT_EQ(Json::parse(p.json)["spec"]["schedulingGates"][0]["name"], "phalanx.dev/placement");
  absl::StatusOr<Object> denied =
      cluster.Create(kPods, "default", R"({"metadata":{"name":"d","labels":{"deny":"yes"}},"spec":{}})");
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(HttpCodeFor(denied.status()), 422);
  EXPECT_THAT(cluster.Get(kPods, "default", "d"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(cluster.Patch(kPodsStatus, "default", p.meta.name, PatchType::kMerge, R"({"status":{"phase":"Running"}})")
                .status());
  EXPECT_THAT(seen, ::testing::ElementsAre("pods create", "pods create", "pods/status update old"));
}

TEST(MemoryClusterTest, WatchBeyondTheHistoryLimitExpires) {
  MemoryClusterOptions o;
  o.history_limit = 2;
  MemoryCluster cluster(o);
  ASSERT_OK_AND_ASSIGN(Object a, cluster.Create(kNodes, "", R"({"metadata":{"name":"a"}})"));
  for (const char* n : {"b", "c", "d"}) ASSERT_OK(cluster.Create(kNodes, "", absl::StrCat(R"({"metadata":{"name":")", n, R"("}})")).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> old, cluster.Watch(kNodes, "", WatchOptions{.resource_version = a.meta.resource_version}));
  ASSERT_OK_AND_ASSIGN(WatchEvent ev, old->Next(absl::Seconds(1)));
  EXPECT_EQ(ev.type, WatchEventType::kError);
  EXPECT_THAT(ev.error, StatusIs(absl::StatusCode::kOutOfRange));
  // Within the window: replayed.
  WatchOptions recent;
  recent.resource_version = absl::StrCat(cluster.CurrentResourceVersion() - 1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, cluster.Watch(kNodes, "", recent));
  ASSERT_OK_AND_ASSIGN(WatchEvent last, w->Next(absl::Seconds(1)));
  EXPECT_EQ(last.type, WatchEventType::kAdded);
  EXPECT_EQ(last.object.meta.name, "d");
}

// As on a cluster without kubelets (the fixtures' foreground deletion): bound pods stay Terminating, and
// a Job deleted in the foreground waits for them until they are force-deleted.
TEST(MemoryClusterTest, GracefulPodDeletionHoldsForegroundOwners) {
  MemoryClusterOptions o;
  o.graceful_pod_deletion = true;
  MemoryCluster cluster(o);
  ASSERT_OK_AND_ASSIGN(Object job, cluster.Create(kJobs, "default", R"({"metadata":{"name":"j"},"spec":{}})"));
  std::string owner = absl::StrCat(R"("ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":")",
                                   job.meta.uid, R"(","controller":true,"blockOwnerDeletion":true}])");
  ASSERT_OK(cluster.Create(kPods, "default",
                           absl::StrCat(R"({"metadata":{"name":"bound",)", owner, R"(},"spec":{"nodeName":"n1"}})"))
                .status());
  ASSERT_OK(cluster.Create(kPods, "default", absl::StrCat(R"({"metadata":{"name":"pending",)", owner, R"(},"spec":{}})"))
                .status());
  DeleteOptions fg;
  fg.propagation = Propagation::kForeground;
  ASSERT_OK(cluster.Delete(kJobs, "default", "j", fg));
  EXPECT_THAT(cluster.Get(kPods, "default", "pending"), StatusIs(absl::StatusCode::kNotFound)) << "unbound: at once";
  ASSERT_OK_AND_ASSIGN(Object terminating, cluster.Get(kPods, "default", "bound"));
  EXPECT_TRUE(terminating.meta.deletion_timestamp.has_value());
  EXPECT_EQ(Json::parse(terminating.json)["metadata"]["deletionGracePeriodSeconds"], 30);
  ASSERT_OK_AND_ASSIGN(Object waiting, cluster.Get(kJobs, "default", "j"));
  EXPECT_THAT(waiting.meta.finalizers, ::testing::ElementsAre("foregroundDeletion"));
  DeleteOptions force;
  force.grace_period_seconds = 0;
  ASSERT_OK(cluster.Delete(kPods, "default", "bound", force));
  EXPECT_THAT(cluster.Get(kPods, "default", "bound"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cluster.Get(kJobs, "default", "j"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MemoryClusterTest, SameSeedSameNames) {
  MemoryCluster one, two;
  ASSERT_OK_AND_ASSIGN(Object a, one.Create(kPods, "default", R"({"metadata":{"generateName":"w-"}})"));
  ASSERT_OK_AND_ASSIGN(Object b, two.Create(kPods, "default", R"({"metadata":{"generateName":"w-"}})"));
  EXPECT_EQ(a.meta.name, b.meta.name);
  EXPECT_EQ(a.meta.uid, b.meta.uid);
  EXPECT_EQ(one.Count(kPods), 1u);
}

}  // namespace
}  // namespace phalanx::kube
