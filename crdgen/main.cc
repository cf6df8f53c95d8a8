// phalanx-crdgen: writes the JobSet CRD from crdgen/jobset.skeleton.yaml and a Kubernetes OpenAPI v3
// document (see crdgen/structural.h).
//
//   phalanx-crdgen --openapi=FILE --skeleton=FILE [--out=FILE (default: stdout)]
//
// Exit 0 on success, 1 on a conversion error, 2 on a usage error.
#include <cstdio>
#include <fstream>
#include <string>

#include "common/read_file.h"
#include "crdgen/structural.h"

namespace {

constexpr char kUsage[] = "usage: phalanx-crdgen --openapi=FILE --skeleton=FILE [--out=FILE]\n";

}  // namespace

int main(int argc, char** argv) {
  std::string openapi_path, skeleton_path, out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg.rfind("--openapi=", 0) == 0) {
      openapi_path = arg.substr(10);
    } else if (arg.rfind("--skeleton=", 0) == 0) {
      skeleton_path = arg.substr(11);
    } else if (arg.rfind("--out=", 0) == 0) {
      out_path = arg.substr(6);
    } else {
      std::fprintf(stderr, "phalanx-crdgen: unexpected argument %s\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (openapi_path.empty() || skeleton_path.empty()) {
    std::fprintf(stderr, "phalanx-crdgen: --openapi and --skeleton are required\n%s", kUsage);
    return 2;
  }
  absl::StatusOr<std::string> openapi = phalanx::ReadFile(openapi_path);
  absl::StatusOr<std::string> skeleton = openapi.ok() ? phalanx::ReadFile(skeleton_path) : openapi;
  if (!skeleton.ok()) {
    std::fprintf(stderr, "phalanx-crdgen: %s\n", std::string(skeleton.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::string> crd = phalanx::crdgen::GenerateCrdYaml(*skeleton, *openapi);
  if (!crd.ok()) {
    std::fprintf(stderr, "phalanx-crdgen: %s\n", std::string(crd.status().message()).c_str());
    return 1;
  }
  if (out_path.empty()) {
    std::fputs(crd->c_str(), stdout);
    return 0;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << *crd;
  out.close();
  if (!out) {
    std::fprintf(stderr, "phalanx-crdgen: cannot write %s\n", out_path.c_str());
    return 1;
  }
  return 0;
}
