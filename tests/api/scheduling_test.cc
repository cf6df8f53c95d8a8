#include "api/scheduling.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/jobset_test_util.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(SchedulingTest, FixtureNodeListAndPodList) {
  std::string dir = phalanx::testing::FixturesDir() + "/api/";
  ASSERT_OK_AND_ASSIGN(ClusterState nodes,
                       DecodeClusterState(phalanx::testing::ReadFileOrDie(dir + "list-nodes-limit1-page1.json")));
  ASSERT_EQ(nodes.nodes.size(), 1u);
  const NodeInfo& n = nodes.nodes[0];
  EXPECT_TRUE(n.ready);
  EXPECT_EQ(n.allocatable.at("cpu"), 8000);
  EXPECT_EQ(n.allocatable.at("memory"), 32LL << 30);
  EXPECT_EQ(n.allocatable.at("google.com/tpu"), 4);
  EXPECT_EQ(n.allocatable.at("pods"), 110);
  ASSERT_OK_AND_ASSIGN(ClusterState pods,
                       DecodeClusterState(phalanx::testing::ReadFileOrDie(dir + "list-pods.json")));
  EXPECT_FALSE(pods.pods.empty());
  EXPECT_TRUE(pods.nodes.empty());
}

TEST(SchedulingTest, PodRequestsFollowTheSchedulerRule) {
  ASSERT_OK_AND_ASSIGN(ClusterState s, DecodeClusterState(R"({"apiVersion":"v1","kind":"List","items":[
    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ml",
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"d","uid":"1","controller":true}]},
     "spec":{"nodeName":"n1","priority":100,
       "containers":[{"name":"a","resources":{"requests":{"cpu":"500m"},"limits":{"cpu":"1","nvidia.com/gpu":"2"}}},
                     {"name":"b","resources":{"requests":{"cpu":"250m","memory":"1Gi"}}}],
       "initContainers":[{"name":"i","resources":{"requests":{"cpu":"2"}}}],
       "overhead":{"memory":"100"},
       "nodeSelector":{"pool":"a"},
       "tolerations":[{"key":"tpu","operator":"Exists","effect":"NoSchedule"}],
       "schedulingGates":[{"name":"phalanx.dev/placement"}],
       "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
         {"matchExpressions":[{"key":"zone","operator":"In","values":["z1","z2"]}]},
         {"matchFields":[{"key":"metadata.name","operator":"In","values":["n7"]}]}]}}}},
     "status":{"phase":"Running"}},
    {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ignored"}}]})"));
  ASSERT_EQ(s.pods.size(), 1u);
  const PodInfo& p = s.pods[0];
  EXPECT_EQ(p.node_name, "n1");
  EXPECT_EQ(p.phase, "Running");
  EXPECT_EQ(p.controller_kind, "DaemonSet");
  // cpu: max(500m + 250m, init 2000m) = 2000m; gpu from limits; memory 1Gi + overhead.
  EXPECT_THAT(p.scheduling.requests,
              ElementsAre(Pair("cpu", 2000), Pair("memory", (1LL << 30) + 100), Pair("nvidia.com/gpu", 2)));
  EXPECT_EQ(p.scheduling.priority, 100);
  EXPECT_THAT(p.scheduling.scheduling_gates, ElementsAre("phalanx.dev/placement"));
  ASSERT_EQ(p.scheduling.required_terms.size(), 2u);
  EXPECT_EQ(p.scheduling.required_terms[0].match_expressions[0].values.size(), 2u);
  EXPECT_THAT(p.scheduling.required_terms[1].node_names, ElementsAre("n7"));
  EXPECT_EQ(p.scheduling.tolerations[0].op, "Exists");
}

TEST(SchedulingTest, BadInputIsAnErrorNamingTheItem) {
  auto r = DecodeClusterState(R"({"kind":"List","items":[{"kind":"Node","metadata":{"name":"n"},
    "status":{"allocatable":{"cpu":"lots"}}}]})");
  ASSERT_THAT(r, phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("items[0].status.allocatable.cpu"));
  EXPECT_THAT(DecodeClusterState(R"({"kind":"Deployment"})"),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SchedulingTest, TemplateScheduling) {
  JobSet js = testing::FromYaml(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: t}
spec:
  replicatedJobs:
  - name: w
    template:
      spec:
        template:
          spec:
            nodeSelector: {pool: a}
            containers: [{name: c, resources: {limits: {google.com/tpu: "4"}}}]
)");
  ASSERT_OK_AND_ASSIGN(PodScheduling s, TemplateScheduling(js.spec.rjobs()[0].template_.spec.template_));
  EXPECT_EQ(s.requests.at("google.com/tpu"), 4);
  EXPECT_EQ(s.node_selector.at("pool"), "a");
}

// The gang's demand (from the template) and what its pods are filtered with (from the pod) must be the
// same number: sidecars add to the sum, pod-level resources replace cpu and memory.
TEST(SchedulingTest, TemplateAndPodCountSidecarsAndPodLevelResourcesAlike) {
  const std::string spec = R"({"containers":[{"name":"c","resources":{"requests":{"cpu":"1","google.com/tpu":"4"}}}],
    "initContainers":[{"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"1"}}},
                      {"name":"setup","resources":{"requests":{"cpu":"3"}}}],
    "resources":{"requests":{"memory":"2Gi"}}})";
  ASSERT_OK_AND_ASSIGN(ClusterState pods, DecodeClusterState(absl::StrCat(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":)", spec, "}")));
  JobSet js = testing::FromYaml(absl::StrCat(R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet",
    "metadata":{"name":"t"},"spec":{"replicatedJobs":[{"name":"w","template":{"spec":{"template":{"spec":)",
                                             spec, "}}}}]}}"));
  ASSERT_OK_AND_ASSIGN(PodScheduling tmpl, TemplateScheduling(js.spec.rjobs()[0].template_.spec.template_));
  // cpu: containers 1 + sidecar 1 = 2, and the setup init container runs beside the sidecar: 3 + 1 = 4.
  EXPECT_THAT(tmpl.requests, ElementsAre(Pair("cpu", 4000), Pair("google.com/tpu", 4), Pair("memory", 2LL << 30)));
  ASSERT_EQ(pods.pods.size(), 1u);
  EXPECT_EQ(pods.pods[0].scheduling.requests, tmpl.requests);
}

}  // namespace
}  // namespace phalanx::api
