// sim::Scheduler at the simulator's scale, in stepped mode (Step() on the caller's thread, a fixed
// clock): pods pinned through matchFields metadata.name onto a large cluster — the shape the planner
// hands to the scheduler. Reports pods scheduled per second (informer pumping and binding included;
// creating the nodes and pods is not timed).
// Run: build/bench/sim/sim_scheduler_benchmark
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "sim/scheduler.h"

namespace phalanx::sim {
namespace {

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1795000000); }
};

std::string NodeName(int i) { return absl::StrCat("node-", i); }

void AddNode(kube::MemoryCluster& cluster, int i) {
  const std::string name = NodeName(i);
  (void)cluster.Create(kube::kNodes, "",
                       absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":{"pool":"p)", i / 64,
                                    R"("}},"spec":{}})"));
  (void)cluster.Patch(kube::kNodesStatus, "", name, kube::PatchType::kMerge,
                      R"({"status":{"allocatable":{"cpu":"8","memory":"64Gi","google.com/tpu":"4","pods":"110"},)"
                      R"("conditions":[{"type":"Ready","status":"True"}]}})");
}

void AddPinnedPod(kube::MemoryCluster& cluster, int i, int node) {
  (void)cluster.Create(
      kube::kPods, "default",
      absl::StrCat(R"({"metadata":{"name":"pod-)", i,
                   R"("},"spec":{"containers":[{"name":"w","image":"example.invalid/w:1","resources":)",
                   R"({"requests":{"cpu":"1","google.com/tpu":"4"},"limits":{"google.com/tpu":"4"}}}],)",
                   R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":)",
                   R"({"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":[")",
                   NodeName(node), R"("]}]}]}}}}})"));
}

// range(0) nodes, range(1) pods, each pinned to its own node.
void BM_StepPinnedPods(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  FixedClock clock;
  int64_t scheduled = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<kube::MemoryCluster>(kube::MemoryClusterOptions{.history_limit = 1 << 20, .clock = &clock});
    for (int i = 0; i < nodes; ++i) AddNode(*cluster, i);
    auto sched = std::make_unique<Scheduler>(*cluster, SchedulerOptions{.clock = &clock});
    sched->Step();  // lists the nodes
    for (int i = 0; i < pods; ++i) AddPinnedPod(*cluster, i, (i * 7919) % nodes);
    state.ResumeTiming();
    while (sched->Step()) {
    }
    state.PauseTiming();
    const int64_t binds = sched->Stats().binds;
    scheduled += binds;
    if (binds != pods) {
      state.SkipWithError(absl::StrCat("bound ", binds, " of ", pods).c_str());
      break;
    }
    sched.reset();
    cluster.reset();
    state.ResumeTiming();
  }
  state.counters["pods_per_s"] = benchmark::Counter(static_cast<double>(scheduled), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StepPinnedPods)->Args({65536, 20000})->Args({1024, 1000})->Unit(benchmark::kMillisecond)->Iterations(1);

// Unpinned pods (as without gangs): every attempt filters range(2) % of the nodes
// (percentageOfNodesToScore; 0 = kube-scheduler's adaptive default, 5 % of 65,536 nodes).
void BM_StepUnpinnedPods(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  SchedulerOptions so;
  so.percentage_of_nodes_to_score = static_cast<int>(state.range(2));
  FixedClock clock;
  int64_t scheduled = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<kube::MemoryCluster>(kube::MemoryClusterOptions{.history_limit = 1 << 20, .clock = &clock});
    for (int i = 0; i < nodes; ++i) AddNode(*cluster, i);
    so.clock = &clock;
    auto sched = std::make_unique<Scheduler>(*cluster, so);
    sched->Step();
    for (int i = 0; i < pods; ++i) {
      (void)cluster->Create(kube::kPods, "default",
                            absl::StrCat(R"({"metadata":{"name":"pod-)", i,
                                         R"("},"spec":{"containers":[{"name":"w","image":"example.invalid/w:1",)",
                                         R"("resources":{"requests":{"cpu":"1"}}}]}})"));
    }
    state.ResumeTiming();
    while (sched->Step()) {
    }
    state.PauseTiming();
    scheduled += sched->Stats().binds;
    sched.reset();
    cluster.reset();
    state.ResumeTiming();
  }
  state.counters["pods_per_s"] = benchmark::Counter(static_cast<double>(scheduled), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StepUnpinnedPods)->Args({1024, 2000, 100})->Args({65536, 2000, 0})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace phalanx::sim

