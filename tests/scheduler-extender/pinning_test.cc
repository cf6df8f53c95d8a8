// scheduler-extender/pinning.h: the ungate-and-pin patch. Every accepted patch is applied to the gated
// pod in a MemoryCluster, which enforces the API server's rules for gated pods (kube/pod_update_validation.h,
// checked there against the real API's answers), and golden tests compare with the patches the real API
// accepted in fixtures k8s-v1.36/pinning/.
#include "scheduler-extender/pinning.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using Json = nlohmann::json;
using ::phalanx::testing::StatusIs;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/pinning/" + name);
}

PinTarget PoolB() {
  return {{{"cloud.google.com/gke-nodepool", "pool-b"}}, {"tpu-b-0", "tpu-b-1", "tpu-b-2", "tpu-b-3"}};
}

PinTarget BlockRack() {
  return {{{"topology.example.com/block", "b2"}, {"topology.example.com/rack", "rack-1"}}, {"n-5", "n-6", "n-7"}};
}

// A gated pod named "p" with `spec_extra` (JSON members) added to its spec.
std::string GatedPod(const std::string& spec_extra, const std::string& gates = R"([{"name":"phalanx.dev/placement"}])") {
  std::string spec = R"("containers":[{"name":"c","image":"i"}])";
  if (!gates.empty()) spec += R"(,"schedulingGates":)" + gates;
  if (!spec_extra.empty()) spec += "," + spec_extra;
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{)" + spec + "}}";
}

// Creates `pod` in a fresh MemoryCluster and applies `patch`: the stored pod, or the API's refusal.
absl::StatusOr<Json> ApplyOnApi(const std::string& pod, const api::JsonPatch& patch) {
  kube::MemoryCluster cluster;
  Json p = Json::parse(pod);
  absl::StatusOr<kube::Object> created = cluster.Create(kube::kPods, "default", pod);
  if (!created.ok()) return created.status();
  absl::StatusOr<kube::Object> patched =
      cluster.Patch(kube::kPods, "default", p["metadata"]["name"].get<std::string>(), kube::PatchType::kJson,
                    patch.ToJson());
  if (!patched.ok()) return patched.status();
  return Json::parse(patched->json);
}

PinShape Shape(const std::string& pod) {
  absl::StatusOr<PinShape> s = ReadPinShape(pod);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : PinShape{};
}

Json Terms(const Json& pod) {
  return pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
}

Json NameTerm(const std::string& node) {
  return {{"matchFields", {{{"key", "metadata.name"}, {"operator", "In"}, {"values", {node}}}}}};
}

Json In(const std::string& key, const std::string& value) {
  return {{"key", key}, {"operator", "In"}, {"values", {value}}};
}

TEST(PinPatchGoldenTest, UngatePinMatchesTheAcceptedCapture) {
  std::string pod = Fixture("gated-pod.request.json");
  ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(Shape(pod), PoolB()));
  EXPECT_EQ(Json::parse(patch.ToJson()), Json::parse(Fixture("ungate-pin.patch.json")));
  ASSERT_OK_AND_ASSIGN(Json pinned, ApplyOnApi(pod, patch));
  Json want = Json::parse(Fixture("ungate-pin.response.json"));
  EXPECT_EQ(pinned["spec"]["affinity"], want["spec"]["affinity"]);
  EXPECT_EQ(pinned["spec"]["nodeSelector"], want["spec"]["nodeSelector"]);
}

TEST(PinPatchGoldenTest, NarrowUserTermMatchesTheAcceptedCapture) {
  std::string pod = Fixture("narrow-user-term.pod.request.json");
  ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(Shape(pod), PoolB()));
  Json ops = Json::parse(patch.ToJson());
  ASSERT_GE(ops.size(), 1u);
  EXPECT_EQ(ops[0], Json::parse(R"({"op":"test","path":"/spec/schedulingGates/0/name","value":"phalanx.dev/placement"})"));
  ops.erase(ops.begin());  // the capture has no test op; the rest is the same
  EXPECT_EQ(ops, Json::parse(Fixture("narrow-user-term.patch.json")));
  ASSERT_OK_AND_ASSIGN(Json pinned, ApplyOnApi(pod, patch));
  Json want = Json::parse(Fixture("narrow-user-term.response.json"));
  EXPECT_EQ(pinned["spec"]["affinity"], want["spec"]["affinity"]);
}

struct AcceptedCase {
  const char* name;
  std::string pod;
  PinTarget target;
  // Checks on the pod as stored after the patch.
  std::function<void(const Json&)> check;
};

TEST(PinPatchTest, AcceptedByTheApiAndPinned) {
  const Json pod_anti = Json::parse(
      R"({"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"a":"b"}},"topologyKey":"kubernetes.io/hostname"}]})");
  const Json preferred = Json::parse(
      R"([{"weight":5,"preference":{"matchExpressions":[{"key":"spot","operator":"DoesNotExist"}]}}])");
  std::vector<AcceptedCase> cases = {
      {"no constraints, two-level path", GatedPod(""), BlockRack(),
       [](const Json& p) {
         EXPECT_EQ(p["spec"]["nodeSelector"],
                   Json({{"topology.example.com/block", "b2"}, {"topology.example.com/rack", "rack-1"}}));
         EXPECT_EQ(Terms(p), Json({NameTerm("n-5"), NameTerm("n-6"), NameTerm("n-7")}));
       }},
      {"pod anti-affinity and preferred node terms are kept",
       GatedPod(R"("affinity":{"podAntiAffinity":)" + pod_anti.dump() +
                R"(,"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":)" + preferred.dump() + "}}"),
       PoolB(),
       [&](const Json& p) {
         EXPECT_EQ(p["spec"]["affinity"]["podAntiAffinity"], pod_anti);
         EXPECT_EQ(p["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"], preferred);
         EXPECT_EQ(Terms(p).size(), 4u);
       }},
      {"affinity without nodeAffinity", GatedPod(R"("affinity":{"podAntiAffinity":)" + pod_anti.dump() + "}"), PoolB(),
       [&](const Json& p) {
         EXPECT_EQ(p["spec"]["affinity"]["podAntiAffinity"], pod_anti);
         EXPECT_EQ(Terms(p)[3], NameTerm("tpu-b-3"));
       }},
      {"empty nodeSelectorTerms list",
       GatedPod(R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}})"),
       PoolB(), [](const Json& p) { EXPECT_EQ(Terms(p).size(), 4u); }},
      {"Kueue's gate first and its nodeSelector (same block) kept",
       GatedPod(R"("nodeSelector":{"topology.example.com/block":"b2","cloud.google.com/gke-spot":"true"})",
                R"([{"name":"kueue.x-k8s.io/topology"},{"name":"phalanx.dev/placement"}])"),
       BlockRack(),
       [](const Json& p) {
         EXPECT_EQ(p["spec"]["schedulingGates"], Json::parse(R"([{"name":"kueue.x-k8s.io/topology"}])"));
         EXPECT_EQ(p["spec"]["nodeSelector"], Json({{"topology.example.com/block", "b2"},
                                                    {"topology.example.com/rack", "rack-1"},
                                                    {"cloud.google.com/gke-spot", "true"}}));
       }},
      {"user terms: expressions-only, fields-only and empty",
       GatedPod(R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[)"
                R"({"matchExpressions":[{"key":"acc","operator":"Exists"}]},)"
                R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["n-6"]}]},)"
                R"({}]}}})"),
       BlockRack(),
       [](const Json& p) {
         Json t = Terms(p);
         ASSERT_EQ(t.size(), 3u);
         EXPECT_EQ(t[0]["matchExpressions"],
                   Json({Json({{"key", "acc"}, {"operator", "Exists"}}), In("topology.example.com/block", "b2"),
                         In("topology.example.com/rack", "rack-1")}));
         EXPECT_EQ(t[1]["matchFields"], NameTerm("n-6")["matchFields"]);
         EXPECT_EQ(t[1]["matchExpressions"],
                   Json({In("topology.example.com/block", "b2"), In("topology.example.com/rack", "rack-1")}));
         EXPECT_EQ(t[2], Json::object());  // the empty term matches nothing and stays so
       }},
      {"a term that already names the block gets only the rack",
       GatedPod(R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[)"
                R"({"matchExpressions":[{"key":"topology.example.com/block","operator":"In","values":["b2"]}]}]}}})"),
       BlockRack(),
       [](const Json& p) {
         EXPECT_EQ(Terms(p)[0]["matchExpressions"],
                   Json({In("topology.example.com/block", "b2"), In("topology.example.com/rack", "rack-1")}));
       }},
  };
  for (const AcceptedCase& c : cases) {
    SCOPED_TRACE(c.name);
    PinShape before = Shape(c.pod);
    EXPECT_FALSE(IsPinned(before, c.target));
    EXPECT_FALSE(HasPinConstraints(before, c.target));
    ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(before, c.target));
    ASSERT_OK_AND_ASSIGN(Json pinned, ApplyOnApi(c.pod, patch));
    c.check(pinned);
    for (const Json& g : pinned["spec"].value("schedulingGates", Json::array())) {
      EXPECT_NE(g["name"], "phalanx.dev/placement");
    }
    PinShape after = Shape(pinned.dump());
    EXPECT_TRUE(IsPinned(after, c.target));
    // Pinned elsewhere is not pinned here.
    PinTarget other = c.target;
    other.path_labels.back().second += "-other";
    EXPECT_FALSE(IsPinned(after, other));
    // And an ungated pod cannot be patched again.
    EXPECT_THAT(PinPatch(after, c.target), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(PinPatchTest, ConstraintsAlreadyThereButGatedStillNeedTheUngate) {
  std::string pod = GatedPod(R"("nodeSelector":{"cloud.google.com/gke-nodepool":"pool-b"},)"
                             R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[)" +
                             NameTerm("tpu-b-0").dump() + "," + NameTerm("tpu-b-1").dump() + "," +
                             NameTerm("tpu-b-2").dump() + "," + NameTerm("tpu-b-3").dump() + "]}}}");
  PinShape shape = Shape(pod);
  EXPECT_TRUE(HasPinConstraints(shape, PoolB()));
  EXPECT_FALSE(IsPinned(shape, PoolB()));
  ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(shape, PoolB()));
  // Only the ungate is left to do.
  EXPECT_EQ(patch.size(), 2u);
  ASSERT_OK_AND_ASSIGN(Json pinned, ApplyOnApi(pod, patch));
  EXPECT_EQ(Terms(pinned), Terms(Json::parse(pod)));
  EXPECT_TRUE(IsPinned(Shape(pinned.dump()), PoolB()));
}

TEST(PinPatchTest, Refusals) {
  // Another value for a path key: the pod cannot run in this domain, and the API forbids the change.
  EXPECT_THAT(PinPatch(Shape(GatedPod(R"("nodeSelector":{"topology.example.com/block":"b1"})")), BlockRack()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Not gated by us.
  EXPECT_THAT(PinPatch(Shape(GatedPod("", R"([{"name":"kueue.x-k8s.io/topology"}])")), PoolB()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PinPatch(Shape(GatedPod("", "")), PoolB()), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Only empty terms: matches no node, cannot be narrowed.
  absl::StatusOr<api::JsonPatch> empty_terms = PinPatch(
      Shape(GatedPod(R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{},{"matchExpressions":[]}]}}})")),
      PoolB());
  EXPECT_THAT(empty_terms, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(empty_terms.status().message()), HasSubstr("empty"));
  // Unusable targets.
  PinShape gated = Shape(GatedPod(""));
  EXPECT_THAT(PinPatch(gated, PinTarget{{}, {"n"}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PinPatch(gated, PinTarget{{{"k", "v"}}, {}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PinPatch(gated, PinTarget{{{"k", "v"}, {"k", "w"}}, {"n"}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PinPatch(gated, PinTarget{{{"k", ""}}, {"n"}}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PinPatchTest, StaleGateIndexFailsTheWholePatch) {
  // The cache saw our gate at index 0; meanwhile it moved. The test op makes the API refuse everything.
  PinShape stale = Shape(GatedPod(""));
  ASSERT_OK_AND_ASSIGN(api::JsonPatch patch, PinPatch(stale, PoolB()));
  absl::StatusOr<Json> r =
      ApplyOnApi(GatedPod("", R"([{"name":"example.com/other"},{"name":"phalanx.dev/placement"}])"), patch);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ReadPinShapeTest, ReadsWhatThePatchNeeds) {
  ASSERT_OK_AND_ASSIGN(
      PinShape s,
      ReadPinShape(GatedPod(R"("nodeSelector":{"z":"1","a":"2"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[)"
                            R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]},)"
                            R"({"matchExpressions":[{"key":"k","operator":"In","values":["v"]},{"key":"x","operator":"In","values":["1","2"]}]}]}}})",
                            R"([{"name":"a"},{"name":"phalanx.dev/placement"}])")));
  EXPECT_EQ(s.gates, (std::vector<std::string>{"a", "phalanx.dev/placement"}));
  EXPECT_EQ(s.GateIndex("phalanx.dev/placement"), 1);
  EXPECT_EQ(s.GateIndex("nope"), -1);
  ASSERT_NE(s.NodeSelector("a"), nullptr);
  EXPECT_EQ(*s.NodeSelector("a"), "2");
  EXPECT_EQ(s.NodeSelector("b"), nullptr);
  EXPECT_TRUE(s.has_affinity && s.has_node_affinity);
  ASSERT_EQ(s.required_terms.size(), 2u);
  EXPECT_FALSE(s.required_terms[0].has_match_expressions);
  EXPECT_EQ(s.required_terms[0].node_names, std::vector<std::string>{"n1"});
  EXPECT_TRUE(s.required_terms[1].has_match_expressions);
  EXPECT_EQ(s.required_terms[1].single_value_in.size(), 1u);  // the two-value requirement is not ours
}

TEST(ReadPinShapeTest, MalformedPodsAreErrors) {
  for (const char* bad : {"", "{", "[]", R"({"spec":[]})", R"({"spec":{"schedulingGates":{}}})",
                          R"({"spec":{"schedulingGates":[{"name":3}]}})", R"({"spec":{"nodeSelector":{"a":1}}})",
                          R"({"spec":{"affinity":"x"}})",
                          R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[1]}}}}})",
                          R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"values":[1]}]}]}}}}})"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ReadPinShape(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  absl::StatusOr<PinShape> s = ReadPinShape(R"({"spec":{"nodeSelector":{"a":1}}})");
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("spec.nodeSelector.a: expected string, got number"));
  // null reads as absent.
  ASSERT_OK_AND_ASSIGN(PinShape n, ReadPinShape(R"({"spec":{"nodeSelector":null,"affinity":null}})"));
  EXPECT_FALSE(n.has_node_selector);
  EXPECT_FALSE(n.has_affinity);
}

}  // namespace
}  // namespace phalanx::extender
