// fuzz/kubeconfig_fuzzer.cc — kubeconfig text through kube::LoadKubeconfig (written to a file of this
// process under /dev/shm, which is what the loader reads), with and without a named context.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = absl::StrCat("/dev/shm/phalanx-kubeconfig-fuzz-", getpid(), ".yaml");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  (void)phalanx::kube::LoadKubeconfig(path);
  (void)phalanx::kube::LoadKubeconfig(path, "x");
  return 0;
}
