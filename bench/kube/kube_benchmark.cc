// MemoryCluster and HttpClient hot paths: what the simulator and the controller's informers pay per
// object. Run: build-*/bench/kube/kube_benchmark
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "kube/http_client.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"

namespace phalanx::kube {
namespace {

std::string PodJson(int i) {
  return absl::StrCat(R"({"metadata":{"name":"pod-)", i, R"(","labels":{"jobset.sigs.k8s.io/jobset-name":"js-)",
                      i % 100, R"(","batch.kubernetes.io/job-completion-index":")", i % 8,
                      R"("}},"spec":{"containers":[{"name":"w","image":"example.invalid/w:1","resources":)",
                      R"({"limits":{"google.com/tpu":"4"}}}]}})");
}

void BM_MemoryCreatePod(benchmark::State& state) {
  MemoryCluster cluster;
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cluster.Create(kPods, "default", PodJson(i++)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryCreatePod);

void BM_MemoryPatchPodStatusWithWatchers(benchmark::State& state) {
  MemoryCluster cluster;
  for (int i = 0; i < 1000; ++i) (void)cluster.Create(kPods, "default", PodJson(i));
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int w = 0; w < state.range(0); ++w) {
    WatchOptions o;
    o.resource_version = absl::StrCat(cluster.CurrentResourceVersion());
    watches.push_back(*cluster.Watch(kPods, "", o));
  }
  int i = 0;
  for (auto _ : state) {
    std::string patch = absl::StrCat(R"({"status":{"phase":"Running","podIP":"10.0.0.)", i % 250, R"("}})");
    benchmark::DoNotOptimize(cluster.Patch(kPodsStatus, "default", absl::StrCat("pod-", i % 1000),
                                           PatchType::kMerge, patch));
    ++i;
    if (i % 1000 == 0) {
      state.PauseTiming();
      for (auto& w : watches) {
        while (w->Next(absl::ZeroDuration()).ok()) {
        }
      }
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryPatchPodStatusWithWatchers)->Arg(0)->Arg(1)->Arg(4);

void BM_MemoryListBySelector(benchmark::State& state) {
  MemoryCluster cluster;
  for (int i = 0; i < state.range(0); ++i) (void)cluster.Create(kPods, "default", PodJson(i));
  ListOptions o;
  o.label_selector = "jobset.sigs.k8s.io/jobset-name=js-7";
  for (auto _ : state) {
    benchmark::DoNotOptimize(cluster.List(kPods, "default", o));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MemoryListBySelector)->Arg(1000)->Arg(10000);

void BM_HttpGetThroughMemoryApiServer(benchmark::State& state) {
  MemoryCluster cluster;
  (void)cluster.Create(kPods, "default", PodJson(1));
  MemoryApiServer server(cluster);
  if (!server.Start().ok()) {
    state.SkipWithError("server did not start");
    return;
  }
  RestConfig cfg;
  cfg.server = server.url();
  cfg.qps = 0;
  std::unique_ptr<HttpClient> client = *HttpClient::Create(cfg);
  for (auto _ : state) {
    benchmark::DoNotOptimize(client->Get(kPods, "default", "pod-1"));
  }
  state.SetItemsProcessed(state.iterations());
  client.reset();
  server.Stop();
}
BENCHMARK(BM_HttpGetThroughMemoryApiServer)->UseRealTime();

void BM_HttpListPages(benchmark::State& state) {
  MemoryCluster cluster;
  for (int i = 0; i < 5000; ++i) (void)cluster.Create(kPods, "default", PodJson(i));
  MemoryApiServer server(cluster);
  if (!server.Start().ok()) {
    state.SkipWithError("server did not start");
    return;
  }
  RestConfig cfg;
  cfg.server = server.url();
  cfg.qps = 0;
  std::unique_ptr<HttpClient> client = *HttpClient::Create(cfg);
  for (auto _ : state) {
    benchmark::DoNotOptimize(client->ListAll(kPods, "default", ListOptions{.limit = 500}));
  }
  state.SetItemsProcessed(state.iterations() * 5000);
  client.reset();
  server.Stop();
}
BENCHMARK(BM_HttpListPages)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::kube
