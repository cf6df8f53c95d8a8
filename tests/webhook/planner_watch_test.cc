// The "no planner" signal: the availability rule on the planner's Lease, one Event per JobSet per
// outage (never per pod), and the gauge, against an in-memory API server.
#include "webhook/planner_watch.h"

#include <string>

#include "api/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "webhook/handler.h"

namespace phalanx::webhook {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

LeaseRecord Held(std::string renew, std::string holder = "extender-0") {
  return LeaseRecord{std::move(holder), std::move(renew), 15};
}

TEST(ReadLeaseTest, FieldsAndErrors) {
  ASSERT_OK_AND_ASSIGN(LeaseRecord r, ReadLease(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
      "metadata":{"name":"phalanx-extender"},"spec":{"holderIdentity":"x_1","leaseDurationSeconds":20,
      "renewTime":"2026-11-28T17:01:01.000000Z"}})"));
  EXPECT_EQ(r.holder, "x_1");
  EXPECT_EQ(r.duration_seconds, 20);
  EXPECT_EQ(r.renew_time, "2026-11-28T17:01:01.000000Z");
  ASSERT_OK_AND_ASSIGN(LeaseRecord empty, ReadLease(R"({"metadata":{"name":"l"}})"));
  EXPECT_EQ(empty.holder, "");
  EXPECT_THAT(ReadLease(R"({"spec":{"holderIdentity":3}})").status(),
              phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadLease("nope").status(), phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PlannerTrackerTest, AvailabilityRule) {
  const absl::Duration grace = absl::Seconds(30);
  {
    SCOPED_TRACE("no Lease: available only during the start-up grace");
    PlannerTracker t(kT0, grace);
    EXPECT_TRUE(t.Available(kT0 + absl::Seconds(29)));
    EXPECT_FALSE(t.Available(kT0 + absl::Seconds(30)));
  }
  {
    SCOPED_TRACE("held and renewed: available; renewals stop: gone after duration + grace");
    PlannerTracker t(kT0, grace);
    t.ObserveLease(Held("r1"), kT0 + absl::Seconds(100));
    EXPECT_TRUE(t.Available(kT0 + absl::Seconds(140)));
    t.ObserveLease(Held("r2"), kT0 + absl::Seconds(140));  // renewed
    EXPECT_TRUE(t.Available(kT0 + absl::Seconds(184)));
    EXPECT_FALSE(t.Available(kT0 + absl::Seconds(185)));  // 140 + 15 + 30
    t.ObserveLease(Held("r2"), kT0 + absl::Seconds(190));  // the same record again: no renewal
    EXPECT_FALSE(t.Available(kT0 + absl::Seconds(190)));
  }
  {
    SCOPED_TRACE("released (empty holder): gone after the grace");
    PlannerTracker t(kT0, grace);
    t.ObserveLease(Held("r1", ""), kT0 + absl::Seconds(10));
    EXPECT_TRUE(t.Available(kT0 + absl::Seconds(39)));
    EXPECT_FALSE(t.Available(kT0 + absl::Seconds(40)));
  }
  {
    SCOPED_TRACE("deleted Lease");
    PlannerTracker t(kT0, absl::ZeroDuration());
    t.ObserveLease(Held("r1"), kT0);
    EXPECT_TRUE(t.Available(kT0 + absl::Seconds(14)));
    t.ObserveLease(std::nullopt, kT0 + absl::Seconds(1));
    EXPECT_FALSE(t.Available(kT0 + absl::Seconds(2)));
  }
}

TEST(PlannerTrackerTest, OncePerJobSetPerOutage) {
  PlannerTracker t(kT0, absl::ZeroDuration());
  const absl::Time down = kT0 + absl::Seconds(1);
  EXPECT_TRUE(t.ShouldWarn("js-a", down));
  EXPECT_FALSE(t.ShouldWarn("js-a", down));  // every further pod of js-a: nothing
  EXPECT_TRUE(t.ShouldWarn("js-b", down));
  t.ObserveLease(Held("r1"), kT0 + absl::Seconds(2));  // the planner is back
  EXPECT_FALSE(t.ShouldWarn("js-a", kT0 + absl::Seconds(3)));
  t.Tick(kT0 + absl::Seconds(3));
  // The next outage warns again.
  EXPECT_TRUE(t.ShouldWarn("js-a", kT0 + absl::Seconds(100)));
}

api::Pod GatedPod(const std::string& jobset, const std::string& uid, int i) {
  api::Pod pod;
  pod.metadata.name = jobset + "-w-0-" + std::to_string(i) + "-abcde";
  pod.metadata.namespace_ = "team";
  pod.metadata.labels = api::StringMap{{std::string(api::kJobSetNameKey), jobset},
                                       {std::string(api::kJobSetUidKey), uid}};
  pod.metadata.annotations = api::StringMap{{std::string(api::kJobSetNameKey), jobset}};
  return pod;
}

size_t PlannerEvents(kube::MemoryCluster& cluster, const std::string& jobset) {
  absl::StatusOr<kube::ObjectList> events = cluster.List(kube::kEvents, "team", {});
  if (!events.ok()) return 0;
  size_t n = 0;
  for (const kube::Object& e : events->items) {
    nlohmann::json j = nlohmann::json::parse(e.json);
    if (j["reason"] == "PlannerUnavailable" && j["regarding"]["name"] == jobset) {
      EXPECT_EQ(j["type"], "Warning");
      EXPECT_EQ(j["regarding"]["kind"], "JobSet");
      EXPECT_THAT(j["note"].get<std::string>(), HasSubstr("phalanx-system/phalanx-extender"));
      ++n;
    }
  }
  return n;
}

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

TEST(PlannerWatchTest, EventOncePerJobSetAndGauge) {
  kube::MemoryCluster cluster;
  PlannerWatchOptions options;
  options.grace = absl::ZeroDuration();
  options.tick = absl::Milliseconds(10);
  PlannerWatch watch(cluster, options);
  watch.Start();
  EXPECT_FALSE(watch.Available());
  EXPECT_THAT(watch.RenderMetrics(), HasSubstr("phalanx_planner_available 0\n"));
  for (int i = 0; i < 5; ++i) watch.NoteGated(GatedPod("train", "uid-train", i));
  watch.NoteGated(GatedPod("eval", "uid-eval", 0));
  ASSERT_TRUE(WaitFor([&] { return watch.EventsSent() == 2; })) << watch.EventsSent();
  EXPECT_EQ(PlannerEvents(cluster, "train"), 1u);
  EXPECT_EQ(PlannerEvents(cluster, "eval"), 1u);
  EXPECT_THAT(watch.RenderMetrics(), HasSubstr("phalanx_webhook_gated_without_planner_total 6\n"));

  // The extender takes its Lease: available, and further gated pods send nothing.
  ASSERT_OK(cluster.Create(kube::kLeases, "phalanx-system", R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
      "metadata":{"name":"phalanx-extender","namespace":"phalanx-system"},
      "spec":{"holderIdentity":"extender-0","leaseDurationSeconds":15,"renewTime":"2026-12-07T16:00:00.000000Z"}})"));
  ASSERT_TRUE(WaitFor([&] { return watch.Available(); }));
  EXPECT_THAT(watch.RenderMetrics(), HasSubstr("phalanx_planner_available 1\n"));
  watch.NoteGated(GatedPod("later", "uid-later", 0));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(watch.EventsSent(), 2);
  watch.Stop();
}

// The mutating webhook reports exactly the pods it gates.
TEST(PlannerWatchTest, HandlerCallsOnGatedForGatedPodsOnly) {
  int gated = 0;
  PodWebhookOptions options;
  options.on_gated = [&](const api::Pod&) { ++gated; };
  auto review = [](const std::string& annotations) {
    return std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",)"
                       R"("kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},)"
                       R"("namespace":"team","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{)"
                       R"("generateName":"js-w-0-0-","labels":{"jobset.sigs.k8s.io/jobset-name":"js"},"annotations":)") +
           annotations + R"(},"spec":{"containers":[{"name":"c","image":"i"}]}}}})";
  };
  HandleAdmission(kMutatePodPath, "application/json",
                  review(R"({"jobset.sigs.k8s.io/jobset-name":"js","alpha.jobset.sigs.k8s.io/exclusive-topology":"rack"})"),
                  options);
  EXPECT_EQ(gated, 1);
  HandleAdmission(kMutatePodPath, "application/json", review(R"({"jobset.sigs.k8s.io/jobset-name":"js"})"), options);
  EXPECT_EQ(gated, 1);  // no placement asked: no gate, no call
}

}  // namespace
}  // namespace phalanx::webhook
