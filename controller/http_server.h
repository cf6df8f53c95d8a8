// controller/http_server.h
//
// ProbeServer: the controller's plain-HTTP endpoints — `/healthz` and `/readyz` (200 "ok" while the
// process runs; /readyz 503 until `ready` says so) and `/metrics` (Prometheus text from Metrics) — on
// one address, as `--health-probe-bind-address` and `--metrics-bind-address` ask. Several paths may
// share one server. Runs on a thread of its own; Stop() joins it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controller/metrics.h"

namespace phalanx::controller {

struct ProbeServerOptions {
  bool serve_health = false;
  bool serve_metrics = false;
  const Metrics* metrics = nullptr;
  std::function<bool()> ready;  // nullptr = always ready
};

class ProbeServer {
 public:
  explicit ProbeServer(ProbeServerOptions options);
  ~ProbeServer();  // Stop()

  // `address` is "host:port", ":port" (all interfaces) or a bare port; port 0 picks a free one.
  // Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};



}  // namespace phalanx::controller
