// common/version.h
//
// What a binary reports for --version, in its startup log and in its phalanx_build_info metric: the
// release version and the git commit the build was made from, stamped by CMake at build time
// (cmake/version.cmake; link phalanx::version). Constant strings; thread-safe; never fail.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace phalanx {

// "0.1.0".
std::string_view Version();
// The full commit hash, with "-dirty" when the tree had uncommitted changes; "unknown" when built
// without git or outside a git checkout.
std::string_view GitCommit();

// One line for --version: "<program> version 0.1.0, commit <hash>".
inline std::string VersionLine(std::string_view program) {
  return absl::StrCat(std::string(program), " version ", std::string(Version()), ", commit ",
                      std::string(GitCommit()));
}

// The exposition of the gauge every /metrics carries, in Prometheus text format 0.0.4:
//   phalanx_build_info{version="0.1.0",commit="<hash>"} 1
inline std::string BuildInfoMetric() {
  auto label = [](std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  };
  return absl::StrCat(
      "# HELP phalanx_build_info The version and git commit this binary was built from.\n"
      "# TYPE phalanx_build_info gauge\n"
      "phalanx_build_info{version=\"", label(Version()), "\",commit=\"", label(GitCommit()),
      "\"} 1\n");
}

}  // namespace phalanx
