// scheduler-extender/fencing.h: the node taint patches (applied to real captured Nodes in a MemoryCluster),
// the toleration in the ungate-and-pin patch (applied under the API's rules for gated pods), and the
// Fencer reconciling nodes against the reservations — also after a restart.
#include "scheduler-extender/fencing.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "scheduler-extender/pinning.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using Json = nlohmann::json;

// The captured Node tpu-node-a-0, without server-set fields, with `taints` (JSON array or "").
std::string NodeJson(const std::string& name, const std::string& taints) {
  Json node = Json::parse(phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                                          "/api/create-node-tpu-node-a-0.request.json"));
  node["metadata"]["name"] = name;
  if (!taints.empty()) node["spec"]["taints"] = Json::parse(taints);
  return node.dump();
}

Json Taints(kube::MemoryCluster& cluster, const std::string& name) {
  absl::StatusOr<kube::Object> node = cluster.Get(kube::kNodes, "", name);
  EXPECT_TRUE(node.ok()) << node.status();
  if (!node.ok()) return Json();
  return Json::parse(node->json)["spec"].value("taints", Json::array());
}

const char kGpuTaint[] = R"({"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"})";

TEST(FencePatchTest, TableOnTheApi) {
  struct Case {
    std::string name;
    std::string taints;                // the node's spec.taints ("" = none)
    std::optional<std::string> want;   // the fence value wanted
    bool patch;                        // a patch is needed
    Json after;                        // spec.taints afterwards
  };
  Json fence_a = {{"key", "phalanx.dev/reserved"}, {"value", "uid-a"}, {"effect", "NoSchedule"}};
  Json fence_b = {{"key", "phalanx.dev/reserved"}, {"value", "uid-b"}, {"effect", "NoSchedule"}};
  Json gpu = Json::parse(kGpuTaint);
  std::vector<Case> cases = {
      {"no taints: the list is created", "", "uid-a", true, Json::array({fence_a})},
      {"other taints stay: appended", std::string("[") + kGpuTaint + "]", "uid-a", true, Json::array({gpu, fence_a})},
      {"already fenced for the gang", Json::array({gpu, fence_a}).dump(), "uid-a", false, Json::array({gpu, fence_a})},
      {"another gang's value is replaced", Json::array({fence_b, gpu}).dump(), "uid-a", true, Json::array({fence_a, gpu})},
      {"released: removed, others kept", Json::array({gpu, fence_a}).dump(), std::nullopt, true, Json::array({gpu})},
      {"nothing to remove", std::string("[") + kGpuTaint + "]", std::nullopt, false, Json::array({gpu})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    kube::MemoryCluster cluster;
    ASSERT_OK(cluster.Create(kube::kNodes, "", NodeJson("n1", c.taints)));
    ASSERT_OK_AND_ASSIGN(kube::Object node, cluster.Get(kube::kNodes, "", "n1"));
    ASSERT_OK_AND_ASSIGN(NodeFence fence, ReadNodeFence(node.json));
    std::optional<api::JsonPatch> patch = FencePatch(fence, c.want);
    ASSERT_EQ(patch.has_value(), c.patch);
    if (patch) ASSERT_OK(cluster.Patch(kube::kNodes, "", "n1", kube::PatchType::kJson, patch->ToJson()));
    EXPECT_EQ(Taints(cluster, "n1"), c.after);
  }
}

TEST(FencePatchTest, StaleIndexFailsInsteadOfEditingAnotherTaint) {
  kube::MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kube::kNodes, "", NodeJson("n1", std::string("[") + kGpuTaint + "]")));
  NodeFence stale{"n1", true, 0, "uid-a", "NoSchedule"};  // the cache thought our taint was at 0
  std::optional<api::JsonPatch> patch = FencePatch(stale, std::nullopt);
  ASSERT_TRUE(patch);
  EXPECT_FALSE(cluster.Patch(kube::kNodes, "", "n1", kube::PatchType::kJson, patch->ToJson()).ok());
  EXPECT_EQ(Taints(cluster, "n1").size(), 1u);
}

TEST(StripFenceTaintsTest, OnlyOurs) {
  std::vector<placement::Taint> taints = {{"phalanx.dev/reserved", "uid-a", placement::TaintEffect::kNoSchedule},
                                          {"nvidia.com/gpu", "present", placement::TaintEffect::kNoSchedule}};
  StripFenceTaints(taints);
  ASSERT_EQ(taints.size(), 1u);
  EXPECT_EQ(taints[0].key, "nvidia.com/gpu");
}

std::string GatedPod(const std::string& spec_extra) {
  std::string spec = R"("containers":[{"name":"c","image":"i"}],"schedulingGates":[{"name":"phalanx.dev/placement"}])";
  if (!spec_extra.empty()) spec += "," + spec_extra;
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{)" + spec + "}}";
}

// The ungate-and-pin patch carries the toleration; the API accepts it on a gated pod.
TEST(PinPatchFencingTest, TolerationInTheSamePatch) {
  PinTarget target{{{"cloud.google.com/gke-nodepool", "pool-b"}}, {"tpu-b-0", "tpu-b-1"}, "uid-a"};
  Json toleration = {{"key", "phalanx.dev/reserved"}, {"operator", "Equal"}, {"value", "uid-a"}, {"effect", "NoSchedule"}};
  Json existing = {{"key", "node.kubernetes.io/not-ready"}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 300}};
  for (const std::string& extra : {std::string(""), R"("tolerations":[)" + existing.dump() + "]"}) {
    SCOPED_TRACE(extra);
    const std::string pod = GatedPod(extra);
    ASSERT_OK_AND_ASSIGN(PinShape shape, ReadPinShape(pod));
    EXPECT_FALSE(HasPinConstraints(shape, target));
    ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(shape, target));
    kube::MemoryCluster cluster;
    ASSERT_OK(cluster.Create(kube::kPods, "default", pod));
    ASSERT_OK_AND_ASSIGN(kube::Object patched, cluster.Patch(kube::kPods, "default", "p", kube::PatchType::kJson, patch.ToJson()));
    Json spec = Json::parse(patched.json)["spec"];
    EXPECT_FALSE(spec.contains("schedulingGates") && !spec["schedulingGates"].empty());
    EXPECT_EQ(spec["nodeSelector"]["cloud.google.com/gke-nodepool"], "pool-b");
    ASSERT_TRUE(spec.contains("tolerations"));
    EXPECT_EQ(spec["tolerations"].back(), toleration);
    EXPECT_EQ(spec["tolerations"].size(), extra.empty() ? 1u : 2u);
    // Read back, the pod is pinned (toleration included).
    ASSERT_OK_AND_ASSIGN(PinShape after, ReadPinShape(patched.json));
    EXPECT_TRUE(IsPinned(after, target));
  }
  // Without fencing nothing about tolerations is added.
  PinTarget plain = target;
  plain.fence_value.clear();
  ASSERT_OK_AND_ASSIGN(PinShape shape, ReadPinShape(GatedPod("")));
  ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(shape, plain));
  EXPECT_EQ(patch.ToJson().find("tolerations"), std::string::npos);
  // A pod that already tolerates the fence gets no second toleration.
  ASSERT_OK_AND_ASSIGN(PinShape tolerating, ReadPinShape(GatedPod(R"("tolerations":[)" + toleration.dump() + "]")));
  EXPECT_EQ(tolerating.fence_tolerations, std::vector<std::string>{"uid-a"});
  ASSERT_OK_AND_ASSIGN(api::JsonPatch again, PinPatch(tolerating, target));
  EXPECT_EQ(again.ToJson().find("tolerations"), std::string::npos);
}

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

TEST(FencerTest, ReconcilesNodesAgainstReservationsAndAfterRestart) {
  kube::MemoryCluster cluster;
  for (const char* n : {"a-0", "a-1", "b-0"}) ASSERT_OK(cluster.Create(kube::kNodes, "", NodeJson(n, "")));
  ASSERT_OK(cluster.Create(kube::kNodes, "", NodeJson("c-0", std::string("[") + kGpuTaint + "]")));
  {
    Fencer fencer(cluster);
    fencer.Start();
    ASSERT_TRUE(WaitFor([&] { return fencer.Synced(); }));
    ASSERT_OK(fencer.Apply({{"a-0", "uid-a"}, {"a-1", "uid-a"}, {"c-0", "uid-c"}}));
    EXPECT_EQ(Taints(cluster, "a-0").size(), 1u);
    EXPECT_EQ(Taints(cluster, "a-1")[0]["value"], "uid-a");
    EXPECT_TRUE(Taints(cluster, "b-0").empty());
    EXPECT_EQ(Taints(cluster, "c-0").size(), 2u);
    EXPECT_EQ(fencer.FencedNodes(), 3u);
    // Applying the same reservations again sends nothing.
    const int64_t patches = fencer.Patches();
    ASSERT_OK(fencer.Apply({{"a-0", "uid-a"}, {"a-1", "uid-a"}, {"c-0", "uid-c"}}));
    EXPECT_EQ(fencer.Patches(), patches);
    // uid-c released.
    ASSERT_OK(fencer.Apply({{"a-0", "uid-a"}, {"a-1", "uid-a"}}));
    EXPECT_EQ(Taints(cluster, "c-0"), Json::array({Json::parse(kGpuTaint)}));
    fencer.Stop();
  }
  // The extender restarts; meanwhile uid-a was released and b-0 reserved for uid-b. The first round
  // after adoption leaves only b-0 fenced.
  Fencer restarted(cluster);
  restarted.Start();
  ASSERT_TRUE(WaitFor([&] { return restarted.Synced(); }));
  EXPECT_EQ(restarted.FencedNodes(), 2u);
  ASSERT_OK(restarted.Apply({{"b-0", "uid-b"}}));
  EXPECT_TRUE(Taints(cluster, "a-0").empty());
  EXPECT_TRUE(Taints(cluster, "a-1").empty());
  EXPECT_EQ(Taints(cluster, "b-0")[0]["value"], "uid-b");
  EXPECT_EQ(Taints(cluster, "c-0").size(), 1u);
  restarted.Stop();
}

}  // namespace
}  // namespace phalanx::extender
