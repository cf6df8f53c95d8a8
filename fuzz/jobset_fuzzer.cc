// fuzz/jobset_fuzzer.cc — a JobSet's whole path through Phalanx: decode → default → validate (create and
// update) → expand (child Jobs and the Service) → the extender's demand, plus the webhook's defaulting
// patch. First byte: the restart count for Expand; the rest is the JobSet JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/defaulting.h"
#include "api/expand.h"
#include "api/jobset_codec.h"
#include "api/validation.h"
#include "scheduler-extender/to_placement.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int32_t restarts = data[0];
  const std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)phalanx::api::DefaultingPatch(json);
  absl::StatusOr<phalanx::api::JobSet> decoded = phalanx::api::DecodeJobSet(json);
  if (!decoded.ok()) return 0;
  phalanx::api::JobSet js = *decoded;
  (void)phalanx::api::UnknownFields(js);
  (void)phalanx::extender::ToJobSetDemand(js);
  phalanx::api::DefaultJobSet(js);
  phalanx::api::ApplySchemaDefaults(js);
  (void)phalanx::api::ValidateUpdate(*decoded, js);
  if (!phalanx::api::ValidateCreate(js).empty()) return 0;
  (void)phalanx::api::EncodeJobSet(js);
  (void)phalanx::api::Expand(js, restarts);
  (void)phalanx::api::ExpandService(js);
  (void)phalanx::extender::ToJobSetDemand(js);
  return 0;
}
