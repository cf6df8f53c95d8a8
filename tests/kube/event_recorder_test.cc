// Events: shape of a new events.k8s.io/v1 Event and aggregation of repeats into a series.
#include "kube/event_recorder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "tests/kube/fake_clock.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;

TEST(EventRecorderTest, CreatesEventsAndAggregatesRepeatsIntoSeries) {
  MemoryCluster cluster;
  testing::FakeClock clock;
  EventRecorder rec(cluster, clock, EventSource{"jobset.sigs.k8s.io/jobset-controller", "controller-0"});
  ASSERT_OK_AND_ASSIGN(Object js, cluster.Create(kJobSets, "default", R"({"metadata":{"name":"demo"},"spec":{}})"));
  ObjectReference job{"batch/v1", "Job", "default", "demo-workers-0", ""};
  ObjectReference regarding = ObjectReference::To(js);
  ASSERT_OK(rec.Record(regarding, "Normal", "JobsCreated", "Reconcile", "Created 1 job(s)", &job));
  clock.Advance(absl::Seconds(1));
  ASSERT_OK(rec.Record(regarding, "Normal", "JobsCreated", "Reconcile", "Created 1 job(s)", &job));
  clock.Advance(absl::Seconds(1));
  ASSERT_OK(rec.Record(regarding, "Normal", "JobsCreated", "Reconcile", "Created 1 job(s)", &job));
  ASSERT_OK(rec.Record(regarding, "Warning", "Failed", "Reconcile", "other"));
  ASSERT_OK_AND_ASSIGN(ObjectList events, cluster.List(kEvents, "default", ListOptions{}));
  ASSERT_EQ(events.items.size(), 2u);
  Json first;
  for (const Object& e : events.items) {
    Json j = Json::parse(e.json);
    if (j["reason"] == "JobsCreated") first = j;
  }
  // Same fields as the real Event in the fixtures.
  Json real = Json::parse(
      ::phalanx::testing::ReadFileOrDie(::phalanx::testing::FixturesDir() + "/api/create-event-eventsv1.request.json"));
  for (const auto& [k, v] : real.items()) EXPECT_TRUE(first.contains(k)) << k;
  EXPECT_EQ(first["regarding"]["uid"], js.meta.uid);
  EXPECT_EQ(first["related"]["name"], "demo-workers-0");
  EXPECT_EQ(first["reportingController"], "jobset.sigs.k8s.io/jobset-controller");
  EXPECT_EQ(first["series"]["count"], 3);
  EXPECT_THAT(first["eventTime"].get<std::string>(), ::testing::EndsWith("Z"));
  EXPECT_NE(first["series"]["lastObservedTime"], first["eventTime"]);
}

}  // namespace
}  // namespace phalanx::kube
