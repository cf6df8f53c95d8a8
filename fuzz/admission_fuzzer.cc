// fuzz/admission_fuzzer.cc — AdmissionReview bodies through every webhook path (webhook::HandleAdmission),
// in both exclusive-placement modes. The first byte picks the path and the mode; the rest is the body.
// Checks the handler's contract: a status the contract allows, and a 200 answer that is an
// AdmissionReview response (decodable JSON).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/admission.h"
#include "webhook/handler.h"

namespace {

// Upstream mode reads leaders and nodes here: one leader pod on one labelled node, whatever is asked.
class FixedLookup : public phalanx::webhook::LeaderLookup {
 public:
  std::vector<phalanx::webhook::PodSummary> PodsByIndexKey(std::string_view ns, std::string_view key) const override {
    return {{std::string(ns), std::string(key) + "-0-abcde", "owner-uid", "node-a", "Running", false}};
  }
  std::optional<std::map<std::string, std::string>> NodeLabels(std::string_view name) const override {
    if (name != "node-a") return std::nullopt;
    return std::map<std::string, std::string>{{"cloud.google.com/gke-nodepool", "pool-a"}};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace phalanx::webhook;
  if (size == 0) return 0;
  static const std::string_view kPaths[] = {kMutateJobSetPath, kValidateJobSetPath, kMutatePodPath,
                                            kValidatePodPath};
  static const FixedLookup lookup;
  const uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  PodWebhookOptions options;
  if (selector & 4) {
    options.exclusive_placement = ExclusivePlacementMode::kUpstream;
    options.lookup = &lookup;
  }
  const HttpReply reply = HandleAdmission(kPaths[selector & 3], "application/json", body, options);
  if (reply.status != 200 && reply.status != 400) std::abort();
  if (reply.status == 200 && !phalanx::api::DecodeAdmissionResponseReview(reply.body).ok()) std::abort();
  return 0;
}
