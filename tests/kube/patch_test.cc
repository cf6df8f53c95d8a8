// The three patch types applied in memory, checked against the real API server's results in the
// fixtures: the gated pods before (create-pod-gated-*.json) and after each patch.
#include "kube/internal/patch.h"

#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube::internal {
namespace {

Json Load(const std::string& name) {
  absl::StatusOr<Json> j = ParseJson(::phalanx::testing::ReadFileOrDie(::phalanx::testing::FixturesDir() + "/api/" + name));
  EXPECT_OK(j);
  return j.ok() ? *j : Json();
}

// Fields a patch decides (server-managed metadata and status aside).
void ExpectSameSpec(const Json& got, const Json& want) {
  EXPECT_EQ(got["spec"].value("schedulingGates", Json()), want["spec"].value("schedulingGates", Json()));
  EXPECT_EQ(got["spec"].value("nodeSelector", Json()), want["spec"].value("nodeSelector", Json()));
  EXPECT_EQ(got["spec"]["containers"], want["spec"]["containers"]);
}

TEST(PatchTest, MergePatchMatchesTheServer) {
  ASSERT_OK_AND_ASSIGN(Json got, ApplyMergePatch(Load("create-pod-gated-merge.json"),
                                                 Load("patch-pod-remove-gate-merge.request.json")));
  ExpectSameSpec(got, Load("patch-pod-remove-gate-merge.json"));
}

TEST(PatchTest, JsonPatchMatchesTheServer) {
  ASSERT_OK_AND_ASSIGN(Json got, ApplyJsonPatch(Load("create-pod-gated-json.json"),
                                                Load("patch-pod-remove-gate-jsonpatch.request.json")));
  ExpectSameSpec(got, Load("patch-pod-remove-gate-jsonpatch.json"));
}

TEST(PatchTest, StrategicMergePatchMatchesTheServer) {
  ASSERT_OK_AND_ASSIGN(Json got, ApplyStrategicMergePatch(Load("create-pod-gated-smp.json"),
                                                          Load("patch-pod-remove-gate-strategic.request.json")));
  ExpectSameSpec(got, Load("patch-pod-remove-gate-strategic.json"));
}

TEST(PatchTest, StrategicMergeOfPodStatusMergesConditionsByType) {
  Json pod = Load("get-job-pod-index1.json");
  ASSERT_OK_AND_ASSIGN(Json got, ApplyStrategicMergePatch(pod, Load("patch-pod-status-running.request.json")));
  EXPECT_EQ(got["status"]["phase"], "Running");
  int ready = 0;
  for (const Json& c : got["status"]["conditions"]) ready += c["type"] == "Ready";
  EXPECT_EQ(ready, 1) << "conditions merge by type, not append";
}

TEST(PatchTest, JsonPatchFailuresAreErrors) {
  Json doc = {{"spec", {{"a", 1}}}};
  Json test_fails = Json::array({{{"op", "test"}, {"path", "/spec/a"}, {"value", 2}}});
  EXPECT_THAT(ApplyJsonPatch(doc, test_fails), ::phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  Json add_to_missing = Json::array({{{"op", "add"}, {"path", "/spec/gates/-"}, {"value", 1}}});
  EXPECT_THAT(ApplyJsonPatch(doc, add_to_missing), ::phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  Json escaped = Json::array({{{"op", "add"}, {"path", "/spec/x~1y"}, {"value", 1}}});
  ASSERT_OK_AND_ASSIGN(Json got, ApplyJsonPatch(doc, escaped));
  EXPECT_EQ(got["spec"]["x/y"], 1);
}

}  // namespace
}  // namespace phalanx::kube::internal
