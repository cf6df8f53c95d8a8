#include "controller/http_server.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/bind_address.h"

namespace phalanx::controller {

struct ProbeServer::Impl {
  ProbeServerOptions options;
  httplib::Server server;
};

ProbeServer::ProbeServer(ProbeServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

ProbeServer::~ProbeServer() { Stop(); }

absl::StatusOr<int> ProbeServer::Start(const std::string& address) {
  absl::StatusOr<std::pair<std::string, int>> bind = ParseBindAddress(address);
  if (!bind.ok()) return bind.status();
  Impl* impl = impl_.get();
  // Probes and scrapes send no body: whatever a client sends beyond a little is refused (413) instead
  // of read into memory, and a request that stalls is dropped.
  impl->server.set_payload_max_length(64 << 10);
  impl->server.set_read_timeout(10, 0);
  impl->server.set_write_timeout(10, 0);
  if (impl->options.serve_health) {
    impl->server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    impl->server.Get("/readyz", [impl](const httplib::Request&, httplib::Response& res) {
      bool ready = !impl->options.ready || impl->options.ready();
      res.status = ready ? 200 : 503;
      res.set_content(ready ? "ok" : "not ready", "text/plain");
    });
  }
  if (impl->options.serve_metrics) {
    impl->server.Get("/metrics", [impl](const httplib::Request&, httplib::Response& res) {
      std::string body = impl->options.metrics != nullptr ? impl->options.metrics->Render() : "";
      res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  int port = bind->second;
  if (port == 0) {
    port = impl->server.bind_to_any_port(bind->first.c_str());
  } else if (!impl->server.bind_to_port(bind->first.c_str(), port)) {
    port = -1;
  }
  if (port < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  thread_ = std::thread([impl] { impl->server.listen_after_bind(); });
  return port;
}

void ProbeServer::Stop() {
  if (impl_) impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace phalanx::controller
