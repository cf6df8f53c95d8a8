// tests/testing/files.h
//
// Paths to the source tree, the build tree and the shared fixtures, and a whole-file reader. The
// directories are those CMake configured; PHALANX_SOURCE_DIR / PHALANX_BINARY_DIR override them.
#pragma once

#include <string>

namespace phalanx::testing {

// The repository root.
std::string SourceDir();
// The CMake build directory (binaries live under it).
std::string BinaryDir();
// `../shared/fixtures/k8s-v1.36` next to the repository (as laid out for developers and CI).
std::string FixturesDir();
// Contents of `path`; fails the current test (and returns "") if it cannot be read.
std::string ReadFileOrDie(const std::string& path);

}  // namespace phalanx::testing
