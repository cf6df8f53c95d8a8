#include "api/defaulting.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/jobset_test_util.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using Json = nlohmann::json;
using testing::FromYaml;

constexpr char kBare[] = R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  replicatedJobs:
  - name: a
    template:
      spec:
        template:
          spec:
            containers: [{name: c, image: i}]
  - name: b
    replicas: 2
    template:
      spec:
        completionMode: NonIndexed
        template:
          spec:
            restartPolicy: Never
  failurePolicy:
    rules:
    - action: FailJobSet
    - name: keep
      action: RestartJobSet
    - action: RestartJobSet
  volumeClaimPolicies:
  - templates: [{metadata: {name: data}}]
)";

TEST(DefaultingTest, AppliesEveryWebhookDefault) {
  JobSet js = FromYaml(kBare);
  DefaultJobSet(js);
  const JobSetSpec& s = js.spec;
  EXPECT_EQ(s.success_policy->operator_, "All");
  EXPECT_FALSE(s.success_policy->target_replicated_jobs.has_value());
  EXPECT_EQ(s.startup_policy->startup_policy_order, "AnyOrder");
  EXPECT_EQ(s.rjobs()[0].template_.spec.completion_mode, "Indexed");
  EXPECT_EQ(s.rjobs()[1].template_.spec.completion_mode, "NonIndexed");  // kept
  EXPECT_EQ(s.rjobs()[0].template_.spec.template_.spec.restart_policy, "OnFailure");
  EXPECT_EQ(s.rjobs()[1].template_.spec.template_.spec.restart_policy, "Never");  // kept
  EXPECT_EQ(s.network->enable_dns_hostnames, true);
  EXPECT_EQ(s.network->publish_not_ready_addresses, true);
  EXPECT_FALSE(s.network->subdomain.has_value());  // the controller defaults it, not the webhook
  EXPECT_EQ(s.failure_policy->rules->at(0).name, "failurePolicyRule0");
  EXPECT_EQ(s.failure_policy->rules->at(1).name, "keep");
  EXPECT_EQ(s.failure_policy->rules->at(2).name, "failurePolicyRule2");
  EXPECT_EQ(s.volume_claim_policies->at(0).retention_when_deleted, "Delete");
  // Not defaulted by the webhook.
  EXPECT_FALSE(s.suspend.has_value());
  EXPECT_FALSE(s.managed_by.has_value());
  EXPECT_FALSE(s.coordinator.has_value());
  EXPECT_FALSE(s.ttl_seconds_after_finished.has_value());
  EXPECT_FALSE(s.failure_policy->max_restarts.has_value());
  EXPECT_FALSE(s.failure_policy->restart_strategy.has_value());  // schema default, not webhook
}

TEST(DefaultingTest, KeepsWhatTheUserSet) {
  JobSet js = FromYaml(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  successPolicy: {operator: Any, targetReplicatedJobs: [a]}
  startupPolicy: {startupPolicyOrder: InOrder}
  network: {enableDNSHostnames: false, publishNotReadyAddresses: false, subdomain: s}
  replicatedJobs: [{name: a}]
)");
  DefaultJobSet(js);
  EXPECT_EQ(js.spec.success_policy->operator_, "Any");
  EXPECT_EQ(js.spec.startup_policy->startup_policy_order, "InOrder");
  EXPECT_EQ(js.spec.network->enable_dns_hostnames, false);
  EXPECT_EQ(js.spec.network->publish_not_ready_addresses, false);
  EXPECT_EQ(js.spec.network->subdomain, "s");
}

TEST(DefaultingTest, FailurePolicyItselfIsNeverDefaulted) {
  JobSet js = FromYaml(testing::MinimalYaml());
  DefaultJobSet(js);
  EXPECT_FALSE(js.spec.failure_policy.has_value());
}

TEST(DefaultingTest, SchemaDefaults) {
  JobSet js = FromYaml(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  failurePolicy: {maxRestarts: 1}
  replicatedJobs: [{name: a}, {name: b, replicas: 0, groupName: g}]
)");
  ApplySchemaDefaults(js);
  EXPECT_EQ(js.spec.rjobs()[0].replicas, 1);
  EXPECT_EQ(js.spec.rjobs()[0].group_name, "default");
  EXPECT_EQ(js.spec.rjobs()[1].replicas, 0);
  EXPECT_EQ(js.spec.rjobs()[1].group_name, "g");
  EXPECT_EQ(js.spec.failure_policy->restart_strategy, "Recreate");
}

TEST(DefaultingTest, SchemaDefaultsRetentionOnlyWhereARetentionPolicyIsGiven) {
  JobSet js = FromYaml(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  replicatedJobs: [{name: a}]
  volumeClaimPolicies:
  - templates: [{metadata: {name: a}}]
  - templates: [{metadata: {name: b}}]
    retentionPolicy: {}
  - templates: [{metadata: {name: c}}]
    retentionPolicy: {whenDeleted: Retain}
)");
  ApplySchemaDefaults(js);
  const auto& v = *js.spec.volume_claim_policies;
  EXPECT_FALSE(v[0].retention_when_deleted.has_value());
  EXPECT_EQ(v[1].retention_when_deleted, "Delete");
  EXPECT_EQ(v[2].retention_when_deleted, "Retain");
  EXPECT_NE(EncodeJobSet(js).find(R"("retentionPolicy":{"whenDeleted":"Delete"})"), std::string::npos)
      << EncodeJobSet(js);
}

TEST(DefaultingTest, IsIdempotent) {
  JobSet once = FromYaml(kBare);
  DefaultJobSet(once);
  JobSet twice = once;
  DefaultJobSet(twice);
  EXPECT_EQ(EncodeJobSet(once), EncodeJobSet(twice));
}

TEST(DefaultingPatchTest, PatchOnlyAddsAndProducesTheDefaultedObject) {
  ASSERT_OK_AND_ASSIGN(std::string json, ParseSingleDocument(kBare));
  ASSERT_OK_AND_ASSIGN(std::string patch_text, DefaultingPatch(json));
  Json patch = Json::parse(patch_text);
  ASSERT_TRUE(patch.is_array());
  EXPECT_FALSE(patch.empty());
  for (const auto& op : patch) {
    EXPECT_TRUE(op["op"] == "add" || op["op"] == "replace") << op;
  }
  JobSet expected = FromYaml(kBare);
  DefaultJobSet(expected);
  EXPECT_EQ(Json::parse(json).patch(patch), Json::parse(EncodeJobSet(expected)));
}

TEST(DefaultingPatchTest, FixtureCreateRequestGetsOnlyTheMissingDefaults) {
  Json review = Json::parse(phalanx::testing::ReadFileOrDie(
      phalanx::testing::FixturesDir() + "/admission/jobset-create-named.mutate-jobset.request.json"));
  const Json& object = review["request"]["object"];
  ASSERT_OK_AND_ASSIGN(std::string patch_text, DefaultingPatch(object.dump()));
  Json patch = Json::parse(patch_text);
  std::set<std::string> paths;
  for (const auto& op : patch) paths.insert(op["path"].get<std::string>());
  // The fixture sets successPolicy, network.enableDNSHostnames, completionMode and restartPolicy.
  EXPECT_EQ(paths, (std::set<std::string>{"/spec/network/publishNotReadyAddresses",
                                          "/spec/startupPolicy"}));
  // managedFields and every other unmodeled field are untouched.
  Json patched = object.patch(patch);
  EXPECT_EQ(patched["metadata"], object["metadata"]);
}

TEST(DefaultingPatchTest, AlreadyDefaultedObjectGivesEmptyPatch) {
  JobSet js = FromYaml(kBare);
  DefaultJobSet(js);
  ASSERT_OK_AND_ASSIGN(std::string patch, DefaultingPatch(EncodeJobSet(js)));
  EXPECT_EQ(patch, "[]");
}

TEST(DefaultingPatchTest, RejectsNonJobSet) {
  EXPECT_THAT(DefaultingPatch(R"({"apiVersion":"v1","kind":"Pod"})"),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DefaultingPatch("not json"),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace phalanx::api
