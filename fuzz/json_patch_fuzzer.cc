// fuzz/json_patch_fuzzer.cc — patches applied to documents: api::ApplyJsonPatch (what the webhook's
// answers and the planner's pins are checked with), and the memory API server's JSON Patch, merge patch
// and strategic merge patch (kube/internal/patch.h). Input: a selector byte, then document NUL patch.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/json_patch.h"
#include "kube/internal/json.h"
#include "kube/internal/patch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = rest.find('\0');
  const std::string_view doc = nul == std::string_view::npos ? std::string_view("{}") : rest.substr(0, nul);
  const std::string_view patch = nul == std::string_view::npos ? rest : rest.substr(nul + 1);
  switch (data[0] % 4) {
    case 0:
      (void)phalanx::api::ApplyJsonPatch(doc, patch);
      (void)phalanx::api::Base64Decode(patch);
      break;
    default: {
      auto d = phalanx::kube::internal::ParseJson(absl::string_view(doc.data(), doc.size()));
      auto p = phalanx::kube::internal::ParseJson(absl::string_view(patch.data(), patch.size()));
      if (!d.ok() || !p.ok()) break;
      if (data[0] % 4 == 1) (void)phalanx::kube::internal::ApplyJsonPatch(*d, *p);
      if (data[0] % 4 == 2) (void)phalanx::kube::internal::ApplyMergePatch(*d, *p);
      if (data[0] % 4 == 3) (void)phalanx::kube::internal::ApplyStrategicMergePatch(*d, *p);
      break;
    }
  }
  return 0;
}
