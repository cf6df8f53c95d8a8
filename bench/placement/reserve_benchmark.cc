// Reserve on the DESIGN §6 target shape: a 199-Job × 64-pod gang on 65,536 nodes in 4,096
// domains (target ≤ 10 ms), empty and half-reserved; plus building the model itself.
#include "benchmark/benchmark.h"
#include "bench/placement/tpu_cluster.h"
#include "placement/reserve.h"

namespace phalanx::placement::bench {
namespace {

void BM_BuildModel(benchmark::State& state) {
  const int pools = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Cluster c;
    BuildTpuCluster(c, pools, 16);
    benchmark::DoNotOptimize(c.node_count());
  }
  state.counters["nodes"] = pools * 16;
  state.counters["ns_per_node"] = benchmark::Counter(
      static_cast<double>(pools) * 16, benchmark::Counter::kIsIterationInvariantRate |
                                           benchmark::Counter::kInvert);
}
BENCHMARK(BM_BuildModel)->Arg(4096)->Unit(benchmark::kMillisecond);

// Reserve, then Release outside the timed region. `reserved_fraction` of the domains are first
// taken by 1-Job gangs scattered over the cluster.
void ReserveOn(benchmark::State& state, int pools, int jobs, int pods, int reserved_percent) {
  Cluster c;
  BuildTpuCluster(c, pools, 16);
  Reservations r;
  const int taken = pools * reserved_percent / 100;
  for (int i = 0; i < taken; ++i) {
    // Reserve one pool at a time; best fit fills pools in path order, which scatters them fine.
    if (!r.Reserve(c, Multislice("other-" + std::to_string(i), 1, pods)).placed()) {
      state.SkipWithError("setup failed");
      return;
    }
  }
  const GangDemand g = Multislice("train", jobs, pods);
  for (auto _ : state) {
    const ReserveResult res = r.Reserve(c, g);
    if (!res.placed()) {
      state.SkipWithError(res.reason.c_str());
      break;
    }
    state.PauseTiming();
    r.Release(c, g.id);
    state.ResumeTiming();
  }
  state.counters["nodes"] = pools * 16;
  state.counters["domains"] = pools;
  state.counters["jobs"] = jobs;
  state.counters["pods"] = jobs * pods;
}

void BM_Reserve199x64(benchmark::State& state) {
  ReserveOn(state, 4096, 199, 64, static_cast<int>(state.range(0)));
}
BENCHMARK(BM_Reserve199x64)->ArgName("reserved_pct")->Arg(0)->Arg(50)->Arg(95)
    ->Unit(benchmark::kMillisecond);

// The planner's "does not fit" path: diagnosing why costs one pass over the level.
void BM_ReserveUnplaced(benchmark::State& state) {
  Cluster c;
  BuildTpuCluster(c, 4096, 16);
  Reservations r;
  const GangDemand g = Multislice("huge", 4097, 64);
  for (auto _ : state) {
    const ReserveResult res = r.Reserve(c, g);
    benchmark::DoNotOptimize(res.reason);
  }
}
BENCHMARK(BM_ReserveUnplaced)->Unit(benchmark::kMillisecond);

// Re-checking an existing reservation (what the planner does on every pass).
void BM_ReserveKept(benchmark::State& state) {
  Cluster c;
  BuildTpuCluster(c, 4096, 16);
  Reservations r;
  const GangDemand g = Multislice("train", 199, 64);
  r.Reserve(c, g);
  for (auto _ : state) {
    const ReserveResult res = r.Reserve(c, g);
    benchmark::DoNotOptimize(res.outcome);
  }
}
BENCHMARK(BM_ReserveKept)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::placement::bench
