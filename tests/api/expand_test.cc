#include "api/expand.h"

#include "api/job_codec.h"
#include "api/job_key.h"
#include "api/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/api/jobset_test_util.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::testing::ElementsAre;
using Json = nlohmann::json;
using testing::Stored;

// Upstream's integration-test JobSet (reference §3.1): replicated-job-a (1) and replicated-job-b (3).
constexpr char kTestJs[] = R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: test-js, namespace: default, uid: 1234-uid}
spec:
  replicatedJobs:
  - name: replicated-job-a
    replicas: 1
    template:
      metadata: {labels: {team: a, jobset.sigs.k8s.io/job-index: "99"}}
      spec:
        template:
          metadata: {annotations: {note: keep}}
          spec:
            subdomain: user-value
            containers: [{name: c, image: i, ports: [{containerPort: 80}]}]
  - name: replicated-job-b
    replicas: 3
    template:
      spec:
        completionMode: Indexed
        completions: 2
        parallelism: 2
        template:
          spec:
            containers: [{name: c, image: i}]
)";

std::map<std::string, std::string> Labels(const ObjectMeta& m) { return m.labels.value_or(StringMap{}); }

TEST(ExpandTest, WorkedExampleNamesAndIndexes) {
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(Stored(kTestJs), 0));
  std::vector<std::string> names;
  for (const Job& j : x.jobs) names.push_back(*j.metadata.name);
  EXPECT_THAT(names, ElementsAre("test-js-replicated-job-a-0", "test-js-replicated-job-b-0",
                                 "test-js-replicated-job-b-1", "test-js-replicated-job-b-2"));
  std::vector<std::string> global;
  for (const Job& j : x.jobs) global.push_back(Labels(j.metadata)[std::string(kJobGlobalIndexKey)]);
  EXPECT_THAT(global, ElementsAre("0", "1", "2", "3"));
  for (const Job& j : x.jobs) {
    auto l = Labels(j.metadata);
    EXPECT_EQ(l[std::string(kGlobalReplicasKey)], "4");
    EXPECT_EQ(l[std::string(kGroupNameKey)], "default");
    EXPECT_EQ(l[std::string(kGroupReplicasKey)], "4");
    EXPECT_EQ(l[std::string(kJobSetNameKey)], "test-js");
    EXPECT_EQ(l[std::string(kJobSetUidKey)], "1234-uid");
    EXPECT_EQ(l[std::string(kRestartsKey)], "0");
    EXPECT_EQ(*j.spec.template_.spec.subdomain, "test-js");  // overrides the user's value
    EXPECT_EQ(j.spec.suspend, false);
    ASSERT_EQ(j.metadata.owner_references->size(), 1u);
    const OwnerReference& ref = j.metadata.owner_references->at(0);
    EXPECT_EQ(ref.kind, "JobSet");
    EXPECT_EQ(ref.api_version, "jobset.x-k8s.io/v1alpha2");
    EXPECT_EQ(ref.uid, "1234-uid");
    EXPECT_EQ(ref.controller, true);
    EXPECT_EQ(ref.block_owner_deletion, true);
  }
  ASSERT_TRUE(x.service.has_value());
  EXPECT_EQ(*x.service->metadata.name, "test-js");
  EXPECT_EQ(*x.service->cluster_ip, "None");
  EXPECT_EQ(x.service->selector->at(std::string(kJobSetNameKey)), "test-js");
  EXPECT_EQ(x.service->publish_not_ready_addresses, true);
}

TEST(ExpandTest, GoldenFirstJob) {
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(Stored(kTestJs), 2));
  Json job = Json::parse(EncodeJob(x.jobs[0]));
  const std::string key = "7b5f6b3e4003e1164d82a1d6fa5ed93212cd3c7f";  // reference §2.1 vector
  Json stamped = {
      {"jobset.sigs.k8s.io/jobset-name", "test-js"},
      {"jobset.sigs.k8s.io/jobset-uid", "1234-uid"},
      {"jobset.sigs.k8s.io/replicatedjob-name", "replicated-job-a"},
      {"jobset.sigs.k8s.io/replicatedjob-replicas", "1"},
      {"jobset.sigs.k8s.io/global-replicas", "4"},
      {"jobset.sigs.k8s.io/job-index", "0"},
      {"jobset.sigs.k8s.io/job-global-index", "0"},
      {"jobset.sigs.k8s.io/group-name", "default"},
      {"jobset.sigs.k8s.io/group-replicas", "4"},
      {"jobset.sigs.k8s.io/job-group-index", "0"},
      {"jobset.sigs.k8s.io/job-key", key},
      {"jobset.sigs.k8s.io/restart-attempt", "2"},
  };
  Json job_labels = stamped;
  job_labels["team"] = "a";  // template label kept; the JobSet's job-index wins over "99"
  Json pod_annotations = stamped;
  pod_annotations["note"] = "keep";
  Json want = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", "test-js-replicated-job-a-0"},
        {"namespace", "default"},
        {"labels", job_labels},
        {"annotations", stamped},
        {"ownerReferences",
         {{{"apiVersion", "jobset.x-k8s.io/v1alpha2"},
           {"kind", "JobSet"},
           {"name", "test-js"},
           {"uid", "1234-uid"},
           {"controller", true},
           {"blockOwnerDeletion", true}}}}}},
      {"spec",
       {{"completionMode", "Indexed"},
        {"suspend", false},
        {"template",
         {{"metadata", {{"labels", stamped}, {"annotations", pod_annotations}}},
          {"spec",
           {{"restartPolicy", "OnFailure"},
            {"subdomain", "test-js"},
            {"containers",
             {{{"name", "c"}, {"image", "i"}, {"ports", {{{"containerPort", 80}}}}}}}}}}}}},
  };
  EXPECT_EQ(job, want) << job.dump(2);
}

TEST(ExpandTest, NoNetworkMeansNoServiceAndNoSubdomain) {
  JobSet js = testing::FromYaml(kTestJs);  // not defaulted: network is nil
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  EXPECT_FALSE(x.service.has_value());
  EXPECT_EQ(x.jobs[0].spec.template_.spec.subdomain, "user-value");
}

TEST(ExpandTest, CustomSubdomainAndCoordinatorAndSuspend) {
  JobSet js = Stored(kTestJs);
  js.spec.network->subdomain = "net";
  js.spec.network->publish_not_ready_addresses = false;
  js.spec.coordinator = Coordinator{.replicated_job = "replicated-job-b", .job_index = 1, .pod_index = 1};
  js.spec.suspend = true;
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  for (const Job& j : x.jobs) {
    EXPECT_EQ(j.metadata.Label(kCoordinatorKey), "test-js-replicated-job-b-1-1.net");
    EXPECT_EQ(j.spec.template_.metadata.Annotation(kCoordinatorKey), "test-js-replicated-job-b-1-1.net");
    EXPECT_EQ(j.spec.suspend, true);
    EXPECT_EQ(j.spec.template_.spec.subdomain, "net");
  }
  EXPECT_EQ(*x.service->metadata.name, "net");
  EXPECT_EQ(x.service->publish_not_ready_addresses, false);
}

TEST(ExpandTest, GroupIndexes) {
  JobSet js = Stored(kTestJs);
  (*js.spec.replicated_jobs)[1].group_name = "workers";
  ReplicatedJob c = js.spec.rjobs()[1];
  c.name = "c";
  c.replicas = 2;
  js.spec.replicated_jobs->push_back(c);
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  ASSERT_EQ(x.jobs.size(), 6u);
  const Job& c1 = x.jobs[5];
  EXPECT_EQ(c1.metadata.Label(kGroupNameKey), "workers");
  EXPECT_EQ(c1.metadata.Label(kGroupReplicasKey), "5");
  EXPECT_EQ(c1.metadata.Label(kJobGroupIndexKey), "4");
  EXPECT_EQ(c1.metadata.Label(kJobGlobalIndexKey), "5");
  EXPECT_EQ(x.jobs[0].metadata.Label(kGroupReplicasKey), "1");
}

TEST(ExpandTest, ExclusiveTopologyAndGangAnnotations) {
  JobSet js = Stored(kTestJs);
  js.metadata.annotations = StringMap{{std::string(kExclusiveKey), "cloud.google.com/gke-nodepool"}};
  (*js.spec.replicated_jobs)[1].template_.metadata.annotations =
      StringMap{{std::string(kExclusiveKey), "nvidia.com/gpu.clique"},
                {std::string(kGangPolicyKey), "ReplicatedJob"}};
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  const Job& a = x.jobs[0];
  EXPECT_EQ(a.metadata.Annotation(kExclusiveKey), "cloud.google.com/gke-nodepool");
  EXPECT_FALSE(a.metadata.Label(kExclusiveKey).has_value());  // annotation only
  EXPECT_EQ(a.spec.template_.metadata.Annotation(kExclusiveKey), "cloud.google.com/gke-nodepool");
  EXPECT_EQ(a.metadata.Annotation(kGangPolicyKey), "Job");
  EXPECT_EQ(a.metadata.Annotation(kGangNameKey), "default/test-js-replicated-job-a-0");
  EXPECT_EQ(a.metadata.Annotation(kGangSizeKey), "1");
  const Job& b = x.jobs[2];
  EXPECT_EQ(b.spec.template_.metadata.Annotation(kExclusiveKey), "nvidia.com/gpu.clique");
  EXPECT_EQ(b.spec.template_.metadata.Annotation(kGangPolicyKey), "ReplicatedJob");
  EXPECT_EQ(b.spec.template_.metadata.Annotation(kGangNameKey), "default/test-js-replicated-job-b");
  EXPECT_EQ(b.spec.template_.metadata.Annotation(kGangSizeKey), "3");
}

TEST(ExpandTest, NoPlacementAnnotationsWithoutPlacement) {
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(Stored(kTestJs), 0));
  EXPECT_FALSE(x.jobs[0].metadata.Annotation(kGangNameKey).has_value());
  EXPECT_FALSE(x.jobs[0].spec.template_.metadata.Annotation(kExclusiveKey).has_value());
}

TEST(ExpandTest, NodeSelectorStrategy) {
  JobSet js = Stored(kTestJs);
  js.metadata.namespace_ = "ml";
  js.metadata.annotations = StringMap{{std::string(kExclusiveKey), "cloud.google.com/gke-nodepool"},
                                      {std::string(kNodeSelectorStrategyKey), "true"}};
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  const PodSpec& pod = x.jobs[1].spec.template_.spec;
  EXPECT_EQ(pod.node_selector->at(std::string(kNamespacedJobKey)), "ml_test-js-replicated-job-b-0");
  ASSERT_EQ(pod.tolerations->size(), 1u);
  EXPECT_EQ(Json::parse(pod.tolerations->at(0).Text()),
            Json::parse(R"({"key":"alpha.jobset.sigs.k8s.io/no-schedule","operator":"Exists","effect":"NoSchedule"})"));
}

// Reference §2.2: the node-selector flag is honoured only with exclusive-topology at the same level.
TEST(ExpandTest, NodeSelectorStrategyOnlyWithExclusiveTopologyAtTheSameLevel) {
  JobSet alone = Stored(kTestJs);
  alone.metadata.annotations = StringMap{{std::string(kNodeSelectorStrategyKey), "true"}};
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(alone, 0));
  for (const Job& job : x.jobs) {
    EXPECT_FALSE(job.metadata.Annotation(kNodeSelectorStrategyKey).has_value());
    EXPECT_FALSE(job.spec.template_.metadata.Annotation(kNodeSelectorStrategyKey).has_value());
    EXPECT_FALSE(job.spec.template_.spec.node_selector.has_value() &&
                 job.spec.template_.spec.node_selector->count(std::string(kNamespacedJobKey)));
  }
  // Flag on the JobSet, exclusive topology on one ReplicatedJob only: different levels, not honoured.
  JobSet split = Stored(kTestJs);
  split.metadata.annotations = StringMap{{std::string(kNodeSelectorStrategyKey), "true"}};
  (*split.spec.replicated_jobs)[0].template_.metadata.annotations =
      StringMap{{std::string(kExclusiveKey), "cloud.google.com/gke-nodepool"}};
  ASSERT_OK_AND_ASSIGN(Expansion y, Expand(split, 0));
  EXPECT_TRUE(y.jobs[0].metadata.Annotation(kExclusiveKey).has_value());
  EXPECT_FALSE(y.jobs[0].metadata.Annotation(kNodeSelectorStrategyKey).has_value());
  // Both on the ReplicatedJob template: honoured for that ReplicatedJob.
  (*split.spec.replicated_jobs)[0].template_.metadata.annotations->emplace(std::string(kNodeSelectorStrategyKey), "true");
  ASSERT_OK_AND_ASSIGN(Expansion z, Expand(split, 0));
  EXPECT_EQ(z.jobs[0].metadata.Annotation(kNodeSelectorStrategyKey), "true");
  EXPECT_TRUE(z.jobs[0].spec.template_.spec.node_selector->count(std::string(kNamespacedJobKey)));
}

TEST(ExpandTest, VolumeClaimPoliciesMountClaims) {
  JobSet js = testing::Stored(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: vc}
spec:
  volumeClaimPolicies:
  - templates: [{metadata: {name: data}}, {metadata: {name: unused}}]
  replicatedJobs:
  - name: w
    template:
      spec:
        template:
          spec:
            containers: [{name: c, image: i, volumeMounts: [{name: data, mountPath: /d}]}]
)");
  ASSERT_OK_AND_ASSIGN(Expansion x, Expand(js, 0));
  Json pod = Json::parse(EncodeJob(x.jobs[0]))["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"], Json::parse(R"([{"name":"data","persistentVolumeClaim":{"claimName":"data-vc"}}])"));
}

TEST(ExpandTest, IsDeterministicAndNeedsAName) {
  JobSet js = Stored(kTestJs);
  ASSERT_OK_AND_ASSIGN(Expansion a, Expand(js, 1));
  ASSERT_OK_AND_ASSIGN(Expansion b, Expand(js, 1));
  for (size_t i = 0; i < a.jobs.size(); ++i) EXPECT_EQ(EncodeJob(a.jobs[i]), EncodeJob(b.jobs[i]));
  js.metadata.name.reset();
  js.metadata.generate_name = "gen-";
  EXPECT_THAT(Expand(js, 0), phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JobKeyTest, UpstreamVectors) {
  EXPECT_EQ(JobKey("default", "js-rjob-0"), "594cb5c93756409379daf5f78db3fa5c78663cd1");
  EXPECT_EQ(JobKey("default", "js-rjob-1"), "1bf2465fc91047e36be388a2ac713426a7c60c75");
  EXPECT_EQ(JobKey("default", "test-jobset-replicated-job-0"), "027791c2c0a79daacbc05ab1512c28988581229f");
  EXPECT_EQ(JobKey("default", "test-js-replicated-job-a-0"), "7b5f6b3e4003e1164d82a1d6fa5ed93212cd3c7f");
}

TEST(JobCodecTest, RoundTripsTheFixtureJob) {
  for (const char* name : {"create-job-owned-by-jobset.json", "get-job-owned-by-jobset.json"}) {
    SCOPED_TRACE(name);
    std::string body = phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/" + name);
    ASSERT_OK_AND_ASSIGN(Job job, DecodeJob(body));
    EXPECT_TRUE(job.metadata.Label(kJobSetNameKey).has_value());
    EXPECT_EQ(Json::parse(EncodeJob(job)), Json::parse(body));
  }
}

}  // namespace
}  // namespace phalanx::api
