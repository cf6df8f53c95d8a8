#include "tests/testing/files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace phalanx::testing {
namespace {
std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}
}  // namespace

std::string SourceDir() { return EnvOr("PHALANX_SOURCE_DIR", PHALANX_SOURCE_DIR_DEFAULT); }
std::string BinaryDir() { return EnvOr("PHALANX_BINARY_DIR", PHALANX_BINARY_DIR_DEFAULT); }
std::string FixturesDir() { return SourceDir() + "/../shared/fixtures/k8s-v1.36"; }

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace phalanx::testing
