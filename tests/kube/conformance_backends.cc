#include "tests/kube/conformance_backends.h"

#include "gtest/gtest.h"
#include "kube/http_client.h"
#include "kube/memory_api_server.h"

namespace phalanx::kube::testing {
namespace {

class MemoryBackend final : public Backend {
 public:
  Client& client() override { return cluster_; }
  MemoryCluster& cluster() override { return cluster_; }

 private:
  MemoryCluster cluster_;
};

class HttpBackend final : public Backend {
 public:
  HttpBackend() : server_(cluster_) {
    absl::Status s = server_.Start();
    EXPECT_TRUE(s.ok()) << s;
    RestConfig cfg;
    cfg.server = server_.url();
    cfg.qps = 0;  // unlimited: the suite is about semantics
    absl::StatusOr<std::unique_ptr<HttpClient>> c = HttpClient::Create(cfg);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) client_ = *std::move(c);
  }
  ~HttpBackend() override {
    client_.reset();
    server_.Stop();
  }
  Client& client() override { return *client_; }
  MemoryCluster& cluster() override { return cluster_; }

 private:
  MemoryCluster cluster_;
  MemoryApiServer server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace

std::unique_ptr<Backend> MakeMemoryBackend() { return std::make_unique<MemoryBackend>(); }
std::unique_ptr<Backend> MakeHttpBackend() { return std::make_unique<HttpBackend>(); }

}  // namespace phalanx::kube::testing
