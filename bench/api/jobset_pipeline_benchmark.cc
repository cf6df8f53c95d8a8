// Decode + default + validate + expand (+ encode) of a JobSet with many replicas: the work the
// webhook and the controller do per JobSet.
#include <string>

#include "absl/strings/str_cat.h"
#include "api/defaulting.h"
#include "api/document.h"
#include "api/expand.h"
#include "api/job_codec.h"
#include "api/jobset_codec.h"
#include "api/validation.h"
#include "benchmark/benchmark.h"

namespace phalanx::api {
namespace {

std::string JobSetJson(int replicas) {
  return absl::StrCat(R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet",
  "metadata":{"name":"bench","namespace":"ml","uid":"00000000-0000-0000-0000-000000000001",
    "annotations":{"alpha.jobset.sigs.k8s.io/exclusive-topology":"cloud.google.com/gke-nodepool"}},
  "spec":{"failurePolicy":{"maxRestarts":3},"replicatedJobs":[{"name":"workers","replicas":)",
                      replicas, R"(,
    "template":{"spec":{"parallelism":4,"completions":4,"backoffLimit":0,"template":{
      "metadata":{"labels":{"team":"research"}},
      "spec":{"nodeSelector":{"cloud.google.com/gke-tpu-topology":"4x4"},
        "containers":[{"name":"worker","image":"example.com/trainer:1.0",
          "args":["--steps","1000000"],"resources":{"limits":{"google.com/tpu":"4"}},
          "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}}}}]}})");
}

void BM_DecodeDefaultValidateExpand(benchmark::State& state) {
  const std::string json = JobSetJson(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto js = DecodeJobSet(json);
    ApplySchemaDefaults(*js);
    DefaultJobSet(*js);
    auto errors = ValidateCreate(*js);
    auto x = Expand(*js, 0);
    benchmark::DoNotOptimize(errors);
    benchmark::DoNotOptimize(x);
  }
  state.counters["jobs"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_DecodeDefaultValidateExpand)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_ExpandAndEncodeJobs(benchmark::State& state) {
  auto js = DecodeJobSet(JobSetJson(static_cast<int>(state.range(0))));
  DefaultJobSet(*js);
  for (auto _ : state) {
    auto x = Expand(*js, 0);
    size_t bytes = 0;
    for (const auto& job : x->jobs) bytes += EncodeJob(job).size();
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_ExpandAndEncodeJobs)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_DefaultingPatch(benchmark::State& state) {
  const std::string json = JobSetJson(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto patch = DefaultingPatch(json);
    benchmark::DoNotOptimize(patch);
  }
}
BENCHMARK(BM_DefaultingPatch)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_YamlDocument(benchmark::State& state) {
  auto yaml = JsonToYaml(JobSetJson(1000));
  for (auto _ : state) {
    auto docs = ParseDocuments(*yaml);
    benchmark::DoNotOptimize(docs);
  }
}
BENCHMARK(BM_YamlDocument)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace phalanx::api
