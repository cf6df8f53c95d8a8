#include "webhook/pod_mutation.h"

#include <string>

#include "api/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::webhook {
namespace {

using api::AdmissionOperation;

// A JobSet pod as the Job controller creates it (labels and annotations from the pod template).
api::Pod JobSetPod() {
  api::Pod pod;
  pod.metadata.generate_name = "js-workers-0-0-";
  pod.metadata.labels = api::StringMap{{std::string(api::kJobSetNameKey), "js"},
                                       {std::string(api::kReplicatedJobNameKey), "workers"},
                                       {std::string(api::kJobIndexKey), "0"}};
  pod.metadata.annotations = api::StringMap{{std::string(api::kJobSetNameKey), "js"}};
  pod.priority = 0;
  return pod;
}

void Annotate(api::Pod& pod, std::string_view key, std::string value) {
  (*pod.metadata.annotations)[std::string(key)] = std::move(value);
}

TEST(PriorityLabelValueTest, NegativeValuesAreValidLabels) {
  EXPECT_EQ(PriorityLabelValue(0), "0");
  EXPECT_EQ(PriorityLabelValue(1000), "1000");
  EXPECT_EQ(PriorityLabelValue(-5), "n5");
  EXPECT_EQ(PriorityLabelValue(2147483647), "2147483647");
  EXPECT_EQ(PriorityLabelValue(-2147483647 - 1), "n2147483648");
}

TEST(DecidePodMutationTest, Table) {
  struct Case {
    std::string name;
    api::Pod pod;
    AdmissionOperation op = AdmissionOperation::kCreate;
    std::optional<std::string> label;
    bool gate = false;
    size_t warnings = 0;
  };
  std::vector<Case> cases;
  {
    Case c{"plain JobSet pod gets the priority label", JobSetPod()};
    c.label = "0";
    cases.push_back(c);
  }
  {
    Case c{"negative priority", JobSetPod()};
    c.pod.priority = -5;
    c.label = "n5";
    cases.push_back(c);
  }
  {
    Case c{"no priority, no label", JobSetPod()};
    c.pod.priority.reset();
    cases.push_back(c);
  }
  {
    Case c{"label already right", JobSetPod()};
    (*c.pod.metadata.labels)[std::string(api::kPriorityKey)] = "0";
    cases.push_back(c);
  }
  {
    Case c{"label wrong is corrected", JobSetPod()};
    (*c.pod.metadata.labels)[std::string(api::kPriorityKey)] = "7";
    c.label = "0";
    cases.push_back(c);
  }
  {
    Case c{"not a JobSet pod (label only, no annotation)", JobSetPod()};
    c.pod.metadata.annotations->clear();
    cases.push_back(c);
  }
  {
    Case c{"node-selector strategy: nothing at all", JobSetPod()};
    Annotate(c.pod, api::kNodeSelectorStrategyKey, "true");
    Annotate(c.pod, api::kExclusiveKey, "cloud.google.com/gke-nodepool");
    cases.push_back(c);
  }
  {
    Case c{"exclusive topology gets the gate", JobSetPod()};
    Annotate(c.pod, api::kExclusiveKey, "cloud.google.com/gke-nodepool");
    c.label = "0";
    c.gate = true;
    cases.push_back(c);
  }
  {
    Case c{"gang policy gets the gate", JobSetPod()};
    Annotate(c.pod, api::kGangPolicyKey, "JobSet");
    c.label = "0";
    c.gate = true;
    cases.push_back(c);
  }
  {
    Case c{"gate already there", JobSetPod()};
    Annotate(c.pod, api::kGangPolicyKey, "Job");
    c.pod.scheduling_gates = std::vector<std::string>{"kueue.x-k8s.io/topology",
                                                      std::string(api::kPlacementGate)};
    c.label = "0";
    cases.push_back(c);
  }
  {
    Case c{"bound by nodeName: no gate, a warning", JobSetPod()};
    Annotate(c.pod, api::kExclusiveKey, "rack");
    c.pod.node_name = "node-1";
    c.label = "0";
    c.warnings = 1;
    cases.push_back(c);
  }
  {
    Case c{"UPDATE changes nothing", JobSetPod()};
    Annotate(c.pod, api::kExclusiveKey, "rack");
    c.op = AdmissionOperation::kUpdate;
    cases.push_back(c);
  }
  {
    Case c{"DELETE changes nothing", JobSetPod()};
    c.op = AdmissionOperation::kDelete;
    cases.push_back(c);
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PodMutation m = DecidePodMutation(c.pod, c.op);
    EXPECT_EQ(m.priority_label, c.label);
    EXPECT_EQ(m.add_placement_gate, c.gate);
    EXPECT_EQ(m.warnings.size(), c.warnings);
    EXPECT_EQ(m.empty(), !c.label && !c.gate);
  }
}

TEST(PodMutationPatchTest, CreatesMissingLabelsAndGates) {
  api::Pod pod = JobSetPod();
  pod.metadata.labels.reset();
  Annotate(pod, api::kExclusiveKey, "rack");
  PodMutation m = DecidePodMutation(pod, AdmissionOperation::kCreate);
  EXPECT_EQ(PodMutationPatch(pod, m).ToJson(),
            R"([{"op":"add","path":"/metadata/labels","value":{"jobset.sigs.k8s.io/priority":"0"}},)"
            R"({"op":"add","path":"/spec/schedulingGates","value":[{"name":"phalanx.dev/placement"}]}])");
}

TEST(PodMutationPatchTest, AddsIntoExistingLabelsAndGates) {
  api::Pod pod = JobSetPod();
  pod.priority = -3;
  pod.scheduling_gates = std::vector<std::string>{"other"};
  Annotate(pod, api::kGangPolicyKey, "ReplicatedJob");
  PodMutation m = DecidePodMutation(pod, AdmissionOperation::kCreate);
  EXPECT_EQ(PodMutationPatch(pod, m).ToJson(),
            R"([{"op":"add","path":"/metadata/labels/jobset.sigs.k8s.io~1priority","value":"n3"},)"
            R"({"op":"add","path":"/spec/schedulingGates/-","value":{"name":"phalanx.dev/placement"}}])");
}

TEST(PodMutationPatchTest, EmptyMutationEmptyPatch) {
  api::Pod pod = JobSetPod();
  EXPECT_TRUE(PodMutationPatch(pod, PodMutation{}).empty());
}

}  // namespace
}  // namespace phalanx::webhook
