// fuzz/extender_fuzzer.cc — ExtenderArgs bodies through the extender's /filter and /prioritize
// (extender::Handler), against a state with node pools, a JobSet asking for exclusive placement and its
// recorded reservation. First byte: the verb; the rest is the body. A reply must be 200 or 400, and a
// 200 /filter answer must be JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/document.h"
#include "scheduler-extender/handler.h"
#include "scheduler-extender/metrics.h"
#include "scheduler-extender/state.h"

namespace {

std::string Node(int pool, int i) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"tpu-)", pool, "-", i,
                      R"(","labels":{"cloud.google.com/gke-nodepool":"pool-)", pool,
                      R"("}},"spec":{},"status":{"allocatable":{"cpu":"8","memory":"32Gi","pods":"110",)",
                      R"("google.com/tpu":"4"},"conditions":[{"type":"Ready","status":"True"}]}})");
}

phalanx::extender::ExtenderState& State() {
  static phalanx::extender::ExtenderState* state = [] {
    auto* s = new phalanx::extender::ExtenderState();
    for (int p = 0; p < 3; ++p) {
      for (int i = 0; i < 2; ++i) s->OnNode(Node(p, i));
    }
    s->OnJobSet(
        R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","metadata":{"name":"train","namespace":"default",)"
        R"("uid":"u1","creationTimestamp":"2026-12-01T00:00:00Z","annotations":{)"
        R"("alpha.jobset.sigs.k8s.io/exclusive-topology":"cloud.google.com/gke-nodepool"}},"spec":{"replicatedJobs":)"
        R"([{"name":"workers","replicas":1,"template":{"spec":{"parallelism":2,"completions":2,"template":{"spec":)"
        R"({"restartPolicy":"Never","containers":[{"name":"main","image":"x","resources":{"requests":)"
        R"({"google.com/tpu":"4"}}}]}}}}}]}})");
    phalanx::extender::PlanActions a = s->Plan(absl::FromUnixSeconds(1800000000));
    for (const auto& r : a.records) s->Recorded(r.jobset.uid, r.value);
    return s;
  }();
  return *state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static phalanx::extender::Metrics metrics;
  static phalanx::extender::Handler handler(State(), metrics);
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool filter = (data[0] & 1) == 0;
  phalanx::extender::Reply reply = filter ? handler.Filter(std::move(body)) : handler.Prioritize(std::move(body));
  if (reply.status != 200 && reply.status != 400) std::abort();
  if (reply.status == 200 && !phalanx::api::PrettyJson(reply.body).ok()) std::abort();
  return 0;
}
