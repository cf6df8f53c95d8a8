// bench/sim/simulate_benchmark.cc
//
// `phalanx simulate` at scale: a generated cluster of TPU v5p 4x4x4 slices (16 hosts each) and a
// workload of JobSets of 4–8 slice-sized Jobs (16 pods × 4 chips), arriving every 10 s and running
// 30 minutes — the 65,536 nodes and 1,000 JobSets (about 100,000 pods) and a small case.
// One iteration each (a run is seconds to a minute); counters: pods, simulated hours, peak RSS (the
// process's high-water mark, so run one size per process with --benchmark_filter for a clean figure).
#include <sys/resource.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/log.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace phalanx::sim {
namespace {

std::string ClusterYaml(int slices) {
  return absl::StrCat(
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Cluster\nmetadata: {name: v5p-fleet}\nspec:\n  nodePools:\n"
      "  - {name: v5p, shape: tpu-v5p-slice, topology: 4x4x4, count: ",
      slices, "}\n");
}

std::string WorkloadYaml(int jobsets, int* pods) {
  std::string out;
  *pods = 0;
  for (int i = 0; i < jobsets; ++i) {
    const int replicas = 4 + (i * 7) % 5;  // 4..8 slices
    *pods += replicas * 16;
    absl::StrAppend(&out, "---\napiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: train-", i,
                    "\n  annotations:\n    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool\n"
                    "    sim.phalanx.dev/arrival: ",
                    i * 10, "s\n    sim.phalanx.dev/duration: 30m\nspec:\n  failurePolicy: {maxRestarts: 3}\n"
                    "  replicatedJobs:\n  - name: slice\n    replicas: ",
                    replicas,
                    "\n    template:\n      spec:\n        parallelism: 16\n        completions: 16\n"
                    "        backoffLimit: 0\n        template:\n          spec:\n            restartPolicy: Never\n"
                    "            nodeSelector: {cloud.google.com/gke-tpu-accelerator: tpu-v5p-slice}\n"
                    "            containers:\n            - name: main\n              image: trainer:1\n"
                    "              resources:\n                requests: {google.com/tpu: 4}\n"
                    "                limits: {google.com/tpu: 4}\n");
  }
  return out;
}

void BM_Simulate(benchmark::State& state) {
  log::SetMinLevel(log::Level::kError);  // as `phalanx simulate` runs: the report is the output
  const int slices = static_cast<int>(state.range(0));
  const int jobsets = static_cast<int>(state.range(1));
  absl::StatusOr<ClusterSpec> cluster = ParseCluster("fleet.yaml", ClusterYaml(slices));
  int pods = 0;
  absl::StatusOr<Workload> workload = ParseWorkload("workload.yaml", WorkloadYaml(jobsets, &pods));
  if (!cluster.ok() || !workload.ok()) {
    state.SkipWithError("inputs did not parse");
    return;
  }
  double simulated = 0;
  int64_t violations = 0;
  for (auto _ : state) {
    absl::StatusOr<Timeline> t = Simulate(*cluster, *workload);
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    simulated = t->end_s;
    violations = t->invariants.Total();
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["nodes"] = static_cast<double>(cluster->nodes.size());
  state.counters["pods"] = pods;
  state.counters["simulated_h"] = simulated / 3600.0;
  state.counters["violations"] = static_cast<double>(violations);
  state.counters["peak_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}
BENCHMARK(BM_Simulate)
    ->Args({64, 20})       // 1,024 nodes, ~1,900 pods
    ->Args({4096, 1000})   // 65,536 nodes, ~96,000 pods
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace
}  // namespace phalanx::sim

BENCHMARK_MAIN();
