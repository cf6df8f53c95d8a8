#include "webhook/pod_validation.h"

#include <string>

#include "api/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::webhook {
namespace {

using api::AdmissionOperation;
using ::testing::HasSubstr;

api::Pod JobSetPod() {
  api::Pod pod;
  pod.metadata.labels = api::StringMap{{std::string(api::kJobSetNameKey), "js"},
                                       {std::string(api::kReplicatedJobNameKey), "workers"},
                                       {std::string(api::kJobIndexKey), "0"}};
  pod.metadata.annotations = api::StringMap{{std::string(api::kJobSetNameKey), "js"}};
  return pod;
}

void Annotate(api::Pod& pod, std::string_view key, std::string value) {
  (*pod.metadata.annotations)[std::string(key)] = std::move(value);
}

TEST(ValidatePodTest, AllowsOrdinaryPods) {
  api::Pod plain;  // not a JobSet pod at all
  EXPECT_TRUE(ValidatePod(plain, AdmissionOperation::kCreate).allowed);
  EXPECT_TRUE(ValidatePod(JobSetPod(), AdmissionOperation::kCreate).allowed);
  EXPECT_TRUE(ValidatePod(JobSetPod(), AdmissionOperation::kCreate).warnings.empty());
}

TEST(ValidatePodTest, AllowsPlacementPodsWithTheirGangLabels) {
  api::Pod pod = JobSetPod();
  Annotate(pod, api::kExclusiveKey, "cloud.google.com/gke-nodepool");
  // A follower without a nodeSelector: upstream would reject it until the leader is scheduled;
  // Phalanx gates it instead.
  PodVerdict v = ValidatePod(pod, AdmissionOperation::kCreate);
  EXPECT_TRUE(v.allowed);
  EXPECT_TRUE(v.warnings.empty());
}

TEST(ValidatePodTest, DeniesPlacementPodMissingGangLabels) {
  api::Pod pod = JobSetPod();
  Annotate(pod, api::kExclusiveKey, "rack");
  pod.metadata.labels->erase(std::string(api::kReplicatedJobNameKey));
  pod.metadata.labels->erase(std::string(api::kJobIndexKey));
  PodVerdict v = ValidatePod(pod, AdmissionOperation::kCreate);
  EXPECT_FALSE(v.allowed);
  EXPECT_THAT(v.message, HasSubstr("alpha.jobset.sigs.k8s.io/exclusive-topology"));
  EXPECT_THAT(v.message, HasSubstr("jobset.sigs.k8s.io/replicatedjob-name, jobset.sigs.k8s.io/job-index"));

  api::Pod gang = JobSetPod();
  Annotate(gang, api::kGangPolicyKey, "Job");
  (*gang.metadata.labels)[std::string(api::kJobIndexKey)] = "";
  PodVerdict g = ValidatePod(gang, AdmissionOperation::kCreate);
  EXPECT_FALSE(g.allowed);
  EXPECT_THAT(g.message, HasSubstr("phalanx.dev/gang-policy"));
}

TEST(ValidatePodTest, MissingLabelsAllowedOutsideCreateOrWithoutPlacement) {
  api::Pod pod = JobSetPod();
  pod.metadata.labels->clear();
  EXPECT_TRUE(ValidatePod(pod, AdmissionOperation::kCreate).allowed);  // no placement asked
  Annotate(pod, api::kExclusiveKey, "rack");
  EXPECT_TRUE(ValidatePod(pod, AdmissionOperation::kUpdate).allowed);
  EXPECT_TRUE(ValidatePod(pod, AdmissionOperation::kDelete).allowed);
  Annotate(pod, api::kNodeSelectorStrategyKey, "true");
  EXPECT_TRUE(ValidatePod(pod, AdmissionOperation::kCreate).allowed);
}

TEST(ValidatePodTest, Warnings) {
  api::Pod unknown = JobSetPod();
  Annotate(unknown, api::kGangPolicyKey, "Everything");
  PodVerdict v = ValidatePod(unknown, AdmissionOperation::kCreate);
  EXPECT_TRUE(v.allowed);
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_THAT(v.warnings[0], HasSubstr("\"Everything\"; treated as Job"));

  api::Pod empty_key = JobSetPod();
  Annotate(empty_key, api::kExclusiveKey, "");
  ASSERT_EQ(ValidatePod(empty_key, AdmissionOperation::kCreate).warnings.size(), 1u);

  api::Pod stray_gate = JobSetPod();
  stray_gate.scheduling_gates = std::vector<std::string>{std::string(api::kPlacementGate)};
  ASSERT_EQ(ValidatePod(stray_gate, AdmissionOperation::kCreate).warnings.size(), 1u);

  for (const auto& w : v.warnings) EXPECT_LE(w.size(), 120u);
}

}  // namespace
}  // namespace phalanx::webhook
