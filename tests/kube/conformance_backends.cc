#include "tests/kube/conformance_backends.h"

namespace phalanx::kube::testing {
namespace {

class MemoryBackend final : public Backend {
 public:
  Client& client() override { return cluster_; }
  MemoryCluster& cluster() override { return cluster_; }

 private:
  MemoryCluster cluster_;
};

}  // namespace

std::unique_ptr<Backend> MakeMemoryBackend() { return std::make_unique<MemoryBackend>(); }
std::unique_ptr<Backend> MakeHttpBackend() { return nullptr; }

}  // namespace phalanx::kube::testing
