#include "api/jobset_codec.h"

#include "api/document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/jobset_test_util.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::phalanx::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A JobSet that uses every modeled field plus fields Phalanx does not model, at every level.
constexpr char kFullJobSet[] = R"({
  "apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet",
  "metadata": {"name": "full", "namespace": "ns", "uid": "u-1", "resourceVersion": "7",
               "generation": 3, "labels": {"a": "b"}, "annotations": {"x": "y"},
               "finalizers": ["keep/me"], "managedFields": [{"manager": "kubectl"}],
               "ownerReferences": [{"apiVersion": "v1", "kind": "Thing", "name": "t", "uid": "9",
                                    "controller": false, "futureField": 1}]},
  "spec": {
    "futureSpecField": {"deep": [1, 2, {"x": null}]},
    "suspend": true, "managedBy": "kueue.x-k8s.io/multikueue", "ttlSecondsAfterFinished": 30,
    "network": {"enableDNSHostnames": true, "subdomain": "sub", "publishNotReadyAddresses": false},
    "successPolicy": {"operator": "Any", "targetReplicatedJobs": ["w"]},
    "failurePolicy": {"maxRestarts": 2, "restartStrategy": "BlockingRecreate",
                      "rules": [{"name": "r1", "action": "FailJobSet",
                                 "onJobFailureReasons": ["PodFailurePolicy"],
                                 "onJobFailureMessagePatterns": ["OOM.*"],
                                 "targetReplicatedJobs": ["w"]}]},
    "startupPolicy": {"startupPolicyOrder": "AnyOrder"},
    "coordinator": {"replicatedJob": "w", "jobIndex": 0, "podIndex": 1},
    "volumeClaimPolicies": [{"templates": [{"metadata": {"name": "data"},
                                            "spec": {"accessModes": ["ReadWriteOnce"]}}],
                             "retentionPolicy": {"whenDeleted": "Retain"}}],
    "replicatedJobs": [{
      "name": "w", "groupName": "g", "replicas": 2,
      "dependsOn": null,
      "template": {
        "metadata": {"labels": {"l": "1"}},
        "spec": {
          "parallelism": 2, "completions": 2, "completionMode": "Indexed", "backoffLimit": 0,
          "activeDeadlineSeconds": 600, "podFailurePolicy": {"rules": []},
          "template": {
            "metadata": {"annotations": {"kueue.x-k8s.io/podset-required-topology": "rack"}},
            "spec": {
              "restartPolicy": "Never", "priorityClassName": "high",
              "nodeSelector": {"pool": "a"},
              "tolerations": [{"key": "tpu", "operator": "Exists", "effect": "NoSchedule"}],
              "schedulingGates": [{"name": "kueue.x-k8s.io/topology"}],
              "containers": [{"name": "c", "image": "i", "volumeMounts": [{"name": "data", "mountPath": "/d"}],
                              "resources": {"limits": {"google.com/tpu": "4"}},
                              "securityContext": {"privileged": false}}],
              "affinity": {"nodeAffinity": {}},
              "hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"
            }
          }
        }
      }
    }]
  },
  "status": {"restarts": 1, "restartsCountTowardsMax": 1, "terminalState": "",
             "conditions": [{"type": "Suspended", "status": "True", "reason": "SuspendedJobs",
                             "message": "jobset is suspended",
                             "lastTransitionTime": "2026-11-28T17:00:00Z"}],
             "replicatedJobsStatus": [{"name": "w", "ready": 0, "succeeded": 1, "failed": 0,
                                       "active": 1, "suspended": 0}],
             "futureStatus": "x"}
})";

TEST(JobSetCodecTest, RoundTripKeepsEveryFieldIncludingUnknownOnes) {
  ASSERT_OK_AND_ASSIGN(JobSet js, DecodeJobSet(kFullJobSet));
  EXPECT_EQ(Json::parse(EncodeJobSet(js)), Json::parse(kFullJobSet));
}

TEST(JobSetCodecTest, DecodesModeledFields) {
  ASSERT_OK_AND_ASSIGN(JobSet js, DecodeJobSet(kFullJobSet));
  ASSERT_EQ(js.spec.rjobs().size(), 1u);
  const ReplicatedJob& rj = js.spec.rjobs()[0];
  EXPECT_EQ(rj.name, "w");
  EXPECT_EQ(rj.replicas, 2);
  EXPECT_EQ(rj.group_name, "g");
  EXPECT_EQ(rj.template_.spec.parallelism, 2);
  EXPECT_EQ(rj.template_.spec.completion_mode, "Indexed");
  EXPECT_EQ(rj.template_.spec.template_.spec.restart_policy, "Never");
  EXPECT_EQ(rj.template_.spec.template_.spec.node_selector->at("pool"), "a");
  EXPECT_EQ(rj.template_.spec.template_.spec.tolerations->size(), 1u);
  EXPECT_EQ(js.spec.failure_policy->rules->at(0).on_job_failure_message_patterns->at(0), "OOM.*");
  EXPECT_EQ(js.spec.coordinator->pod_index, 1);
  EXPECT_EQ(js.spec.managed_by, "kueue.x-k8s.io/multikueue");
  EXPECT_EQ(js.spec.volume_claim_policies->at(0).retention_when_deleted, "Retain");
  EXPECT_EQ(js.status->restarts, 1);
  EXPECT_EQ(js.status->replicated_jobs_status.at(0).succeeded, 1);
  EXPECT_EQ(js.metadata.generation, 3);
}

TEST(JobSetCodecTest, RoundTripsTheFixtureManifests) {
  for (const char* name : {"jobset-named.yaml", "jobset-generatename.yaml"}) {
    SCOPED_TRACE(name);
    std::string text =
        phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
    ASSERT_OK_AND_ASSIGN(std::string json, ParseSingleDocument(text));
    ASSERT_OK_AND_ASSIGN(JobSet js, DecodeJobSet(json));
    EXPECT_EQ(Json::parse(EncodeJobSet(js)), Json::parse(json));
  }
}

TEST(JobSetCodecTest, RoundTripsTheStoredObjectFromTheApiServer) {
  std::string body = phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                                     "/api/create-jobset.json");
  ASSERT_OK_AND_ASSIGN(JobSet js, DecodeJobSet(body));
  EXPECT_FALSE(js.metadata.uid.value_or("").empty());
  EXPECT_EQ(Json::parse(EncodeJobSet(js)), Json::parse(body));
}

TEST(JobSetCodecTest, EmptyObjectsAndNullsSurvive) {
  constexpr char kDoc[] = R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet",
    "metadata":{"name":"e","labels":null},"spec":{"replicatedJobs":[{"name":"r",
    "template":{"metadata":{},"spec":{"template":{"spec":{"nodeSelector":null}}}}}],
    "failurePolicy":{}},"status":{}})";
  ASSERT_OK_AND_ASSIGN(JobSet js, DecodeJobSet(kDoc));
  EXPECT_TRUE(js.spec.failure_policy.has_value());  // `{}` is not "absent"
  EXPECT_EQ(Json::parse(EncodeJobSet(js)), Json::parse(kDoc));
}

TEST(JobSetCodecTest, RejectsWhatIsNotAJobSet) {
  struct Case {
    const char* name;
    const char* input;
    const char* message;
  };
  const Case cases[] = {
      {"malformed", "{\"apiVersion\":", "malformed JSON"},
      {"array", "[1,2]", "not an object"},
      {"no kind", R"({"apiVersion":"jobset.x-k8s.io/v1alpha2"})", "apiVersion and kind are required"},
      {"wrong kind", R"({"apiVersion":"batch/v1","kind":"Job"})", "kind is \"Job\""},
      {"old version", R"({"apiVersion":"jobset.x-k8s.io/v1alpha1","kind":"JobSet"})",
       "unsupported apiVersion \"jobset.x-k8s.io/v1alpha1\""},
      {"string replicas",
       R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","spec":{"replicatedJobs":[{"name":"a","replicas":"2"}]}})",
       "spec.replicatedJobs[0].replicas: expected integer, got string"},
      {"replicas overflow",
       R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","spec":{"replicatedJobs":[{"name":"a","replicas":3000000000}]}})",
       "spec.replicatedJobs[0].replicas: 3000000000 is out of range for int32"},
      {"labels not strings",
       R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","metadata":{"labels":{"a":1}}})",
       "metadata.labels.a: expected string, got number"},
      {"spec not object", R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","spec":[]})",
       "spec: expected object, got array"},
      {"deep nesting", nullptr, "nested deeper than"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string input = c.input ? c.input : std::string(5000, '[') + std::string(5000, ']');
    auto js = DecodeJobSet(input);
    EXPECT_THAT(js, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(js.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace phalanx::api
