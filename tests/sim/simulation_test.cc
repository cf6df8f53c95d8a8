// Tests of sim/simulation.h: the whole system on a simulated cluster — determinism, the invariants on
// the bundled examples, a node failure moving a Job, and what turning gangs off changes.
#include "sim/simulation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "tests/testing/files.h"

namespace phalanx::sim {
namespace {

std::string Example(const std::string& name) { return phalanx::testing::SourceDir() + "/examples/" + name; }

ClusterSpec Cluster(const std::string& yaml) {
  absl::StatusOr<ClusterSpec> c = ParseCluster("cluster.yaml", yaml);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : ClusterSpec{};
}

Workload Work(const std::string& yaml) {
  absl::StatusOr<Workload> w = ParseWorkload("workload.yaml", yaml);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *w : Workload{};
}

Timeline RunSim(const ClusterSpec& c, const Workload& w, bool gangs = true, uint64_t seed = 1) {
  SimulationOptions o;
  o.gangs = gangs;
  o.seed = seed;
  absl::StatusOr<Timeline> t = Simulate(c, w, o);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Timeline{};
}

const JobSetRecord* Find(const Timeline& t, const std::string& name) {
  for (const JobSetRecord& r : t.jobsets) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// Four v5p slices of 2 hosts (2x2x2 = 8 chips, 4 per host).
constexpr char kFourSlices[] = R"(
apiVersion: sim.phalanx.dev/v1alpha1
kind: Cluster
metadata: {name: four-slices}
spec:
  nodePools:
  - {name: v5p, shape: tpu-v5p-slice, topology: 2x2x2, count: 4}
)";

// A JobSet of `replicas` Jobs, each one whole slice (2 pods × 4 chips), exclusive per node pool.
std::string SliceJobSet(const std::string& name, int replicas, const std::string& arrival,
                        const std::string& duration = "20m", int max_restarts = 3, int pods = 2) {
  return absl::StrCat(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: )", name, R"(
  annotations:
    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool
    sim.phalanx.dev/arrival: ")", arrival, R"("
    sim.phalanx.dev/duration: ")", duration, R"("
spec:
  failurePolicy: {maxRestarts: )", max_restarts, R"(}
  replicatedJobs:
  - name: workers
    replicas: )", replicas, R"(
    template:
      spec:
        parallelism: )", pods, R"(
        completions: )", pods, R"(
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            nodeSelector:
              cloud.google.com/gke-tpu-accelerator: tpu-v5p-slice
            containers:
            - name: main
              image: trainer:1
              resources:
                requests: {google.com/tpu: 4}
                limits: {google.com/tpu: 4}
)");
}

TEST(SimulationTest, SameInputsAndSeedGiveIdenticalReports) {
  ClusterSpec c = Cluster(kFourSlices);
  Workload w = Work(absl::StrCat(SliceJobSet("a", 2, "0s"), "---", SliceJobSet("b", 2, "1m"), "---",
                                 SliceJobSet("c", 1, "2m")));
  Timeline first = RunSim(c, w);
  Timeline second = RunSim(c, w);
  EXPECT_EQ(ReportJson(first), ReportJson(second));
  EXPECT_EQ(RenderSvg({&first}), RenderSvg({&second}));
  EXPECT_EQ(SummaryText(first), SummaryText(second));
  ASSERT_EQ(first.jobsets.size(), 3u);
}

TEST(SimulationTest, GangsWaitWholeAndNeverShareASlice) {
  ClusterSpec c = Cluster(kFourSlices);
  // a and b take all four slices; c arrives while they run and must wait for two whole slices.
  Workload w = Work(absl::StrCat(SliceJobSet("a", 2, "0s"), "---", SliceJobSet("b", 2, "0s"), "---",
                                 SliceJobSet("c", 2, "1m")));
  Timeline t = RunSim(c, w);
  EXPECT_GT(t.invariants.checked, 0);
  EXPECT_EQ(t.invariants.Total(), 0) << (t.invariants.examples.empty() ? "" : t.invariants.examples[0]);
  const JobSetRecord* a = Find(t, "a");
  const JobSetRecord* cc = Find(t, "c");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(cc, nullptr);
  for (const JobSetRecord& r : t.jobsets) {
    EXPECT_EQ(r.outcome, "Completed") << r.name;
    ASSERT_TRUE(r.started_s.has_value()) << r.name;
    ASSERT_TRUE(r.finished_s.has_value()) << r.name;
    EXPECT_EQ(r.domains.size(), 2u) << r.name;
  }
  // c starts only once a finished (20 minutes of work), not at its arrival.
  EXPECT_GE(*cc->started_s, *a->finished_s);
  EXPECT_FALSE(cc->wait_reason.empty());
  // No two Jobs ever on one slice at once.
  for (size_t i = 0; i < t.occupancies.size(); ++i) {
    EXPECT_FALSE(t.occupancies[i].shared) << t.occupancies[i].job;
    EXPECT_FALSE(t.occupancies[i].partial) << t.occupancies[i].job;
  }
}

TEST(SimulationTest, NodeFailureRestartsTheJobSetOnAHealthySlice) {
  ClusterSpec c = Cluster(kFourSlices);
  const std::string js = SliceJobSet("train", 2, "0s", "30m");
  Timeline calm = RunSim(c, Work(js));
  const JobSetRecord* before = Find(calm, "train");
  ASSERT_NE(before, nullptr);
  ASSERT_EQ(before->domains.size(), 2u);
  EXPECT_EQ(before->restarts, 0);
  // Fail the first host of the slice the first Job ran on, ten minutes in.
  const std::string slice = before->domains[0].substr(before->domains[0].find('=') + 1);
  const std::string fault = absl::StrCat(R"(
apiVersion: sim.phalanx.dev/v1alpha1
kind: Fault
spec: {at: 10m, node: )", slice, "-0}\n");
  Timeline t = RunSim(c, Work(absl::StrCat(js, "---", fault)));
  const JobSetRecord* r = Find(t, "train");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outcome, "Completed");
  EXPECT_EQ(r->restarts, 1);  // failurePolicy: the whole JobSet restarts once
  ASSERT_EQ(r->domains.size(), 2u);
  for (const std::string& d : r->domains) EXPECT_NE(d, before->domains[0]) << "a Job stayed on the broken slice";
  // It finished later than without the failure: 10 minutes lost, then 30 minutes again.
  ASSERT_TRUE(r->finished_s && before->finished_s);
  EXPECT_GE(*r->finished_s, *before->finished_s + 600);
  EXPECT_EQ(t.invariants.Total(), 0) << (t.invariants.examples.empty() ? "" : t.invariants.examples[0]);
  bool node_mark = false, restart_mark = false;
  for (const Mark& m : t.marks) {
    node_mark = node_mark || m.kind == MarkKind::kNodeFailure;
    restart_mark = restart_mark || m.kind == MarkKind::kRestart;
  }
  EXPECT_TRUE(node_mark);
  EXPECT_TRUE(restart_mark);
}

TEST(SimulationTest, WithoutGangsPodsSpreadAndGangsStartPartially) {
  ClusterSpec c = Cluster(kFourSlices);
  // A one-pod Job takes a host first; then ten pods of slice-sized Jobs arrive for the seven hosts left.
  Workload w = Work(absl::StrCat(SliceJobSet("small", 1, "0s", "20m", 3, /*pods=*/1), "---",
                                 SliceJobSet("a", 2, "1m"), "---", SliceJobSet("b", 2, "1m"), "---",
                                 SliceJobSet("c", 1, "1m")));
  Timeline with = RunSim(c, w, /*gangs=*/true);
  Timeline without = RunSim(c, w, /*gangs=*/false);
  EXPECT_EQ(with.invariants.Total(), 0) << (with.invariants.examples.empty() ? "" : with.invariants.examples[0]);
  EXPECT_GT(without.invariants.violations["partial-gang"], 0);
  EXPECT_GT(without.invariants.violations["exclusive-domain-shared"], 0);
  bool partial = false, shared = false;
  for (const Occupancy& o : without.occupancies) {
    partial = partial || o.partial;
    shared = shared || o.shared;
  }
  EXPECT_TRUE(partial);
  EXPECT_TRUE(shared);
  for (const Occupancy& o : with.occupancies) {
    EXPECT_FALSE(o.partial) << o.job;
    EXPECT_FALSE(o.shared) << o.job;
  }
  EXPECT_FALSE(without.gangs);
  // Every JobSet still finishes either way.
  for (const Timeline* t : {&with, &without}) {
    for (const JobSetRecord& r : t->jobsets) EXPECT_EQ(r.outcome, "Completed") << r.name;
  }
}

TEST(SimulationTest, BundledExamplesKeepEveryInvariant) {
  for (const auto& [cluster, workload] :
       std::vector<std::pair<std::string, std::string>>{{"sim-cluster-tpu.yaml", "sim-workload-tpu.yaml"},
                                                         {"sim-cluster-gb200.yaml", "sim-workload-gb200.yaml"}}) {
    absl::StatusOr<ClusterSpec> c = LoadCluster(Example(cluster));
    ASSERT_TRUE(c.ok()) << c.status();
    absl::StatusOr<Workload> w = LoadWorkload(Example(workload));
    ASSERT_TRUE(w.ok()) << w.status();
    absl::StatusOr<Timeline> t = Simulate(*c, *w);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_GT(t->invariants.checked, 0) << workload;
    EXPECT_EQ(t->invariants.Total(), 0)
        << workload << ": " << (t->invariants.examples.empty() ? "" : t->invariants.examples[0]);
    for (const JobSetRecord& r : t->jobsets) {
      EXPECT_TRUE(r.finished_s.has_value()) << workload << " " << r.name << " " << r.outcome << " " << r.wait_reason;
    }
  }
}

TEST(SimulationTest, AnEmptyClusterIsAnError) {
  absl::StatusOr<Timeline> t = Simulate(ClusterSpec{}, Workload{});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace phalanx::sim
