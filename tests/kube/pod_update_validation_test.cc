// kube/pod_update_validation.h: the API server's pod update rules, as a table and against the real API's
// answers captured in fixtures pinning/ and api/ (each replayed through MemoryCluster).
#include "kube/pod_update_validation.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;
using ::phalanx::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Fixture(const std::string& path) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/" + path);
}

// A pod whose spec is `spec` (JSON text).
std::string Pod(const std::string& spec) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":)" + spec + "}";
}

constexpr char kGate[] = R"("schedulingGates":[{"name":"phalanx.dev/placement"}])";
constexpr char kContainers[] = R"("containers":[{"name":"c","image":"i:1"}])";

std::string Spec(const std::string& extra, bool gated) {
  std::string s = std::string("{") + kContainers;
  if (gated) s += std::string(",") + kGate;
  if (!extra.empty()) s += "," + extra;
  return s + "}";
}

std::vector<std::string> Messages(const std::vector<PodFieldError>& errs) {
  std::vector<std::string> out;
  for (const PodFieldError& e : errs) out.push_back(e.ToString());
  return out;
}

struct Case {
  const char* name;
  bool gated;  // the old pod carries kGate
  std::string old_extra, new_extra;
  bool new_gated;
  // "" = allowed; otherwise the start of the first error's "<field>: <body>".
  std::string error;
};

const char kTerm[] = R"({"matchExpressions":[{"key":"acc","operator":"Exists"}]})";
std::string Required(const std::string& terms) {
  return R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[)" +
         terms + "]}}}";
}
std::string NameTerm(const std::string& node) {
  return R"({"matchFields":[{"key":"metadata.name","operator":"In","values":[")" + node + R"("]}]})";
}

TEST(PodUpdateValidationTest, Table) {
  const std::string kAffPath =
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
  const std::string kForbidden = "spec: Forbidden: pod updates may not change fields other than";
  std::vector<Case> cases = {
      {"remove gate", true, "", "", false, ""},
      {"remove gate and add nodeSelector", true, "", R"("nodeSelector":{"pool":"b"})", false, ""},
      {"add nodeSelector key keeping the gate", true, R"("nodeSelector":{"a":"1"})",
       R"("nodeSelector":{"a":"1","b":"2"})", true, ""},
      {"change nodeSelector value", true, R"("nodeSelector":{"a":"1"})", R"("nodeSelector":{"a":"2"})", false,
       R"(spec.nodeSelector: Invalid value: {"a":"2"}: only additions to spec.nodeSelector are allowed (no mutations or deletions))"},
      {"delete nodeSelector key", true, R"("nodeSelector":{"a":"1","b":"2"})", R"("nodeSelector":{"b":"2"})", false,
       "spec.nodeSelector: Invalid value: {\"b\":\"2\"}: only additions"},
      {"nodeSelector on an ungated pod", false, "", R"("nodeSelector":{"pool":"b"})", false, kForbidden},
      {"set required affinity when none", true, "", Required(NameTerm("n1") + "," + NameTerm("n2")), false, ""},
      {"set required affinity when the list is empty", true, Required(""), Required(NameTerm("n1")), false, ""},
      {"append an expression to a term", true, Required(kTerm),
       Required(R"({"matchExpressions":[{"key":"acc","operator":"Exists"},{"key":"pool","operator":"In","values":["b"]}]})"),
       false, ""},
      {"append matchFields to an expressions-only term", true, Required(kTerm),
       Required(R"({"matchExpressions":[{"key":"acc","operator":"Exists"}],"matchFields":[{"key":"metadata.name","operator":"In","values":["n"]}]})"),
       false, ""},
      {"add a term", true, Required(kTerm), Required(std::string(kTerm) + "," + NameTerm("n1")), false,
       kAffPath + ": Invalid value: [{\"MatchExpressions\":[{\"Key\":\"acc\",\"Operator\":\"Exists\",\"Values\":null}],"
                  "\"MatchFields\":null},{\"MatchExpressions\":null,\"MatchFields\":[{\"Key\":\"metadata.name\","
                  "\"Operator\":\"In\",\"Values\":[\"n1\"]}]}]: no additions/deletions to non-empty NodeSelectorTerms "
                  "list are allowed"},
      {"remove required affinity", true, Required(kTerm), "", false,
       kAffPath + ": Invalid value: null: no additions/deletions"},
      {"prepend an expression", true, Required(kTerm),
       Required(R"({"matchExpressions":[{"key":"pool","operator":"In","values":["b"]},{"key":"acc","operator":"Exists"}]})"),
       false, kAffPath + "[0]: Invalid value: {\"MatchExpressions\":[{\"Key\":\"pool\""},
      {"narrow a completely empty term", true, Required(std::string(kTerm) + ",{}"),
       Required(std::string(kTerm) + R"(,{"matchExpressions":[{"key":"pool","operator":"In","values":["b"]}]})"), false,
       kAffPath + "[1]: Invalid value: {\"MatchExpressions\":[{\"Key\":\"pool\",\"Operator\":\"In\",\"Values\":[\"b\"]}],"
                  "\"MatchFields\":null}: only additions are allowed (no mutations or deletions)"},
      {"required affinity on an ungated pod", false, "", Required(NameTerm("n1")), false, kForbidden},
      {"preferred terms are not checked while gated", true, "",
       R"("affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"a","operator":"Exists"}]}}]}})",
       true, ""},
      {"pod affinity stays immutable while gated", true, "",
       R"("affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"topologyKey":"zone"}]}})", true,
       kForbidden},
      {"two node names in one requirement", true, "",
       Required(R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["a","b"]}]})"), false,
       kAffPath + "[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or "
                  "'NotIn' for node field selector"},
      {"matchFields with another key", true, "",
       Required(R"({"matchFields":[{"key":"metadata.labels","operator":"In","values":["a"]}]})"), false,
       kAffPath + "[0].matchFields[0].key: Invalid value: \"metadata.labels\": not a valid field selector key"},
      {"add a toleration", false, R"("tolerations":[{"key":"a","operator":"Exists"}])",
       R"("tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}])", false, ""},
      {"change a toleration's seconds", false,
       R"("tolerations":[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}])",
       R"("tolerations":[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":10}])", false, ""},
      {"remove a toleration", false, R"("tolerations":[{"key":"a","operator":"Exists"}])", "", false,
       "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"},
      {"add a gate", false, "", kGate, false,
       "spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new scheduling gate "
       "'phalanx.dev/placement'"},
      {"lower activeDeadlineSeconds", false, R"("activeDeadlineSeconds":60)", R"("activeDeadlineSeconds":30)", false,
       ""},
      {"raise activeDeadlineSeconds", false, R"("activeDeadlineSeconds":30)", R"("activeDeadlineSeconds":60)", false,
       "spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value"},
      {"null and empty equal absent", false, "", R"("nodeSelector":{},"affinity":null,"volumes":[])", false, ""},
      {"change restartPolicy", true, R"("restartPolicy":"Never")", R"("restartPolicy":"Always")", true, kForbidden},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<PodFieldError> errs =
        ValidatePodUpdate(Pod(Spec(c.old_extra, c.gated)), Pod(Spec(c.new_extra, c.new_gated)));
    if (c.error.empty()) {
      EXPECT_THAT(Messages(errs), ::testing::IsEmpty());
    } else {
      ASSERT_FALSE(errs.empty());
      EXPECT_THAT(errs[0].ToString(), StartsWith(c.error));
    }
  }
}

TEST(PodUpdateValidationTest, ContainerImagesMayChangeButContainersStay) {
  std::string old_pod = Pod(R"({"containers":[{"name":"c","image":"i:1"}]})");
  EXPECT_TRUE(ValidatePodUpdate(old_pod, Pod(R"({"containers":[{"name":"c","image":"i:2"}]})")).empty());
  std::vector<PodFieldError> errs =
      ValidatePodUpdate(old_pod, Pod(R"({"containers":[{"name":"c","image":"i:1"},{"name":"d","image":"i"}]})"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].ToString(), "spec.containers: Forbidden: pod updates may not add or remove containers");
  errs = ValidatePodUpdate(old_pod, Pod(R"({"containers":[{"name":"c","image":""}]})"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].ToString(), "spec.containers[0].image: Required value");
}

TEST(PodUpdateValidationTest, ForbiddenNamesTheChangedField) {
  std::vector<PodFieldError> errs = ValidatePodUpdate(Pod(Spec("", false)), Pod(Spec(R"("hostNetwork":true)", false)));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec");
  EXPECT_EQ(errs[0].Reason(), "FieldValueForbidden");
  EXPECT_THAT(errs[0].detail, HasSubstr("+ \"hostNetwork\": true"));
}

TEST(PodUpdateValidationTest, CreateChecksNodeFieldSelectors) {
  EXPECT_TRUE(ValidatePodCreate(Pod(Spec(Required(NameTerm("a") + "," + NameTerm("b")), true))).empty());
  std::vector<PodFieldError> errs = ValidatePodCreate(
      Pod(Spec(Required(R"({"matchFields":[{"key":"metadata.name","operator":"Exists"}]})"), false)));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].ToString(), HasSubstr("matchFields[0].operator: Invalid value: \"Exists\": not a valid selector operator"));
  errs = ValidatePodCreate(Pod(Spec(Required(NameTerm("a") + R"(,{"matchFields":[{"key":"metadata.name","operator":"NotIn","values":[]}]})"), false)));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].ToString(), StartsWith("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                                             "nodeSelectorTerms[1].matchFields[0].values: Required value: must be only one value"));
}

TEST(PodUpdateValidationTest, MalformedInputIsAnErrorNotACrash) {
  EXPECT_FALSE(ValidatePodUpdate("{", Pod(Spec("", false))).empty());
  EXPECT_FALSE(ValidatePodUpdate(Pod(Spec("", false)), "[1]").empty());
  EXPECT_FALSE(ValidatePodCreate("nope").empty());
  // Wrong types inside the spec are tolerated field by field.
  EXPECT_FALSE(ValidatePodUpdate(Pod(R"({"containers":5,"schedulingGates":"x"})"),
                                 Pod(R"({"containers":5,"schedulingGates":"x","nodeSelector":3})"))
                   .empty());
}

TEST(PodUpdateValidationTest, StatusBodyHasTheApiServersShape) {
  absl::Status s = PodInvalidError(
      "x", {PodFieldError{PodFieldError::Type::kForbidden, "spec.a", "", "no"},
            PodFieldError{PodFieldError::Type::kInvalid, "spec.b", "3", "bad"}});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(HttpCodeFor(s), 422);
  Json body = Json::parse(StatusBodyFor(s));
  EXPECT_EQ(body["message"], "Pod \"x\" is invalid: [spec.a: Forbidden: no, spec.b: Invalid value: 3: bad]");
  EXPECT_EQ(body["reason"], "Invalid");
  EXPECT_EQ(body["details"]["kind"], "Pod");
  EXPECT_EQ(body["details"]["causes"][1],
            Json::parse(R"({"reason":"FieldValueInvalid","message":"Invalid value: 3: bad","field":"spec.b"})"));
}

// --- The real API's answers, replayed through MemoryCluster ------------------------------------------

// Compares a MemoryCluster error with a captured 422 Status: code, reason, message (or, when the real
// message embeds Go's struct diff, its first line) and causes' reasons and fields.
void ExpectSameRefusal(const absl::Status& got, const std::string& want_body) {
  Json want = Json::parse(want_body);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(HttpCodeFor(got), want["code"].get<int>());
  Json body = Json::parse(StatusBodyFor(got));
  EXPECT_EQ(body["reason"], want["reason"]);
  std::string want_message = want["message"];
  if (size_t nl = want_message.find('\n'); nl != std::string::npos) {
    EXPECT_THAT(body["message"].get<std::string>(), StartsWith(want_message.substr(0, nl + 1)));
  } else {
    EXPECT_EQ(body["message"], want_message);
  }
  ASSERT_TRUE(body["details"]["causes"].is_array());
  ASSERT_EQ(body["details"]["causes"].size(), want["details"]["causes"].size());
  for (size_t i = 0; i < want["details"]["causes"].size(); ++i) {
    EXPECT_EQ(body["details"]["causes"][i]["field"], want["details"]["causes"][i]["field"]);
    EXPECT_EQ(body["details"]["causes"][i]["reason"], want["details"]["causes"][i]["reason"]);
  }
  EXPECT_EQ(body["details"]["name"], want["details"]["name"]);
  EXPECT_EQ(body["details"]["kind"], want["details"]["kind"]);
}

// An empty list reads as absent (the API server omits it; MemoryCluster keeps `[]`).
Json SpecField(const Json& pod, const char* key) {
  if (!pod["spec"].contains(key)) return nullptr;
  const Json& v = pod["spec"][key];
  return v.is_array() && v.empty() ? Json(nullptr) : v;
}

TEST(PodUpdateValidationGoldenTest, PinningPatches) {
  struct Golden {
    std::string stem;
    std::string pod_file;
  };
  std::vector<Golden> goldens = {
      {"ungate-pin", "gated-pod.request.json"},
      {"narrow-user-term", "narrow-user-term.pod.request.json"},
      {"add-terms-to-user-affinity", "add-terms-to-user-affinity.pod.request.json"},
      {"two-node-names-in-one-requirement", "two-node-names-in-one-requirement.pod.request.json"},
      {"change-nodeselector-value", "change-nodeselector-value.pod.request.json"},
  };
  for (const Golden& g : goldens) {
    SCOPED_TRACE(g.stem);
    MemoryCluster cluster;
    Json pod = Json::parse(Fixture("pinning/" + g.pod_file));
    std::string name = pod["metadata"]["name"];
    ASSERT_OK(cluster.Create(kPods, "default", pod.dump()).status());
    absl::StatusOr<Object> patched =
        cluster.Patch(kPods, "default", name, PatchType::kJson, Fixture("pinning/" + g.stem + ".patch.json"));
    std::string response = Fixture("pinning/" + g.stem + ".response.json");
    Json want = Json::parse(response);
    absl::StatusOr<Object> now = cluster.Get(kPods, "default", name);
    ASSERT_OK(now.status());
    Json stored = Json::parse(now->json);
    if (want["kind"] == "Pod") {
      ASSERT_OK(patched.status());
      for (const char* key : {"schedulingGates", "nodeSelector", "affinity"}) {
        EXPECT_EQ(SpecField(stored, key), SpecField(want, key)) << key;
      }
    } else {
      ExpectSameRefusal(patched.status(), response);
      // A refused patch changes nothing: the pod keeps its gate.
      EXPECT_EQ(SpecField(stored, "schedulingGates"), pod["spec"]["schedulingGates"]);
    }
  }
}

TEST(PodUpdateValidationGoldenTest, GatedPodCapturesFromTheApiFixtures) {
  MemoryCluster cluster;
  // gated-pod-bad: a nodeSelector may be added while gated, not changed; no gate may be added.
  ASSERT_OK(cluster.Create(kPods, "default", Fixture("api/create-pod-gated-bad.request.json")).status());
  ASSERT_OK(cluster
                .Patch(kPods, "default", "gated-pod-bad", PatchType::kStrategicMerge,
                       Fixture("api/patch-gated-pod-add-nodeselector.request.json"))
                .status());
  ExpectSameRefusal(cluster
                        .Patch(kPods, "default", "gated-pod-bad", PatchType::kStrategicMerge,
                               Fixture("api/err-422-gated-pod-change-nodeselector.request.json"))
                        .status(),
                    Fixture("api/err-422-gated-pod-change-nodeselector.json"));
  ExpectSameRefusal(cluster
                        .Patch(kPods, "default", "gated-pod-bad", PatchType::kJson,
                               Fixture("api/err-422-patch-add-scheduling-gate.request.json"))
                        .status(),
                    Fixture("api/err-422-patch-add-scheduling-gate.json"));

  // gated-pod-merge: ungated together with a nodeSelector; afterwards neither gates nor selectors move.
  ASSERT_OK(cluster.Create(kPods, "default", Fixture("api/create-pod-gated-merge.request.json")).status());
  ASSERT_OK(cluster
                .Patch(kPods, "default", "gated-pod-merge", PatchType::kMerge,
                       Fixture("api/patch-pod-remove-gate-merge.request.json"))
                .status());
  ExpectSameRefusal(cluster
                        .Patch(kPods, "default", "gated-pod-merge", PatchType::kMerge,
                               Fixture("api/err-422-add-gate-to-ungated-pod.request.json"))
                        .status(),
                    Fixture("api/err-422-add-gate-to-ungated-pod.json"));
  ExpectSameRefusal(cluster
                        .Patch(kPods, "default", "gated-pod-merge", PatchType::kStrategicMerge,
                               Fixture("api/err-422-nodeselector-on-ungated-pod.request.json"))
                        .status(),
                    Fixture("api/err-422-nodeselector-on-ungated-pod.json"));
}

TEST(PodUpdateValidationGoldenTest, OtherPodWritesStillWork) {
  MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kPods, "default", Fixture("pinning/gated-pod.request.json")).status());
  const std::string name = "train-slice-0-0-abcde";
  ASSERT_OK(cluster.Patch(kPods, "default", name, PatchType::kMerge, R"({"metadata":{"labels":{"x":"y"},"finalizers":["a/b"]}})")
                .status());
  ASSERT_OK(cluster.Patch(kPodsStatus, "default", name, PatchType::kMerge, R"({"status":{"phase":"Running"}})").status());
  absl::StatusOr<Object> updated = cluster.Get(kPods, "default", name);
  ASSERT_OK(updated.status());
  ASSERT_OK(cluster.Update(kPods, "default", updated->json).status());
  // A create with two names in one matchFields requirement is refused too.
  Json pod = Json::parse(Fixture("pinning/two-node-names-in-one-requirement.pod.request.json"));
  pod["spec"]["affinity"] = Json::parse(Fixture("pinning/two-node-names-in-one-requirement.patch.json"))[1]["value"];
  absl::Status created = cluster.Create(kPods, "default", pod.dump()).status();
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(created.message()), HasSubstr("must be only one value"));
  EXPECT_THAT(cluster.Get(kPods, "default", "two-values"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace phalanx::kube
