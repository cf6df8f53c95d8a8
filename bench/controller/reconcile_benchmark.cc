// Reconcile of a JobSet with 10,000 child Jobs (DESIGN §6 target: ≤ 20 ms CPU), pure function only:
//  - Steady:  every Job exists and is ready, status up to date → no actions (the common case: every
//             Job status change of a large JobSet triggers one of these).
//  - Create:  no Job exists yet → 10,000 Jobs expanded.
//  - Restart: status.restarts was bumped → 10,000 previous-attempt Jobs to delete.
//  - Failure: one Job failed, failure policy with 3 rules (message patterns) → restart decided.
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/expand.h"
#include "api/job.h"
#include "api/jobset.h"
#include "benchmark/benchmark.h"
#include "controller/reconcile.h"
#include "kube/micro_time.h"

// Allocation counting for the "allocs" counter: every operator new in the process. The replaced
// operators pair malloc/free themselves; GCC cannot see that across inlined allocators.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace phalanx::controller {
namespace {

// Allocations per iteration of the timed loop.
class AllocCounter {
 public:
  explicit AllocCounter(benchmark::State& state) : state_(state), start_(g_allocations.load()) {}
  ~AllocCounter() {
    if (state_.iterations() > 0) {
      state_.counters["allocs"] = double(g_allocations.load() - start_) / double(state_.iterations());
    }
  }

 private:
  benchmark::State& state_;
  int64_t start_;
};

constexpr int kJobs = 10000;

api::JobSet BigJobSet(int rjobs) {
  api::JobSet js;
  js.metadata.name = "big";
  js.metadata.namespace_ = "default";
  js.metadata.uid = "big-uid";
  js.spec.replicated_jobs.emplace();
  for (int r = 0; r < rjobs; ++r) {
    api::ReplicatedJob rj;
    rj.name = absl::StrCat("rj", r);
    rj.replicas = kJobs / rjobs;
    rj.template_.spec.parallelism = 4;
    rj.template_.spec.completions = 4;
    rj.template_.spec.completion_mode = "Indexed";
    rj.template_.spec.template_.spec.restart_policy = "Never";
    rj.template_.spec.template_.spec.node_selector = api::StringMap{{"cloud.google.com/gke-tpu-topology", "2x2"}};
    js.spec.replicated_jobs->push_back(std::move(rj));
  }
  js.spec.network = api::Network{};
  js.spec.network->enable_dns_hostnames = true;
  js.spec.success_policy = api::SuccessPolicy{};
  js.spec.success_policy->operator_ = "All";
  js.spec.failure_policy = api::FailurePolicy{};
  js.spec.failure_policy->max_restarts = 100;
  for (int i = 0; i < 3; ++i) {
    api::FailurePolicyRule rule;
    rule.name = absl::StrCat("rule", i);
    rule.action = i == 2 ? "RestartJobSet" : "FailJobSet";
    rule.on_job_failure_message_patterns = std::vector<std::string>{absl::StrCat("exit code ", 100 + i)};
    js.spec.failure_policy->rules.emplace().push_back(rule);
  }
  js.status = api::JobSetStatus{};
  return js;
}

std::vector<api::Job> ReadyJobs(const api::JobSet& js, int32_t attempt) {
  std::vector<api::Job> jobs = api::Expand(js, attempt).value().jobs;
  for (api::Job& j : jobs) {
    j.metadata.uid = absl::StrCat(j.metadata.name_or_empty(), "-uid");
    j.status.emplace();
    j.status->active = 4;
    j.status->ready = 4;
    j.status->start_time = "2026-11-28T16:59:19Z";
  }
  return jobs;
}

std::vector<const api::Job*> Ptrs(const std::vector<api::Job>& jobs) {
  std::vector<const api::Job*> out;
  for (const auto& j : jobs) out.push_back(&j);
  return out;
}

absl::Time Now() { return absl::FromUnixSeconds(1800000000); }

void BM_ReconcileSteady(benchmark::State& state) {
  api::JobSet js = BigJobSet(state.range(0));
  std::vector<api::Job> jobs = ReadyJobs(js, 0);
  std::vector<const api::Job*> ptrs = Ptrs(jobs);
  api::Service svc;
  svc.metadata.name = "big";
  svc.metadata.namespace_ = "default";
  std::vector<const api::Service*> svcs = {&svc};
  js.status = Reconcile(js, ptrs, svcs, Now()).value().new_status.value();
  AllocCounter allocs(state);
  for (auto _ : state) {
    Plan plan = Reconcile(js, ptrs, svcs, Now()).value();
    if (plan.new_status || !plan.create_jobs.empty()) state.SkipWithError("not steady");
    benchmark::DoNotOptimize(plan);
  }
  state.counters["jobs"] = kJobs;
}
BENCHMARK(BM_ReconcileSteady)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_ReconcileCreateAll(benchmark::State& state) {
  api::JobSet js = BigJobSet(1);
  AllocCounter allocs(state);
  for (auto _ : state) {
    Plan plan = Reconcile(js, std::vector<const api::Job*>{}, std::vector<const api::Service*>{}, Now()).value();
    if (plan.create_jobs.size() != kJobs) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_ReconcileCreateAll)->Unit(benchmark::kMillisecond);

void BM_ReconcileRestartDeletesPrevious(benchmark::State& state) {
  api::JobSet js = BigJobSet(1);
  std::vector<api::Job> jobs = ReadyJobs(js, 0);
  std::vector<const api::Job*> ptrs = Ptrs(jobs);
  js.status->restarts = 1;
  AllocCounter allocs(state);
  for (auto _ : state) {
    Plan plan = Reconcile(js, ptrs, std::vector<const api::Service*>{}, Now()).value();
    if (plan.delete_jobs.size() != kJobs) state.SkipWithError("wrong count");
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_ReconcileRestartDeletesPrevious)->Unit(benchmark::kMillisecond);

void BM_ReconcileOneFailure(benchmark::State& state) {
  api::JobSet js = BigJobSet(1);
  std::vector<api::Job> jobs = ReadyJobs(js, 0);
  api::JobCondition failed;
  failed.type = "Failed";
  failed.status = "True";
  failed.reason = "PodFailurePolicy";
  failed.message = "Container main for pod big-rj0-5000-0-x failed with exit code 102";
  failed.last_transition_time = "2026-11-28T16:59:19Z";
  jobs[5000].status->conditions.push_back(failed);
  std::vector<const api::Job*> ptrs = Ptrs(jobs);
  AllocCounter allocs(state);
  for (auto _ : state) {
    Plan plan = Reconcile(js, ptrs, std::vector<const api::Service*>{}, Now()).value();
    if (!plan.new_status || plan.new_status->restarts != 1) state.SkipWithError("no restart");
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_ReconcileOneFailure)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace phalanx::controller
