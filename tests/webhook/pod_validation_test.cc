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

  for (const auto& w : v.warnings) EXPECT_LE(w.size(), 120u);
}

void Gate(api::Pod& pod) { pod.scheduling_gates = std::vector<std::string>{std::string(api::kPlacementGate)}; }

void OwnedBy(api::Pod& pod, std::string kind, std::string name, std::string api_version = "batch/v1") {
  api::OwnerReference o;
  o.api_version = std::move(api_version);
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.uid = "job-uid";
  o.controller = true;
  pod.metadata.owner_references = std::vector<api::OwnerReference>{o};
}

TEST(ValidatePodTest, OurGateOnAPodOfItsOwnGangIsAllowed) {
  api::Pod pod = JobSetPod();
  Annotate(pod, api::kExclusiveKey, "rack");
  Gate(pod);
  OwnedBy(pod, "Job", "js-workers-0");
  EXPECT_TRUE(ValidatePod(pod, AdmissionOperation::kCreate).allowed);
}

TEST(ValidatePodTest, AForgedGateIsRefused) {
  // Our gate on a pod that asks for no placement: the creator put it there.
  api::Pod stray = JobSetPod();
  Gate(stray);
  OwnedBy(stray, "Job", "js-workers-0");
  PodVerdict v = ValidatePod(stray, AdmissionOperation::kCreate);
  EXPECT_FALSE(v.allowed);
  EXPECT_THAT(v.message, HasSubstr("spec.schedulingGates: Forbidden: phalanx.dev/placement is set by Phalanx only"));

  api::Pod node_selector = stray;
  Annotate(node_selector, api::kExclusiveKey, "rack");
  Annotate(node_selector, api::kNodeSelectorStrategyKey, "true");
  EXPECT_FALSE(ValidatePod(node_selector, AdmissionOperation::kCreate).allowed);

  // A pod copying another gang's labels: no owner, a Job of another name, another kind.
  for (int c = 0; c < 4; ++c) {
    api::Pod copy = JobSetPod();
    Annotate(copy, api::kExclusiveKey, "rack");
    Gate(copy);
    if (c == 1) OwnedBy(copy, "Job", "mine-workers-0");
    if (c == 2) OwnedBy(copy, "ReplicaSet", "js-workers-0", "apps/v1");
    if (c == 3) OwnedBy(copy, "Job", "js-workers-0", "example.com/v1");
    PodVerdict d = ValidatePod(copy, AdmissionOperation::kCreate);
    EXPECT_FALSE(d.allowed) << c;
    EXPECT_THAT(d.message, HasSubstr("must be controlled by its gang's Job \"js-workers-0\"")) << c;
  }
  // Ungated (no mutating webhook in front) the pod is not refused here: the extender's owner-chain
  // check keeps it out of the gang. Gates cannot be added after creation, so UPDATE is not checked.
  api::Pod ungated = JobSetPod();
  Annotate(ungated, api::kExclusiveKey, "rack");
  EXPECT_TRUE(ValidatePod(ungated, AdmissionOperation::kCreate).allowed);
  Gate(ungated);
  EXPECT_TRUE(ValidatePod(ungated, AdmissionOperation::kUpdate).allowed);
}

}  // namespace
}  // namespace phalanx::webhook
