// The planner against an API server over HTTP (phalanx-memory-apiserver on loopback): how fast
// gangs are placed and their gated pods ungated and pinned, from the moment the extender starts leading
// with every pod already waiting; the planner's own decision cost per pod without any I/O; and the
// extender's memory per node and per pod (bytes allocated while its state takes in a cluster).
//
//   build/bench/scheduler-extender/extender_planner_benchmark
//
// Counters: gangs_per_s, pods_per_s (ungated + pinned, each one JSON Patch over HTTP; the API server
// shares the machine's cores), extender_cpu_us_per_pod, decided_pods_per_s (Plan's pins, no I/O),
// bytes_per_node, bytes_per_pod.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "common/log.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "nlohmann/json.hpp"
#include "scheduler-extender/caches.h"
#include "scheduler-extender/metrics.h"
#include "scheduler-extender/planner.h"
#include "scheduler-extender/state.h"
#include "tests/scheduler-extender/test_objects.h"

namespace phalanx::extender {
namespace {

namespace t = phalanx::extender::testing;

// Bytes the allocator has handed out and not had back (resident-set growth hides reuse of freed blocks).
size_t AllocatedBytes() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

// phalanx-memory-apiserver as a child process, so the API server's work is not counted as the planner's.
class ApiServerProcess {
 public:
  ApiServerProcess() {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(PHALANX_MEMORY_APISERVER, PHALANX_MEMORY_APISERVER, "--port", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {0};
    if (f != nullptr && std::fgets(line, sizeof(line), f) != nullptr) url_ = std::string(line, std::strcspn(line, "\n"));
    if (f != nullptr) std::fclose(f);
  }
  ~ApiServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Args: pools of 16 nodes, pin workers. One JobSet per 4 pools, 4 Jobs × 16 pods, every pod gated. Counters: wall
// rates, and the extender's own CPU per pod (this process: planner, client, informers, state) while the
// API server runs in its own process.
void BM_PlannerUngatesAndPins(benchmark::State& state) {
  log::SetMinLevel(log::Level::kError);
  const int pools = static_cast<int>(state.range(0));
  const int jobsets = pools / 4;
  for (auto _ : state) {
    ApiServerProcess server;
    if (server.url().empty()) return state.SkipWithError("phalanx-memory-apiserver did not start");
    kube::RestConfig rc;
    rc.server = server.url();
    rc.qps = 0;  // unlimited: measure the planner, not a client-side limit
    std::unique_ptr<kube::HttpClient> client = *kube::HttpClient::Create(rc);
    for (const nlohmann::json& n : t::Pools(pools, 16)) {
      nlohmann::json spec = n;
      spec.erase("status");
      (void)client->Create(kube::kNodes, "", spec.dump());
      (void)client->Patch(kube::kNodesStatus, "", n["metadata"]["name"].get<std::string>(), kube::PatchType::kMerge,
                          nlohmann::json({{"status", n["status"]}}).dump());
    }
    int pods = 0;
    for (int j = 0; j < jobsets; ++j) {
      const std::string name = absl::StrCat("js-", j);
      absl::StatusOr<kube::Object> js =
          client->Create(kube::kJobSets, "default", t::JobSet(name, {{"workers", 4, 16}}).dump());
      if (!js.ok()) return state.SkipWithError("jobset");
      for (int job = 0; job < 4; ++job) {
        for (int c = 0; c < 16; ++c) {
          nlohmann::json pod = t::Pod(name, js->meta.uid, "workers", job, c);
          pod["metadata"].erase("uid");
          pod["metadata"].erase("resourceVersion");
          (void)client->Create(kube::kPods, "default", pod.dump());
          ++pods;
        }
      }
    }
    ExtenderState extender_state;
    Metrics metrics;
    RealClock clock;
    Caches caches(*client, extender_state);
    caches.Start();
    if (!caches.WaitForSync(absl::Seconds(60))) return state.SkipWithError("sync");
    extender_state.Sync();
    PlannerOptions po;
    po.pin_workers = static_cast<int>(state.range(1));
    Planner planner(*client, extender_state, clock, metrics, [] { return true; }, po);
    const double cpu0 = CpuSeconds();
    const absl::Time start = absl::Now();
    planner.SetLeading(true);
    planner.Start();
    while (metrics.Pinned() < static_cast<uint64_t>(pods) && absl::Now() - start < absl::Seconds(120)) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const double cpu = CpuSeconds() - cpu0;
    planner.Stop();
    caches.Stop();
    if (metrics.Pinned() < static_cast<uint64_t>(pods)) return state.SkipWithError("not every pod was pinned");
    state.SetIterationTime(seconds);
    state.counters["gangs_per_s"] = jobsets * 4 / seconds;
    state.counters["pods_per_s"] = pods / seconds;
    state.counters["extender_cpu_us_per_pod"] = cpu * 1e6 / pods;
    state.counters["pods"] = pods;
  }
}
BENCHMARK(BM_PlannerUngatesAndPins)->Args({64, 16})->Args({256, 16})->Args({256, 64})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// Plan's own cost: reserve 256 gangs and build the ungate-and-pin patches of their 4,096 gated pods.
void BM_PlanDecidesPins(benchmark::State& state) {
  const int pools = static_cast<int>(state.range(0));
  std::vector<std::string> nodes, jobsets, pods;
  for (const nlohmann::json& n : t::Pools(pools, 16)) nodes.push_back(n.dump());
  for (int j = 0; j < pools / 4; ++j) {
    const std::string name = absl::StrCat("js-", j), uid = absl::StrCat("uid-", j);
    jobsets.push_back(t::JobSet(name, {{"workers", 4, 16}}, uid).dump());
    for (int job = 0; job < 4; ++job) {
      for (int c = 0; c < 16; ++c) pods.push_back(t::Pod(name, uid, "workers", job, c).dump());
    }
  }
  size_t pins = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto s = std::make_unique<ExtenderState>();
    for (const std::string& n : nodes) s->OnNode(n);
    for (const std::string& j : jobsets) s->OnJobSet(j);
    for (const std::string& p : pods) s->OnPod(p);
    state.ResumeTiming();
    const absl::Time now = absl::Now();
    PlanActions a = s->Plan(now);
    for (const RecordAction& r : a.records) s->Recorded(r.jobset.uid, r.value);
    PlanActions b = s->Plan(now);
    pins = b.pins.size();
    benchmark::DoNotOptimize(b);
  }
  if (pins != pods.size()) state.SkipWithError("not every pod got its pin");
  state.counters["decided_pods_per_s"] = benchmark::Counter(static_cast<double>(pods.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PlanDecidesPins)->Arg(256)->Unit(benchmark::kMillisecond);

// Memory the state adds per node and per bound pod (every JobSet pod of 4 google.com/tpu).
void BM_StateMemory(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<std::string> node_json, pod_json;
    for (const nlohmann::json& n : t::Pools(nodes / 16, 16)) node_json.push_back(n.dump());
    for (int i = 0; i < nodes; ++i) {
      nlohmann::json p = t::Pod("js", "uid-js", "workers", i / 16, i % 16, {}, absl::StrCat("tpu-", i / 16, "-", i % 16));
      p["status"]["phase"] = "Running";
      pod_json.push_back(p.dump());
    }
    auto s = std::make_unique<ExtenderState>();
    const size_t base = AllocatedBytes();
    for (const std::string& n : node_json) s->OnNode(n);
    const size_t with_nodes = AllocatedBytes();
    for (const std::string& p : pod_json) s->OnPod(p);
    const size_t with_pods = AllocatedBytes();
    state.counters["bytes_per_node"] = static_cast<double>(with_nodes - base) / nodes;
    state.counters["bytes_per_pod"] = static_cast<double>(with_pods - with_nodes) / nodes;
    benchmark::DoNotOptimize(s->Counts());
  }
}
BENCHMARK(BM_StateMemory)->Arg(65536)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::extender
