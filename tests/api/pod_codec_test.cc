#include <string>

#include "api/admission.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

TEST(DecodePodTest, JobControllerPodFromAdmissionReview) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(
                           Fixture("pod-create-from-job-controller.mutate-pod.request.json")));
  ASSERT_TRUE(review.request.object.has_value());
  ASSERT_OK_AND_ASSIGN(Pod pod, DecodePod(*review.request.object));
  EXPECT_FALSE(pod.metadata.name.has_value());
  EXPECT_EQ(pod.metadata.generate_name, "js-named-workers-0-0-");
  EXPECT_EQ(pod.metadata.namespace_, "default");
  EXPECT_EQ(pod.metadata.Label("jobset.sigs.k8s.io/jobset-name"), "js-named");
  EXPECT_EQ(pod.metadata.Annotation("alpha.jobset.sigs.k8s.io/exclusive-topology"),
            "cloud.google.com/gke-nodepool");
  EXPECT_EQ(pod.metadata.Annotation("batch.kubernetes.io/job-completion-index"), "0");
  ASSERT_NE(pod.ControllerOwner(), nullptr);
  EXPECT_EQ(pod.ControllerOwner()->kind, "Job");
  EXPECT_EQ(pod.ControllerOwner()->uid, "5de2832b-e02c-419e-a94d-782aa2680f2e");
  EXPECT_EQ(pod.priority, 0);
  EXPECT_FALSE(pod.scheduling_gates.has_value());
  ASSERT_TRUE(pod.node_selector.has_value());
  EXPECT_EQ(pod.node_selector->at("cloud.google.com/gke-tpu-topology"), "2x2");
  EXPECT_EQ(pod.node_name, "");
}

TEST(DecodePodTest, GatesPriorityNodeName) {
  const std::string text =
      R"({"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"priority":-5,)"
      R"("schedulingGates":[{"name":"x"},{"name":"phalanx.dev/placement"}],"nodeName":"n1"}})";
  ASSERT_OK_AND_ASSIGN(Pod p, DecodePod(text));
  EXPECT_EQ(p.metadata.name, "p");
  EXPECT_EQ(p.priority, -5);
  ASSERT_TRUE(p.scheduling_gates.has_value());
  EXPECT_EQ(p.scheduling_gates->size(), 2u);
  EXPECT_TRUE(p.HasSchedulingGate("phalanx.dev/placement"));
  EXPECT_FALSE(p.HasSchedulingGate("other"));
  EXPECT_EQ(p.node_name, "n1");
  EXPECT_EQ(p.ControllerOwner(), nullptr);
}

TEST(DecodePodTest, NullsAreAbsent) {
  ASSERT_OK_AND_ASSIGN(
      Pod pod, DecodePod(R"({"metadata":{"labels":null},"spec":{"schedulingGates":null,"priority":null}})"));
  EXPECT_FALSE(pod.metadata.labels.has_value());
  EXPECT_FALSE(pod.scheduling_gates.has_value());
  EXPECT_FALSE(pod.priority.has_value());
  ASSERT_OK_AND_ASSIGN(Pod empty_gates, DecodePod(R"({"spec":{"schedulingGates":[]}})"));
  ASSERT_TRUE(empty_gates.scheduling_gates.has_value());
  EXPECT_TRUE(empty_gates.scheduling_gates->empty());
}

TEST(DecodePodTest, WrongTypesNameTheField) {
  struct Case {
    std::string body, field;
  } cases[] = {
      {R"({"spec":{"priority":"5"}})", "spec.priority"},
      {R"({"spec":{"priority":1.5}})", "spec.priority"},
      {R"({"spec":{"priority":4294967296}})", "spec.priority"},
      {R"({"spec":{"schedulingGates":{}}})", "spec.schedulingGates"},
      {R"({"spec":{"schedulingGates":["x"]}})", "spec.schedulingGates[0]"},
      {R"({"metadata":{"labels":{"a":1}}})", "metadata.labels[a]"},
      {R"({"metadata":{"annotations":[]}})", "metadata.annotations"},
      {R"({"metadata":{"ownerReferences":[{"controller":"yes"}]}})",
       "metadata.ownerReferences[0].controller"},
      {R"({"spec":{"nodeSelector":"x"}})", "spec.nodeSelector"},
      {R"([])", "pod"},
      {R"({"metadata":)", "malformed JSON"},
      {std::string(200, '[') + std::string(200, ']'), "nested"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto pod = DecodePod(c.body);
    ASSERT_FALSE(pod.ok());
    EXPECT_EQ(pod.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(pod.status().message()), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace phalanx::api
