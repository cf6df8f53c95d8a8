// scheduler-extender/server.h
//
// The HTTP(S) server of phalanx-extender: `POST <prefix>/filter` and `<prefix>/prioritize`
// (scheduler-extender/handler.h), and `/healthz`, `/readyz` (200 once `ready` says so: caches synced),
// `/metrics`. With a certificate pair it serves TLS >= 1.2 with the certificate reloaded on rotation
// (tls/cert_reloader.h), and with a client CA it requires and verifies the scheduler's client
// certificate. Keep-alive connections are reused (kube-scheduler keeps one open per extender), each on a
// worker of its own. Optionally the probes and metrics again over plain HTTP on a separate address.
// Stop() is thread-safe and lets in-flight requests finish.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scheduler-extender/handler.h"
#include "scheduler-extender/metrics.h"

namespace phalanx::extender {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8888;  // 0 = any free port
  std::string url_prefix = "/scheduler";  // the urlPrefix path of KubeSchedulerConfiguration.extenders[]
  std::string tls_cert_file;         // both empty: plain HTTP
  std::string tls_private_key_file;
  std::string client_ca_file;        // non-empty: client certificates required and verified
  std::string health_probe_bind_address;  // "" or "0": probes only on the main server
  // ExtenderArgs with full Node objects (nodeCacheCapable: false) at 5,000 nodes run to ~100 MB.
  size_t max_request_bytes = 256u << 20;
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  absl::Duration keep_alive_timeout = absl::Seconds(30);
  int worker_threads = 16;
};

class Server {
 public:
  // Loads the certificates and binds the sockets (port() is known before Run()).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler& handler,
                                                       Metrics& metrics, std::function<bool()> ready);
  ~Server();

  int port() const;
  int probe_port() const;  // 0 when disabled
  // Serves until Stop().
  absl::Status Run();
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::extender
