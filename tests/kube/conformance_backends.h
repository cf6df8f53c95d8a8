// tests/kube/conformance_backends.h
//
// The backends the client conformance suite runs against: MemoryCluster called directly, and the same
// MemoryCluster served by MemoryApiServer and reached through the real HttpClient.
#pragma once

#include <memory>

#include "kube/client.h"
#include "kube/memory_cluster.h"

namespace phalanx::kube::testing {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Client& client() = 0;
  virtual MemoryCluster& cluster() = 0;
};

std::unique_ptr<Backend> MakeMemoryBackend();
std::unique_ptr<Backend> MakeHttpBackend();

}  // namespace phalanx::kube::testing
