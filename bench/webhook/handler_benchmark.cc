// Server-side CPU cost of one admission answer (body in → body out, no sockets), on the real
// AdmissionReview bodies the API server sent. Compare with the wrk numbers of run_pod_mutation.sh to
// see what TLS and HTTP add.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "webhook/handler.h"

namespace {

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("PHALANX_SOURCE_DIR");
  std::string root = src != nullptr ? src : ".";
  std::ifstream in(root + "/../shared/fixtures/k8s-v1.36/admission/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Run(benchmark::State& state, std::string_view path, const std::string& body) {
  if (body.empty()) {
    state.SkipWithError("fixture not found: set PHALANX_SOURCE_DIR to the repository root");
    return;
  }
  for (auto _ : state) {
    auto reply = phalanx::webhook::HandleAdmission(path, "application/json", body);
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(body.size()));
}

void BM_MutatePod(benchmark::State& state) {
  Run(state, phalanx::webhook::kMutatePodPath,
      Fixture("pod-create-from-job-controller.mutate-pod.request.json"));
}
BENCHMARK(BM_MutatePod);

void BM_ValidatePod(benchmark::State& state) {
  Run(state, phalanx::webhook::kValidatePodPath,
      Fixture("pod-create-from-job-controller.validate-pod.request.json"));
}
BENCHMARK(BM_ValidatePod);

void BM_MutateJobSet(benchmark::State& state) {
  Run(state, phalanx::webhook::kMutateJobSetPath,
      Fixture("jobset-create-named.mutate-jobset.request.json"));
}
BENCHMARK(BM_MutateJobSet);

void BM_ValidateJobSetUpdate(benchmark::State& state) {
  Run(state, phalanx::webhook::kValidateJobSetPath,
      Fixture("jobset-update-suspend-true.validate-jobset.request.json"));
}
BENCHMARK(BM_ValidateJobSetUpdate);

}  // namespace
