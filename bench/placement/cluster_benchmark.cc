// Per-event cost of the incremental model on the 65,536-node / 4,096-domain cluster, and memory
// per node and per bound pod (live heap bytes, counted by a global operator new in this binary).
// The replaced global allocator frees with free(); GCC cannot see that new here is malloc.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/placement/tpu_cluster.h"
#include "placement/cluster.h"

namespace {
std::atomic<int64_t> g_live_bytes{0};
}  // namespace

void* operator new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, size_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t) noexcept { operator delete(p); }
// Over-aligned types (the name index's cache-line slots) come through the aligned forms.
void* operator new(size_t n, std::align_val_t a) {
  void* p = std::aligned_alloc(static_cast<size_t>(a), (n + static_cast<size_t>(a) - 1) &
                                                           ~(static_cast<size_t>(a) - 1));
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { operator delete(p); }

namespace phalanx::placement::bench {
namespace {

Cluster& Big() {
  static Cluster* c = [] {
    auto* c = new Cluster;
    BuildTpuCluster(*c, 4096, 16);
    return c;
  }();
  return *c;
}

// A node flips NotReady and back: two events per iteration, each leaving and rejoining its domain.
void BM_NodeEvent(benchmark::State& state) {
  Cluster& c = Big();
  Node n = TpuNode(1234, 7);
  for (auto _ : state) {
    n.ready = !n.ready;
    c.UpsertNode(n);
  }
  n.ready = true;
  c.UpsertNode(n);
}
BENCHMARK(BM_NodeEvent);

// A node moves to another pool (relabel) and back.
void BM_NodeRelabel(benchmark::State& state) {
  Cluster& c = Big();
  Node n = TpuNode(1234, 7);
  const std::string home = n.labels[kPool];
  bool away = false;
  for (auto _ : state) {
    away = !away;
    n.labels[kPool] = away ? "np-99" : home;
    c.UpsertNode(n);
  }
  n.labels[kPool] = home;
  c.UpsertNode(n);
}
BENCHMARK(BM_NodeRelabel);

// A JobSet pod is bound, then deleted: two events per iteration.
void BM_PodBindAndDelete(benchmark::State& state) {
  Cluster& c = Big();
  BoundPod p;
  p.uid = "0b5c2a57-5f0e-4d7e-8c3b-6f1e2d9a4b11";
  p.node_name = TpuNode(99, 3).name;
  p.requests = {{kTpu, 1}, {"cpu", 1000}, {"memory", int64_t{4} << 30}};
  p.job = JobKey{"5f76caf7-eb06-414b-92d2-b1ca3a6e1e46", "workers", 3};
  for (auto _ : state) {
    c.UpsertPod(p);
    c.RemovePod(p.uid);
  }
}
BENCHMARK(BM_PodBindAndDelete);

// Live heap bytes per node (65,536 nodes, 4,096 pools, 9 labels, 1 taint, 5 resources each) and
// per bound pod (4 per node, UID-sized keys, 3 resources, owned by 1,024 Jobs).
void BM_Memory(benchmark::State& state) {
  for (auto _ : state) {
    const int64_t before = g_live_bytes.load();
    auto* c = new Cluster;
    BuildTpuCluster(*c, 4096, 16);
    const int64_t nodes_bytes = g_live_bytes.load() - before;
    int pods = 0;
    for (int pool = 0; pool < 4096; ++pool) {
      for (int i = 0; i < 16; ++i) {
        for (int k = 0; k < 4; ++k, ++pods) {
          BoundPod p;
          p.uid = absl::StrCat("2f17ed13-84b7-449e-aea8-", 100000000000 + pods);
          p.node_name = TpuNode(pool, i).name;
          p.requests = {{kTpu, 1}, {"cpu", 1000}, {"memory", int64_t{4} << 30}};
          p.job = JobKey{"5f76caf7-eb06-414b-92d2-b1ca3a6e1e46", "workers", pool / 4};
          c->UpsertPod(p);
        }
      }
    }
    const int64_t pods_bytes = g_live_bytes.load() - before - nodes_bytes;
    state.counters["bytes_per_node"] = static_cast<double>(nodes_bytes) / (4096 * 16);
    state.counters["bytes_per_pod"] = static_cast<double>(pods_bytes) / pods;
    state.counters["total_MiB"] = static_cast<double>(nodes_bytes + pods_bytes) / (1 << 20);
    delete c;
  }
}
BENCHMARK(BM_Memory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::placement::bench
