// Managed-cluster options of the pod webhook: spec.schedulerName on the pods it gates, and the fence
// toleration on DaemonSet pods — through the handler, on the captured Pod CREATE review.
#include "webhook/managed_cluster.h"

#include <string>

#include "api/admission.h"
#include "api/json_patch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "webhook/handler.h"

namespace phalanx::webhook {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

std::string CapturedReview() {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() +
                                         "/admission/pod-create-from-job-controller.mutate-pod.request.json");
}

// The review with its pod edited by `edit`.
std::string Edited(const std::function<void(Json&)>& edit) {
  Json review = Json::parse(CapturedReview());
  edit(review["request"]["object"]);
  return review.dump();
}

// The pod after the handler's patch (and the response's warnings).
Json Mutated(const std::string& review, const PodWebhookOptions& options, std::vector<std::string>* warnings = nullptr) {
  HttpReply reply = HandleAdmission(kMutatePodPath, "application/json", review, options);
  EXPECT_EQ(reply.status, 200) << reply.body;
  auto decoded = api::DecodeAdmissionResponseReview(reply.body);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (!decoded.ok()) return Json();
  EXPECT_TRUE(decoded->response.allowed);
  if (warnings != nullptr) *warnings = decoded->response.warnings;
  std::string object = Json::parse(review)["request"]["object"].dump();
  if (!decoded->response.patch) return Json::parse(object);
  absl::StatusOr<std::string> patched = api::ApplyJsonPatch(object, *decoded->response.patch);
  EXPECT_TRUE(patched.ok()) << patched.status();
  return patched.ok() ? Json::parse(*patched) : Json();
}

PodWebhookOptions Managed(std::string scheduler, bool daemonsets) {
  PodWebhookOptions o;
  o.managed.scheduler_name = std::move(scheduler);
  o.managed.tolerate_fence_in_daemonsets = daemonsets;
  return o;
}

TEST(SchedulerNameTest, GatedPodsGoToThePhalanxProfile) {
  Json pod = Mutated(CapturedReview(), Managed("phalanx-scheduler", false));
  EXPECT_EQ(pod["spec"]["schedulerName"], "phalanx-scheduler");  // was default-scheduler
  EXPECT_EQ(pod["spec"]["schedulingGates"][0]["name"], "phalanx.dev/placement");
  EXPECT_EQ(pod["metadata"]["labels"]["jobset.sigs.k8s.io/priority"], "0");
  // Without the option: unchanged scheduler.
  EXPECT_EQ(Mutated(CapturedReview(), PodWebhookOptions{})["spec"]["schedulerName"], "default-scheduler");
}

TEST(SchedulerNameTest, UngatedAndOtherSchedulersAreLeftAlone) {
  // No placement asked: no gate, default scheduler kept.
  Json plain = Mutated(Edited([](Json& p) { p["metadata"]["annotations"].erase("alpha.jobset.sigs.k8s.io/exclusive-topology"); }),
                       Managed("phalanx-scheduler", false));
  EXPECT_EQ(plain["spec"]["schedulerName"], "default-scheduler");
  std::vector<std::string> warnings;
  Json other = Mutated(Edited([](Json& p) { p["spec"]["schedulerName"] = "volcano"; }), Managed("phalanx-scheduler", false),
                       &warnings);
  EXPECT_EQ(other["spec"]["schedulerName"], "volcano");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("phalanx-scheduler"));
  Json unset = Mutated(Edited([](Json& p) { p["spec"].erase("schedulerName"); }), Managed("phalanx-scheduler", false));
  EXPECT_EQ(unset["spec"]["schedulerName"], "phalanx-scheduler");
}

// A DaemonSet pod as the DaemonSet controller creates it (no JobSet labels).
std::string DaemonSetReview(const Json& tolerations) {
  return Edited([&](Json& p) {
    p["metadata"] = {{"generateName", "node-agent-"},
                     {"namespace", "monitoring"},
                     {"ownerReferences",
                      {{{"apiVersion", "apps/v1"}, {"kind", "DaemonSet"}, {"name", "node-agent"}, {"uid", "ds-uid"}, {"controller", true}}}}};
    if (tolerations.is_null()) {
      p["spec"].erase("tolerations");
    } else {
      p["spec"]["tolerations"] = tolerations;
    }
  });
}

TEST(DaemonSetTolerationTest, Table) {
  const Json fence = {{"key", "phalanx.dev/reserved"}, {"operator", "Exists"}, {"effect", "NoSchedule"}};
  const Json not_ready = {{"key", "node.kubernetes.io/not-ready"}, {"operator", "Exists"}, {"effect", "NoExecute"}};
  const Json everything = {{"operator", "Exists"}};
  struct Case {
    std::string name;
    Json tolerations;
    bool option;
    Json want;
  };
  std::vector<Case> cases = {
      {"appended", Json::array({not_ready}), true, Json::array({not_ready, fence})},
      {"list created", Json(), true, Json::array({fence})},
      {"already tolerates everything", Json::array({everything}), true, Json::array({everything})},
      {"option off", Json::array({not_ready}), false, Json::array({not_ready})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Json pod = Mutated(DaemonSetReview(c.tolerations), Managed("", c.option));
    EXPECT_EQ(pod["spec"].value("tolerations", Json::array()), c.want);
  }
  // A pod of a ReplicaSet gets nothing.
  Json rs = Mutated(Edited([](Json& p) {
                      p["metadata"] = {{"generateName", "web-"},
                                       {"ownerReferences", {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "web"}, {"uid", "u"}, {"controller", true}}}}};
                    }),
                    Managed("", true));
  EXPECT_EQ(rs["spec"]["tolerations"].size(), 3u);  // the captured pod's three
}

TEST(ReadPodSchedulingShapeTest, Errors) {
  EXPECT_THAT(ReadPodSchedulingShape(R"({"spec":{"tolerations":{}}})").status(),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadPodSchedulingShape(R"({"spec":{"schedulerName":1}})").status(),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace phalanx::webhook
