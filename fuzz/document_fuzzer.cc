// fuzz/document_fuzzer.cc — the CLI's YAML/JSON input (api/document.h): ParseDocuments, then each
// document back to YAML and to pretty JSON, as `phalanx default|validate|expand -o yaml` does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<std::string>> docs = phalanx::api::ParseDocuments(text);
  (void)phalanx::api::ParseSingleDocument(text);
  if (!docs.ok()) return 0;
  for (const std::string& doc : *docs) {
    // ParseDocuments promises compact JSON: it must read back.
    if (!phalanx::api::PrettyJson(doc).ok()) std::abort();
    (void)phalanx::api::JsonToYaml(doc);
  }
  return 0;
}
