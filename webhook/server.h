// webhook/server.h
//
// The HTTPS server of phalanx-webhook: the admission endpoints (webhook/handler.h) plus /healthz,
// /readyz and /metrics over TLS (>= 1.2, certificate reloaded on file change, tls/cert_reloader.h),
// optionally requiring a client certificate signed by a given CA (the TLS handshake fails without one),
// and optionally the probes and metrics again over plain HTTP on a separate health address (what
// kubelet probes and Prometheus scrape). Limits: request bodies over `max_request_bytes` get 413; reads
// and writes time out; keep-alive connections are reused for many requests (the API server keeps a few
// open per webhook). Stop() is thread-safe and lets in-flight requests finish.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "webhook/handler.h"
#include "webhook/metrics.h"

namespace phalanx::webhook {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 9443;  // 0 = any free port (see Server::port())
  std::string tls_cert_file;
  std::string tls_private_key_file;
  // Non-empty: every client must present a certificate signed by a CA in this PEM bundle (the API
  // server's webhook client certificate, AdmissionConfiguration kubeConfigFile); read once at start.
  std::string client_ca_file;
  // "host:port" or ":port" for plain-HTTP /healthz, /readyz, /metrics; "" or "0" disables it.
  std::string health_probe_bind_address = ":8081";
  // Kubernetes objects are at most ~1.5 MiB; an UPDATE review carries two of them.
  size_t max_request_bytes = 7 << 20;
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  // Idle keep-alive connections are closed after this (each holds a worker thread meanwhile).
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  int worker_threads = 64;  // each open keep-alive connection holds one worker
  // How the pod webhooks treat pods (exclusive placement mode, the informer view it reads).
  PodWebhookOptions pod_webhook;
  // Appended to /metrics (e.g. the planner watch's gauges); may be empty. Thread-safe.
  std::function<std::string()> extra_metrics;
};

class Server {
 public:
  // Loads the certificate pair and binds the sockets (so port() is known before Run()).
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();

  int port() const;
  int probe_port() const;  // 0 when the health address is disabled
  std::string bind_address() const;
  std::string probe_bind_address() const;

  // Serves until Stop(). Returns an error if the listener fails.
  absl::Status Run();
  // Marks the server not ready, stops accepting, and lets in-flight requests finish.
  void Stop();

  Metrics& metrics();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::webhook
