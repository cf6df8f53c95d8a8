// ExtenderState: reservations from JobSets, recording before pinning, waiting without holding, release,
// adoption after a restart, first-sight reservation through Filter, and moving off unhealthy domains.
#include "scheduler-extender/state.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "scheduler-extender/reservation_record.h"
#include "scheduler-extender/wire.h"
#include "tests/scheduler-extender/test_objects.h"

namespace phalanx::extender {
namespace {

using testing::JobSet;
using testing::kPoolKey;
using testing::Pod;
using testing::Pools;
using testing::RJ;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class StateTest : public ::testing::Test {
 protected:
  void AddPools(ExtenderState& s, int pools, int nodes) {
    for (const nlohmann::json& n : Pools(pools, nodes)) s.OnNode(n.dump());
  }
  // Plans and reports every record as written, as the planner does when the API accepts the patches.
  PlanActions PlanAndRecord(ExtenderState& s) {
    PlanActions a = s.Plan(kNow);
    for (const RecordAction& r : a.records) s.Recorded(r.jobset.uid, r.value);
    return a;
  }
  static std::map<std::string, std::string> Record(const std::string& text) {
    absl::StatusOr<ReservationRecord> r = DecodeReservationRecord(text);
    EXPECT_TRUE(r.ok()) << text;
    return r.ok() ? *r : std::map<std::string, std::string>{};
  }
  static api::PodInfo PodInfo(const nlohmann::json& pod) {
    absl::StatusOr<api::PodInfo> p = DecodePodInfo(pod.dump());
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : api::PodInfo{};
  }
};

TEST_F(StateTest, ReservesOnePoolPerJobAndPinsOnlyAfterTheRecordIsWritten) {
  ExtenderState s;
  AddPools(s, 8, 4);
  s.OnJobSet(JobSet("train", {{"workers", 4, 4}}, "u1").dump());
  for (int j = 0; j < 4; ++j) {
    for (int c = 0; c < 4; ++c) s.OnPod(Pod("train", "u1", "workers", j, c).dump());
  }

  PlanActions first = s.Plan(kNow);
  ASSERT_EQ(first.records.size(), 1u);
  EXPECT_EQ(first.records[0].jobset.name, "train");
  EXPECT_TRUE(first.pins.empty()) << "no pod is ungated before its reservation is on the API";
  std::map<std::string, std::string> record = Record(first.records[0].value);
  ASSERT_EQ(record.size(), 4u);
  std::set<std::string> pools;
  for (const auto& [job, domain] : record) {
    EXPECT_TRUE(absl::StartsWith(domain, std::string(kPoolKey) + "=pool-")) << domain;
    pools.insert(domain);
  }
  EXPECT_EQ(pools.size(), 4u) << "no pool shared between Jobs";

  s.Recorded("u1", first.records[0].value);
  PlanActions second = s.Plan(kNow);
  EXPECT_TRUE(second.records.empty());
  ASSERT_EQ(second.pins.size(), 16u);
  for (const PinAction& p : second.pins) {
    // name is train-workers-<j>-<c>-x: its Job's domain must be the one recorded for workers/<j>.
    const std::string job = "workers/" + p.name.substr(std::string("train-workers-").size(), 1);
    EXPECT_EQ(p.domain, record[job]);
    const std::string pool = p.domain.substr(p.domain.find('=') + 1);
    const std::string patch = p.patch.ToJson();
    EXPECT_TRUE(absl::StrContains(patch, "\"remove\"")) << patch;
    EXPECT_TRUE(absl::StrContains(patch, pool)) << patch;
    EXPECT_TRUE(absl::StrContains(patch, "metadata.name")) << patch;
  }
  // Handed out once: not again while the patches are in flight or after they succeeded.
  for (const PinAction& p : second.pins) s.Pinned(p.uid);
  EXPECT_TRUE(s.Plan(kNow).pins.empty());
}

TEST_F(StateTest, AGangThatDoesNotFitWaitsHoldingNothingAndSaysWhyOnce) {
  ExtenderState s;
  AddPools(s, 4, 4);
  s.OnJobSet(JobSet("first", {{"workers", 3, 4}}, "u1").dump());
  PlanAndRecord(s);
  ASSERT_EQ(s.Counts().reservations, 3u);

  // Two Jobs as one gang: only one pool is free, so neither Job may take it.
  s.OnJobSet(JobSet("second", {{"workers", 2, 4}}, "u2",
                    {{testing::kExclusive, kPoolKey}, {"phalanx.dev/gang-policy", "JobSet"}})
                 .dump());
  PlanActions a = PlanAndRecord(s);
  EXPECT_EQ(a.waiting_gangs, 1);
  EXPECT_EQ(s.Counts().reservations, 3u);
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].jobset.name, "second");
  EXPECT_EQ(a.events[0].reason, "GangWaiting");
  EXPECT_EQ(a.events[0].type, "Warning");
  EXPECT_TRUE(absl::StrContains(a.events[0].note, "jobset waits: ")) << a.events[0].note;
  EXPECT_EQ(s.WantedRecord("u2"), "");
  EXPECT_TRUE(s.Plan(kNow).events.empty()) << "the same reason is not sent again";

  // The first JobSet completes: its pools are released and the gang is placed whole.
  nlohmann::json done = JobSet("first", {{"workers", 3, 4}}, "u1");
  done["status"] = {{"conditions", {{{"type", "Completed"}, {"status", "True"}}}}};
  s.OnJobSet(done.dump());
  PlanActions b = PlanAndRecord(s);
  EXPECT_EQ(b.placed_gangs, 1);
  ASSERT_TRUE(s.WantedRecord("u2").has_value());
  EXPECT_EQ(Record(*s.WantedRecord("u2")).size(), 2u);
  bool placed_event = false;
  for (const EventAction& e : b.events) placed_event |= e.reason == "GangPlaced" && e.jobset.name == "second";
  EXPECT_TRUE(placed_event);
}

TEST_F(StateTest, SuspendReleasesTheReservationAndClearsTheRecord) {
  ExtenderState s;
  AddPools(s, 2, 4);
  nlohmann::json js = JobSet("train", {{"workers", 2, 4}}, "u1");
  s.OnJobSet(js.dump());
  PlanActions a = PlanAndRecord(s);
  ASSERT_EQ(a.records.size(), 1u);
  js["metadata"]["annotations"]["phalanx.dev/reservations"] = a.records[0].value;
  js["spec"]["suspend"] = true;
  s.OnJobSet(js.dump());
  EXPECT_EQ(s.Counts().reservations, 0u);
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(b.records[0].value, "") << "the annotation is removed";
}

TEST_F(StateTest, ARestartedExtenderAdoptsRecordedReservationsAndDoubleBooksNothing) {
  ExtenderState before;
  AddPools(before, 4, 4);
  nlohmann::json js = JobSet("train", {{"workers", 2, 4}}, "u1");
  before.OnJobSet(js.dump());
  PlanActions a = PlanAndRecord(before);
  ASSERT_EQ(a.records.size(), 1u);
  js["metadata"]["annotations"]["phalanx.dev/reservations"] = a.records[0].value;

  // A new process: JobSets may arrive before the nodes.
  ExtenderState after;
  after.OnJobSet(js.dump());
  AddPools(after, 4, 4);
  after.Sync();
  EXPECT_EQ(after.Counts().reservations, 2u);
  EXPECT_EQ(after.WantedRecord("u1"), a.records[0].value);
  EXPECT_TRUE(after.Plan(kNow).records.empty()) << "nothing to rewrite";

  // Another JobSet gets the two other pools, never the recorded ones.
  after.OnJobSet(JobSet("other", {{"w", 2, 4}}, "u2").dump());
  PlanActions b = PlanAndRecord(after);
  std::map<std::string, std::string> mine = Record(a.records[0].value);
  ASSERT_TRUE(after.WantedRecord("u2").has_value());
  for (const auto& [job, domain] : Record(*after.WantedRecord("u2"))) {
    for (const auto& [j2, d2] : mine) EXPECT_NE(domain, d2);
  }

  // A member pod of the adopted gang passes only on its pool.
  const std::string domain = mine["workers/0"];
  const std::string pool = domain.substr(domain.find('=') + 1);
  std::vector<std::string> names;
  for (const nlohmann::json& n : Pools(4, 4)) names.push_back(n["metadata"]["name"]);
  std::vector<std::string_view> views(names.begin(), names.end());
  placement::FilterResult f = after.Filter(PodInfo(Pod("train", "u1", "workers", 0, 0, {})), views);
  for (size_t i = 0; i < names.size(); ++i) {
    const bool in_pool = absl::StartsWith(names[i], "tpu-" + pool.substr(5) + "-");
    EXPECT_EQ(f.verdicts[i] == placement::Verdict::kPass, in_pool) << names[i];
  }
}

TEST_F(StateTest, FilterReservesOnFirstSightWhenPodsAreNotGated) {
  ExtenderState s;
  AddPools(s, 3, 4);
  s.OnJobSet(JobSet("train", {{"workers", 2, 4}}, "u1").dump());
  s.Sync();
  std::vector<std::string> names;
  for (const nlohmann::json& n : Pools(3, 4)) names.push_back(n["metadata"]["name"]);
  std::vector<std::string_view> views(names.begin(), names.end());
  placement::FilterResult f = s.Filter(PodInfo(Pod("train", "u1", "workers", 1, 0, {})), views);
  EXPECT_EQ(f.passed(), 4u) << "one whole pool";
  EXPECT_EQ(s.Counts().reservations, 1u);
  // The planner records what Filter reserved.
  PlanActions a = s.Plan(kNow);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_TRUE(absl::StrContains(a.records[0].value, "workers/1")) << a.records[0].value;
}

TEST_F(StateTest, AJobWithoutPodsMovesOffAPoolThatLostANode) {
  ExtenderState s;
  AddPools(s, 3, 4);
  s.OnJobSet(JobSet("train", {{"workers", 1, 4}}, "u1").dump());
  PlanActions a = PlanAndRecord(s);
  const std::string before = Record(a.records[0].value)["workers/0"];
  const std::string pool = before.substr(before.find('=') + 1);
  s.OnNode(testing::Node("tpu-" + pool.substr(5) + "-2", {{kPoolKey, pool}}, 4, /*ready=*/false).dump());
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.records.size(), 1u);
  const std::string after = Record(b.records[0].value)["workers/0"];
  EXPECT_NE(after, before);
  bool moved = false;
  for (const EventAction& e : b.events) moved |= e.reason == "GangMoved";
  EXPECT_TRUE(moved);
}

TEST_F(StateTest, AJobWithPodsOnALostPoolStaysUntilTheyAreGoneThenMoves) {
  ExtenderState s;
  AddPools(s, 3, 2);
  s.OnJobSet(JobSet("train", {{"workers", 1, 2}}, "u1").dump());
  PlanActions a = PlanAndRecord(s);
  const std::string before = Record(a.records[0].value)["workers/0"];
  const std::string n = before.substr(before.find("pool-") + 5);
  // Its two pods run on the pool; one node of it dies.
  nlohmann::json p0 = Pod("train", "u1", "workers", 0, 0, {}, "tpu-" + n + "-0");
  nlohmann::json p1 = Pod("train", "u1", "workers", 0, 1, {}, "tpu-" + n + "-1");
  p0["status"]["phase"] = p1["status"]["phase"] = "Running";
  s.OnPod(p0.dump());
  s.OnPod(p1.dump());
  s.OnNode(testing::Node("tpu-" + n + "-1", {{kPoolKey, "pool-" + n}}, 4, /*ready=*/false).dump());
  EXPECT_TRUE(s.Plan(kNow).records.empty()) << "a Job with running pods is not moved";
  // The restart: old pods go, a new gated pod appears; it is not pinned to the broken pool.
  p1["status"]["phase"] = "Failed";
  s.OnPod(p1.dump());
  nlohmann::json fresh = Pod("train", "u1", "workers", 0, 0, {"phalanx.dev/placement"});
  fresh["metadata"]["name"] = "train-workers-0-0-y";
  fresh["metadata"]["uid"] = "uid-new";
  s.OnPod(fresh.dump());
  EXPECT_TRUE(s.Plan(kNow).pins.empty());
  s.OnPodDeleted(p0["metadata"]["uid"].get<std::string>());
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_NE(Record(b.records[0].value)["workers/0"], before);
  EXPECT_TRUE(b.pins.empty()) << "pinned only once the new record is written";
  s.Recorded("u1", b.records[0].value);
  PlanActions c = s.Plan(kNow);
  ASSERT_EQ(c.pins.size(), 1u);
  EXPECT_EQ(c.pins[0].domain, Record(b.records[0].value)["workers/0"]);
}

TEST_F(StateTest, OnlyTheLeaderReservesAndAFormerLeaderKeepsOnlyRecordedReservations) {
  ExtenderState s;
  AddPools(s, 3, 4);
  s.OnJobSet(JobSet("recorded", {{"workers", 1, 4}}, "u1").dump());
  PlanAndRecord(s);
  s.OnJobSet(JobSet("tentative", {{"workers", 1, 4}}, "u2").dump());
  s.Plan(kNow);  // reserved, but its record was never written
  ASSERT_EQ(s.Counts().reservations, 2u);
  s.SetLeading(false);
  EXPECT_EQ(s.Counts().reservations, 1u);
  // A follower does not reserve on first sight either.
  std::vector<std::string> names;
  for (const nlohmann::json& n : Pools(3, 4)) names.push_back(n["metadata"]["name"]);
  std::vector<std::string_view> views(names.begin(), names.end());
  placement::FilterResult f = s.Filter(PodInfo(Pod("tentative", "u2", "workers", 0, 0, {})), views);
  EXPECT_EQ(f.passed(), 0u);
  EXPECT_EQ(s.Counts().reservations, 1u);
}

TEST_F(StateTest, DeletingAJobSetReleasesItsPoolsAndKueueNodeSelectorsAreHonoured) {
  ExtenderState s;
  AddPools(s, 3, 4);
  nlohmann::json js = JobSet("train", {{"workers", 1, 4}}, "u1");
  // As Kueue injects it into the pod template on admission.
  js["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["nodeSelector"] = {{kPoolKey, "pool-2"}};
  s.OnJobSet(js.dump());
  PlanActions a = PlanAndRecord(s);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(Record(a.records[0].value)["workers/0"], std::string(kPoolKey) + "=pool-2");
  s.OnJobSetDeleted("u1");
  EXPECT_EQ(s.Counts().reservations, 0u);
  EXPECT_EQ(s.Counts().jobsets, 0u);
}

TEST_F(StateTest, AColocatedGangIsPinnedByItsRacksFullPath) {
  ExtenderState s;
  const std::string block = "cloud.provider.com/topology-block", rack = "cloud.provider.com/topology-rack";
  // rack-1 and rack-2 exist in both blocks; block-1's rack-1 is busy with a pod of no JobSet.
  for (int b = 1; b <= 2; ++b) {
    for (int r = 1; r <= 2; ++r) {
      for (int n = 0; n < 2; ++n) {
        s.OnNode(testing::Node(absl::StrCat("b", b, "-r", r, "-", n),
                               {{block, absl::StrCat("block-", b)}, {rack, absl::StrCat("rack-", r)}})
                     .dump());
      }
    }
  }
  nlohmann::json busy = Pod("other", "u0", "x", 0, 0, {}, "b1-r1-0");
  busy["metadata"]["labels"] = nlohmann::json::object();
  busy["status"]["phase"] = "Running";
  s.OnPod(busy.dump());
  s.OnJobSet(JobSet("train", {{"workers", 2, 2}}, "u1",
                    {{testing::kExclusive, rack}, {"phalanx.dev/colocate-topology", block},
                     {"phalanx.dev/gang-policy", "JobSet"}})
                 .dump());
  for (int j = 0; j < 2; ++j) {
    for (int c = 0; c < 2; ++c) s.OnPod(Pod("train", "u1", "workers", j, c).dump());
  }
  PlanActions a = PlanAndRecord(s);
  ASSERT_EQ(a.records.size(), 1u) << "the gang fits block-2 although block-1's rack-1 is busy";
  std::map<std::string, std::string> record = Record(a.records[0].value);
  EXPECT_EQ(record["workers/0"].substr(0, rack.size() + 9), rack + "=block-2/");
  EXPECT_EQ(record["workers/1"].substr(0, rack.size() + 9), rack + "=block-2/");
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.pins.size(), 4u);
  for (const PinAction& p : b.pins) {
    const std::string patch = p.patch.ToJson();
    EXPECT_TRUE(absl::StrContains(patch, "\"cloud.provider.com/topology-block\":\"block-2\"")) << patch;
    EXPECT_TRUE(absl::StrContains(patch, "\"cloud.provider.com/topology-rack\":\"rack-")) << patch;
    EXPECT_FALSE(absl::StrContains(patch, "block-2/rack")) << "a nodeSelector value is a label value: " << patch;
  }
}

TEST_F(StateTest, AJobSetThatCannotBeReadAsADemandSaysSoOnce) {
  ExtenderState s;
  AddPools(s, 1, 4);
  s.OnJobSet(JobSet("odd", {{"workers", 1, 1}}, "u1", {{"phalanx.dev/gang-policy", "Everything"}}).dump());
  PlanActions a = s.Plan(kNow);
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].reason, "CannotPlace");
  EXPECT_TRUE(absl::StrContains(a.events[0].note, "Everything")) << a.events[0].note;
  EXPECT_TRUE(s.Plan(kNow).events.empty());
}

TEST_F(StateTest, ATransientPinFailureIsRetriedNextRoundARefusalOnlyOnceThePodChanges) {
  ExtenderState s;
  AddPools(s, 1, 4);
  s.OnJobSet(JobSet("train", {{"workers", 1, 2}}, "u1").dump());
  nlohmann::json a = Pod("train", "u1", "workers", 0, 0);
  nlohmann::json b = Pod("train", "u1", "workers", 0, 1);
  s.OnPod(a.dump());
  s.OnPod(b.dump());
  PlanAndRecord(s);
  PlanActions first = s.Plan(kNow);
  ASSERT_EQ(first.pins.size(), 2u);
  s.PinFailed(a["metadata"]["uid"].get<std::string>(), absl::UnavailableError("PATCH: Read"));
  s.PinFailed(b["metadata"]["uid"].get<std::string>(), absl::InvalidArgumentError("test failed"));
  PlanActions second = s.Plan(kNow);
  ASSERT_EQ(second.pins.size(), 1u);
  EXPECT_EQ(second.pins[0].name, a["metadata"]["name"]);
  b["metadata"]["resourceVersion"] = "2";
  s.OnPod(b.dump());
  PlanActions third = s.Plan(kNow);
  ASSERT_EQ(third.pins.size(), 1u);
  EXPECT_EQ(third.pins[0].name, b["metadata"]["name"]);
}

TEST_F(StateTest, PodsWithAnotherGateWaitForIt) {
  ExtenderState s;
  AddPools(s, 1, 4);
  s.OnJobSet(JobSet("train", {{"workers", 1, 1}}, "u1").dump());
  nlohmann::json pod = Pod("train", "u1", "workers", 0, 0, {"kueue.x-k8s.io/topology", "phalanx.dev/placement"});
  s.OnPod(pod.dump());
  PlanAndRecord(s);
  EXPECT_TRUE(s.Plan(kNow).pins.empty());
  pod["spec"]["schedulingGates"] = {{{"name", "phalanx.dev/placement"}}};
  pod["metadata"]["resourceVersion"] = "2";
  s.OnPod(pod.dump());
  EXPECT_EQ(s.Plan(kNow).pins.size(), 1u);
}

TEST_F(StateTest, JobSetsWithoutPlacementAreIgnored) {
  ExtenderState s;
  AddPools(s, 1, 4);
  s.OnJobSet(JobSet("plain", {{"workers", 1, 1}}, "u1", {}).dump());
  PlanActions a = s.Plan(kNow);
  EXPECT_TRUE(a.records.empty());
  EXPECT_EQ(s.Counts().jobsets, 0u);
}


// Tenant isolation: gang membership comes from the owner chain, not from copied labels.
nlohmann::json Impostor(nlohmann::json pod, const std::string& ns, const std::string& owner_job,
                        const std::string& uid) {
  pod["metadata"]["namespace"] = ns;
  pod["metadata"]["uid"] = uid;
  pod["metadata"]["name"] = "impostor-" + uid;
  if (owner_job.empty()) {
    pod["metadata"].erase("ownerReferences");
  } else {
    pod["metadata"]["ownerReferences"][0]["name"] = owner_job;
  }
  return pod;
}

TEST_F(StateTest, APodThatCopiesAGangsLabelsIsNeitherPinnedNorLetIntoItsDomain) {
  ExtenderState s;
  AddPools(s, 2, 2);
  s.OnJobSet(JobSet("train", {{"workers", 1, 2}}, "u1").dump());
  s.OnPod(Pod("train", "u1", "workers", 0, 0).dump());
  const nlohmann::json real = Pod("train", "u1", "workers", 0, 1);
  // Same labels and annotations; another namespace / no owner / an owner Job of another name.
  const std::vector<nlohmann::json> impostors = {
      Impostor(real, "tenant-b", "train-workers-0", "i1"),  // even the Job's name copied
      Impostor(real, "default", "", "i2"),
      Impostor(real, "default", "mine-workers-0", "i3"),
  };
  for (const nlohmann::json& p : impostors) s.OnPod(p.dump());
  PlanActions a = PlanAndRecord(s);
  ASSERT_EQ(a.records.size(), 1u);
  const std::string domain = Record(a.records[0].value)["workers/0"];
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.pins.size(), 1u) << "only the real member is ungated and pinned";
  EXPECT_EQ(b.pins[0].name, Pod("train", "u1", "workers", 0, 0)["metadata"]["name"]);

  const std::string pool = domain.substr(domain.find("pool-") + 5);
  std::vector<std::string> names = {"tpu-" + pool + "-0", "tpu-" + pool + "-1"};
  std::vector<std::string_view> views(names.begin(), names.end());
  EXPECT_EQ(s.Filter(PodInfo(real), views).passed(), 2u) << "the real member runs on its pool";
  for (const nlohmann::json& p : impostors) {
    placement::FilterResult f = s.Filter(PodInfo(p), views);
    EXPECT_EQ(f.passed(), 0u) << p["metadata"]["uid"];
    std::vector<int64_t> scores = s.Prioritize(PodInfo(p), views);
    EXPECT_EQ(scores.size(), views.size());
  }
  // Also when pods of no JobSet may use idle reserved nodes: a pod claiming a JobSet is not such a pod.
  StateOptions lax;
  lax.filter.allow_non_jobset_pods_in_reserved_domains = true;
  ExtenderState t(lax);
  AddPools(t, 1, 2);
  t.OnJobSet(JobSet("train", {{"workers", 1, 1}}, "u1").dump());
  PlanAndRecord(t);
  std::vector<std::string> one = {"tpu-0-0", "tpu-0-1"};
  std::vector<std::string_view> one_views(one.begin(), one.end());
  EXPECT_EQ(t.Filter(PodInfo(impostors[0]), one_views).passed(), 0u);
}

TEST_F(StateTest, ABoundImpostorDoesNotCountAsTheJobsPod) {
  // A Job whose only "pod" on a pool that lost a node is an impostor moves as a Job without pods does.
  ExtenderState s;
  AddPools(s, 3, 2);
  s.OnJobSet(JobSet("train", {{"workers", 1, 2}}, "u1").dump());
  PlanActions a = PlanAndRecord(s);
  const std::string before = Record(a.records[0].value)["workers/0"];
  const std::string n = before.substr(before.find("pool-") + 5);
  nlohmann::json fake = Impostor(Pod("train", "u1", "workers", 0, 0, {}, "tpu-" + n + "-0"), "tenant-b",
                                 "train-workers-0", "i1");
  fake["status"]["phase"] = "Running";
  s.OnPod(fake.dump());
  s.OnNode(testing::Node("tpu-" + n + "-1", {{kPoolKey, "pool-" + n}}, 4, /*ready=*/false).dump());
  PlanActions b = s.Plan(kNow);
  ASSERT_EQ(b.records.size(), 1u) << "the impostor held the Job on a broken pool";
  EXPECT_NE(Record(b.records[0].value)["workers/0"], before);
}

TEST_F(StateTest, AMemberSeenBeforeItsJobSetCountsOnceTheJobSetArrives) {
  ExtenderState first;
  AddPools(first, 3, 2);
  nlohmann::json js = JobSet("train", {{"workers", 1, 2}}, "u1");
  first.OnJobSet(js.dump());
  PlanActions a = PlanAndRecord(first);
  js["metadata"]["annotations"]["phalanx.dev/reservations"] = a.records[0].value;
  const std::string before = Record(a.records[0].value)["workers/0"];
  const std::string n = before.substr(before.find("pool-") + 5);

  // A restarted extender whose pod informer lists before its JobSet informer.
  ExtenderState s;
  AddPools(s, 3, 2);
  nlohmann::json p0 = Pod("train", "u1", "workers", 0, 0, {}, "tpu-" + n + "-0");
  p0["status"]["phase"] = "Running";
  s.OnPod(p0.dump());
  s.OnJobSet(js.dump());
  s.OnNode(testing::Node("tpu-" + n + "-1", {{kPoolKey, "pool-" + n}}, 4, /*ready=*/false).dump());
  EXPECT_TRUE(s.Plan(kNow).records.empty()) << "a Job with a running member is not moved";
  EXPECT_EQ(s.WantedRecord("u1"), a.records[0].value);
}

}  // namespace
}  // namespace phalanx::extender
