// The committed JobSet CRD: generated (never hand-edited), structural, complete for every field the
// api/ codec models, and accepting/rejecting JobSets the way the apiserver would with it.
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/defaulting.h"
#include "api/document.h"
#include "api/jobset_codec.h"
#include "api/validation.h"
#include "crdgen/structural.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/crdgen/schema_check.h"
#include "tests/testing/files.h"

namespace phalanx::crdgen_test {
namespace {

using Json = nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kCrdPath[] = "/manifests/crd/jobset.x-k8s.io_jobsets.yaml";

Json ParseYaml(const std::string& text) {
  absl::StatusOr<std::string> json = api::ParseSingleDocument(text);
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? Json::parse(*json) : Json();
}

const Json& Crd() {
  static const Json* crd = new Json(ParseYaml(testing::ReadFileOrDie(testing::SourceDir() + kCrdPath)));
  return *crd;
}
const Json& Schema() {
  static const Json* schema = new Json(VersionSchema(Crd(), "v1alpha2"));
  return *schema;
}
const Json& Spec() { return Schema()["properties"]["spec"]; }

// What the apiserver stores for a created JobSet: schema defaults, then the mutating webhook's defaults.
Json Admit(Json jobset) {
  ApplySchemaDefaults(Schema(), jobset);
  absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(jobset.dump());
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (!decoded.ok()) return jobset;
  api::DefaultJobSet(*decoded);
  return Json::parse(api::EncodeJobSet(*decoded));
}

TEST(JobSetCrd, CommittedFileIsTheGeneratorsOutput) {
  std::string skeleton = testing::ReadFileOrDie(testing::SourceDir() + "/crdgen/jobset.skeleton.yaml");
  std::string openapi = testing::ReadFileOrDie(testing::FixturesDir() + "/openapi/batch-v1.json");
  absl::StatusOr<std::string> generated = crdgen::GenerateCrdYaml(skeleton, openapi);
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_TRUE(*generated == testing::ReadFileOrDie(testing::SourceDir() + kCrdPath))
      << "manifests/crd/jobset.x-k8s.io_jobsets.yaml is stale or hand-edited; regenerate it with phalanx-crdgen "
         "(command in its header)";
}

TEST(JobSetCrd, ResourceBasics) {
  const Json& spec = Crd()["spec"];
  EXPECT_EQ(Crd()["metadata"]["name"], "jobsets.jobset.x-k8s.io");
  EXPECT_EQ(spec["group"], "jobset.x-k8s.io");
  EXPECT_EQ(spec["scope"], "Namespaced");
  EXPECT_EQ(spec["names"], Json::parse(R"({"kind":"JobSet","listKind":"JobSetList","plural":"jobsets","singular":"jobset"})"));
  ASSERT_EQ(spec["versions"].size(), 1u);
  const Json& v = spec["versions"][0];
  EXPECT_EQ(v["name"], "v1alpha2");
  EXPECT_EQ(v["served"], true);
  EXPECT_EQ(v["storage"], true);
  EXPECT_EQ(v["subresources"], Json::parse(R"({"status":{}})"));
  std::vector<std::string> columns;
  for (const Json& c : v["additionalPrinterColumns"]) columns.push_back(c["name"].get<std::string>() + "=" + c["jsonPath"].get<std::string>());
  EXPECT_EQ(columns, (std::vector<std::string>{"TerminalState=.status.terminalState", "Restarts=.status.restarts",
                                               "Completed=.status.conditions[?(@.type==\"Completed\")].status",
                                               "Suspended=.spec.suspend", "Age=.metadata.creationTimestamp"}));
}

// The apiserver's structural-schema rules, over every node.
TEST(JobSetCrd, SchemaIsStructuralEverywhere) {
  int nodes = 0;
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& s, const std::string& path) {
    ++nodes;
    for (const char* banned : {"$ref", "allOf", "oneOf", "not", "x-kubernetes-patch-strategy",
                               "x-kubernetes-patch-merge-key", "x-kubernetes-unions"}) {
      EXPECT_FALSE(s.contains(banned)) << path << " has " << banned;
    }
    const bool typed = s.contains("type") || s.value("x-kubernetes-int-or-string", false) ||
                       s.value("x-kubernetes-preserve-unknown-fields", false);
    EXPECT_TRUE(typed) << path << " has no type";
    EXPECT_FALSE(s.contains("properties") && s.contains("additionalProperties")) << path;
    if (s.value("x-kubernetes-list-type", "") == "map") {
      const Json& items = s["items"];
      std::set<std::string> required;
      for (const Json& r : items.value("required", Json::array())) required.insert(r.get<std::string>());
      for (const Json& k : s["x-kubernetes-list-map-keys"]) {
        EXPECT_TRUE(required.count(k.get<std::string>()) || items["properties"][k.get<std::string>()].contains("default"))
            << path << ": list-map key " << k << " neither required nor defaulted";
      }
    }
    if (s.contains("anyOf")) {
      for (const Json& branch : s["anyOf"]) EXPECT_EQ(branch.size(), 1u) << path << ": anyOf branches carry only a type";
    }
    if (s.contains("properties")) for (const auto& [k, sub] : s["properties"].items()) walk(sub, path + "." + k);
    if (s.contains("items")) walk(s["items"], path + "[]");
    if (s.contains("additionalProperties")) walk(s["additionalProperties"], path + "{}");
  };
  walk(Schema(), "");
  EXPECT_GT(nodes, 1000);  // the full pod template is inlined
  EXPECT_EQ(Schema()["properties"]["metadata"], Json::parse(R"({"type":"object"})"));
}

// kubectl explain has something to say about every JobSet field (the embedded Kubernetes types carry
// the OpenAPI document's own descriptions).
TEST(JobSetCrd, EveryJobSetFieldIsDescribed) {
  int described = 0;
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& s, const std::string& path) {
    if (path.find(".template") != std::string::npos) return;  // the embedded Job / PVC templates
    if (!s.contains("properties")) return;
    for (const auto& [k, sub] : s["properties"].items()) {
      EXPECT_FALSE(sub.value("description", "").empty()) << path << "." << k << " has no description";
      ++described;
      walk(sub.contains("items") ? sub["items"] : sub, path + "." + k);
    }
  };
  walk(Spec(), "spec");
  walk(Schema()["properties"]["status"], "status");
  EXPECT_GT(described, 50);
}

TEST(JobSetCrd, CelImmutabilityRules) {
  const Json& p = Spec()["properties"];
  const Json immutable = Json::parse(R"([{"rule":"self == oldSelf","message":"Value is immutable"}])");
  EXPECT_EQ(p["network"]["x-kubernetes-validations"], immutable);
  EXPECT_EQ(p["successPolicy"]["x-kubernetes-validations"], immutable);
  EXPECT_EQ(p["failurePolicy"]["x-kubernetes-validations"], immutable);
  EXPECT_EQ(p["startupPolicy"]["x-kubernetes-validations"], immutable);
  EXPECT_EQ(p["volumeClaimPolicies"]["x-kubernetes-validations"], immutable);
  EXPECT_EQ(p["replicatedJobs"]["items"]["properties"]["dependsOn"]["x-kubernetes-validations"], immutable);
  EXPECT_FALSE(p["suspend"].contains("x-kubernetes-validations"));
  ASSERT_EQ(Spec()["x-kubernetes-validations"].size(), 1u);
  EXPECT_EQ(Spec()["x-kubernetes-validations"][0]["message"], "StartupPolicy and DependsOn APIs are mutually exclusive");
}

TEST(JobSetCrd, EnumsMinimumsAndDefaults) {
  const Json& p = Spec()["properties"];
  const Json& rj = p["replicatedJobs"]["items"]["properties"];
  EXPECT_EQ(rj["replicas"]["minimum"], 0);
  EXPECT_EQ(rj["replicas"]["default"], 1);
  EXPECT_EQ(rj["groupName"]["default"], "default");
  EXPECT_EQ(rj["dependsOn"]["maxItems"], 5);
  EXPECT_EQ(rj["dependsOn"]["items"]["properties"]["status"]["enum"], Json::parse(R"(["Ready","Complete"])"));
  EXPECT_EQ(p["successPolicy"]["properties"]["operator"]["enum"], Json::parse(R"(["All","Any"])"));
  EXPECT_EQ(p["startupPolicy"]["properties"]["startupPolicyOrder"]["enum"], Json::parse(R"(["AnyOrder","InOrder"])"));
  EXPECT_EQ(p["failurePolicy"]["properties"]["restartStrategy"]["default"], "Recreate");
  EXPECT_EQ(p["failurePolicy"]["properties"]["rules"]["items"]["properties"]["action"]["enum"].size(), 5u);
  EXPECT_EQ(p["ttlSecondsAfterFinished"]["minimum"], 0);
  EXPECT_EQ(p["volumeClaimPolicies"]["maxItems"], 50);
  EXPECT_EQ(Schema()["properties"]["status"]["properties"]["replicatedJobsStatus"]["items"]["properties"]["jobRestarts"]["maxItems"], 1024);
}

TEST(JobSetCrd, TemplateIsTheFullJobTemplateDownToContainers) {
  const Json& job = Spec()["properties"]["replicatedJobs"]["items"]["properties"]["template"];
  const Json& pod = job["properties"]["spec"]["properties"]["template"]["properties"]["spec"];
  EXPECT_THAT(pod["required"], Contains("containers"));
  const Json& container = pod["properties"]["containers"]["items"];
  EXPECT_EQ(container["properties"]["image"]["type"], "string");
  const Json& requests = container["properties"]["resources"]["properties"]["requests"]["additionalProperties"];
  EXPECT_EQ(requests["x-kubernetes-int-or-string"], true);
  EXPECT_TRUE(std::regex_search("1536Mi", std::regex(requests["pattern"].get<std::string>())));
  EXPECT_FALSE(std::regex_search("lots", std::regex(requests["pattern"].get<std::string>())));
  EXPECT_EQ(container["properties"]["ports"]["items"]["properties"]["protocol"]["default"], "TCP");
  EXPECT_TRUE(job["properties"]["spec"]["properties"].contains("podFailurePolicy"));
  EXPECT_TRUE(job["properties"]["metadata"]["properties"].contains("labels"));
  EXPECT_FALSE(job["properties"]["metadata"]["properties"].contains("managedFields"));
  EXPECT_THAT(job["description"].get<std::string>(), HasSubstr("completionMode"));  // our words, not the OpenAPI's
}

// Every field name the JobSet and template codecs read or write is a property of the schema (no field
// the controller relies on is pruned by the apiserver).
TEST(JobSetCrd, EveryFieldTheCodecModelsIsInTheSchema) {
  std::set<std::string> names;
  std::function<void(const Json&)> collect = [&](const Json& s) {
    if (s.contains("properties")) for (const auto& [k, sub] : s["properties"].items()) { names.insert(k); collect(sub); }
    if (s.contains("items")) collect(s["items"]);
    if (s.contains("additionalProperties")) collect(s["additionalProperties"]);
  };
  collect(Schema());
  const std::set<std::string> not_fields = {"v", "object"};  // a scratch key and a type name in error texts
  int checked = 0;
  for (const char* file : {"/api/jobset_codec.cc", "/api/template_codec.cc"}) {
    std::string code = testing::ReadFileOrDie(testing::SourceDir() + file);
    std::regex literal("\"([A-Za-z]+)\"");
    for (auto it = std::sregex_iterator(code.begin(), code.end(), literal); it != std::sregex_iterator(); ++it) {
      const std::string key = (*it)[1];
      if (not_fields.count(key)) continue;
      ++checked;
      EXPECT_TRUE(names.count(key)) << file << " models field " << key << ", which the CRD schema lacks";
    }
  }
  EXPECT_GT(checked, 50);
}

Json FullJobSet() {
  return Json::parse(R"({
    "apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
    "metadata": {"name": "full", "namespace": "ml", "labels": {"a": "b"}, "annotations": {"phalanx.dev/gang-policy": "JobSet"}},
    "spec": {
      "replicatedJobs": [
        {"name": "leader", "groupName": "g1", "replicas": 1,
         "template": {"metadata": {"labels": {"x": "y"}, "annotations": {"alpha.jobset.sigs.k8s.io/exclusive-topology": "rack"}},
                      "spec": {"parallelism": 2, "completions": 2, "completionMode": "Indexed", "backoffLimit": 0,
                               "podReplacementPolicy": "Failed", "suspend": false,
                               "template": {"metadata": {"labels": {"p": "q"}},
                                            "spec": {"restartPolicy": "OnFailure", "subdomain": "s", "priorityClassName": "high",
                                                     "nodeSelector": {"pool": "a"},
                                                     "tolerations": [{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}],
                                                     "schedulingGates": [{"name": "phalanx.dev/placement"}],
                                                     "containers": [{"name": "c", "image": "i:1", "ports": [{"containerPort": 8471}],
                                                                     "resources": {"requests": {"cpu": "2", "memory": "4Gi", "google.com/tpu": 4}},
                                                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}}}},
        {"name": "workers", "groupName": "g1", "replicas": 3, "dependsOn": [{"name": "leader", "status": "Ready"}],
         "template": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}}
      ],
      "network": {"enableDNSHostnames": true, "subdomain": "net", "publishNotReadyAddresses": false},
      "successPolicy": {"operator": "Any", "targetReplicatedJobs": ["workers"]},
      "failurePolicy": {"maxRestarts": 3, "restartStrategy": "BlockingRecreate",
                        "rules": [{"name": "fail_fast", "action": "FailJobSet", "onJobFailureReasons": ["PodFailurePolicy"],
                                   "onJobFailureMessagePatterns": ["OOM.*"], "targetReplicatedJobs": ["leader"]}]},
      "startupPolicy": {"startupPolicyOrder": "AnyOrder"},
      "suspend": true,
      "coordinator": {"replicatedJob": "leader", "jobIndex": 0, "podIndex": 1},
      "managedBy": "jobset.sigs.k8s.io/jobset-controller",
      "ttlSecondsAfterFinished": 600,
      "volumeClaimPolicies": [{"templates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                                              "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}}}],
                               "retentionPolicy": {"whenDeleted": "Retain"}}]
    },
    "status": {
      "conditions": [{"type": "Suspended", "status": "True", "reason": "SuspendedJobs", "message": "jobset is suspended",
                      "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}],
      "restarts": 1, "restartsCountTowardsMax": 1, "terminalState": "",
      "replicatedJobsStatus": [{"name": "leader", "ready": 0, "succeeded": 0, "failed": 0, "active": 0, "suspended": 1,
                                "jobRestarts": [0], "jobRestartsCountTowardsMax": [0]}],
      "previousInPlaceRestartAttempt": 0, "currentInPlaceRestartAttempt": 1
    }
  })");
}

TEST(JobSetCrd, FullyPopulatedJobSetPassesWithNothingPruned) {
  Json full = FullJobSet();
  EXPECT_THAT(CheckAgainstSchema(Schema(), full), IsEmpty());
  // The codec reads it whole and writes it back unchanged: the fixture holds only modeled fields.
  absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(full.dump());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(Json::parse(api::EncodeJobSet(*decoded)), full);
}

TEST(JobSetCrd, ExampleJobSetsValidate) {
  int count = 0;
  for (const char* dir : {"/examples", "/docs/examples"}) {
    const std::string root = testing::SourceDir() + dir;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".yaml") continue;
      absl::StatusOr<std::vector<std::string>> docs = api::ParseDocuments(testing::ReadFileOrDie(entry.path().string()));
      ASSERT_TRUE(docs.ok()) << entry.path() << ": " << docs.status();
      for (const std::string& doc : *docs) {
        Json j = Json::parse(doc);
        if (j.value("kind", "") != "JobSet") continue;
        ++count;
        EXPECT_THAT(CheckAgainstSchema(Schema(), Admit(j)), IsEmpty()) << entry.path();
      }
    }
  }
  EXPECT_GE(count, 5);  // examples/ and docs/examples/
}

TEST(JobSetCrd, RejectsInvalidJobSets) {
  auto errors_for = [](const std::function<void(Json&)>& edit) {
    Json j = FullJobSet();
    edit(j);
    std::vector<std::string> errors = CheckAgainstSchema(Schema(), j);
    return errors.empty() ? std::string() : errors[0];
  };
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["successPolicy"]["operator"] = "Most"; }),
              HasSubstr(".spec.successPolicy.operator: unsupported value"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["replicatedJobs"][1]["replicas"] = -1; }),
              HasSubstr(".spec.replicatedJobs[1].replicas: below the minimum"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["replicatedJob"] = Json::array(); }),
              HasSubstr(".spec.replicatedJob: unknown field"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["failurePolicy"]["rules"][0]["name"] = "1bad"; }),
              HasSubstr("does not match"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["ttlSecondsAfterFinished"] = -5; }), HasSubstr("below the minimum"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "two"; }),
              HasSubstr("does not match"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["replicatedJobs"][1]["template"]["spec"]["template"]["spec"].erase("containers"); }),
              HasSubstr("missing required field containers"));
  EXPECT_THAT(errors_for([](Json& j) { j["spec"]["replicatedJobs"][1]["dependsOn"] = Json::parse(R"([{"name":"a","status":"Ready"},{"name":"b","status":"Ready"},{"name":"c","status":"Ready"},{"name":"d","status":"Ready"},{"name":"e","status":"Ready"},{"name":"f","status":"Ready"}])"); }),
              HasSubstr("too many items"));
}

// The schema and `phalanx validate` (api::ValidateCreate, which repeats the schema's checks for offline
// use) agree on representative invalid JobSets.
TEST(JobSetCrd, SchemaAndValidateCreateRejectTheSameInvalidJobSets) {
  const std::vector<std::pair<std::string, std::function<void(Json&)>>> cases = {
      {"spec.successPolicy.operator", [](Json& j) { j["spec"]["successPolicy"]["operator"] = "Most"; }},
      {"spec.replicatedJobs[1].replicas", [](Json& j) { j["spec"]["replicatedJobs"][1]["replicas"] = -1; }},
      {"spec.failurePolicy.restartStrategy", [](Json& j) { j["spec"]["failurePolicy"]["restartStrategy"] = "Sometimes"; }},
      {"spec.replicatedJobs[1].dependsOn[0].status", [](Json& j) { j["spec"]["replicatedJobs"][1]["dependsOn"][0]["status"] = "Done"; }},
  };
  for (const auto& [field, edit] : cases) {
    Json j = FullJobSet();
    j.erase("status");
    edit(j);
    std::vector<std::string> schema_errors = CheckAgainstSchema(Schema(), j);
    ASSERT_FALSE(schema_errors.empty()) << field;
    EXPECT_THAT(schema_errors[0], HasSubstr("." + field + ":"));
    absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(j.dump());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    std::vector<api::FieldError> errors = api::ValidateCreate(*decoded);
    bool found = false;
    for (const api::FieldError& e : errors) found = found || e.field == field;
    EXPECT_TRUE(found) << field << " accepted by ValidateCreate";
  }
}

// The schema's defaults are exactly api::ApplySchemaDefaults: offline tools see what a cluster stores.
TEST(JobSetCrd, SchemaDefaultsMatchApplySchemaDefaults) {
  std::vector<Json> cases;
  Json bare = Json::parse(R"({"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": {"name": "d"},
    "spec": {"replicatedJobs": [{"name": "a", "template": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}},
                                {"name": "b", "replicas": 0, "groupName": "x", "template": {}}],
             "failurePolicy": {"maxRestarts": 1}}})");
  cases.push_back(bare);
  cases.push_back(FullJobSet());
  Json no_policy = bare;
  no_policy["spec"].erase("failurePolicy");
  cases.push_back(no_policy);
  Json retention = bare;
  retention["spec"]["volumeClaimPolicies"] = Json::parse(
      R"([{"templates": [{"metadata": {"name": "a"}}]}, {"templates": [{"metadata": {"name": "b"}}], "retentionPolicy": {}}])");
  cases.push_back(retention);
  for (const Json& c : cases) {
    Json by_schema = c;
    ApplySchemaDefaults(Schema(), by_schema);
    if (&c == &cases.front()) {
      // The case really exercises defaults.
      EXPECT_EQ(by_schema["spec"]["replicatedJobs"][0]["replicas"], 1);
    }
    absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(c.dump());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    api::ApplySchemaDefaults(*decoded);
    Json by_api = Json::parse(api::EncodeJobSet(*decoded));
    // Compare the JobSet's own fields; inside the pod template the schema also applies Kubernetes'
    // defaults (protocol TCP, ...), which ApplySchemaDefaults leaves to the apiserver.
    for (Json* j : {&by_schema, &by_api}) {
      for (Json& rj : (*j)["spec"]["replicatedJobs"]) rj.erase("template");
    }
    EXPECT_EQ(by_schema, by_api) << c.dump();
  }
}

}  // namespace
}  // namespace phalanx::crdgen_test
