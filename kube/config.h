// kube/config.h
//
// RestConfig: how to reach an API server — from a kubeconfig file (server, CA, client certificate and key
// as files or *-data, bearer token or tokenFile, current or named context) or from the in-cluster
// service account (KUBERNETES_SERVICE_HOST/PORT, token file re-read when it rotates, CA file). Also the
// client's behaviour knobs: QPS/burst (defaults 500/500, as upstream JobSet), retries and timeouts.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace phalanx::kube {

struct RestConfig {
  std::string server;             // "https://10.0.0.1:443" or "http://127.0.0.1:8080"
  std::string namespace_;         // the context's namespace ("" = default)
  std::string ca_pem;             // CA bundle (PEM); empty → ca_file, else the system store
  std::string ca_file;
  std::string client_cert_pem;    // client certificate + key (PEM), for x509 authentication
  std::string client_key_pem;
  std::string bearer_token;
  std::string token_file;         // read per request when its modification time changes (rotation)
  bool insecure_skip_tls_verify = false;

  double qps = 500;
  int burst = 500;
  int max_retries = 5;            // extra attempts on 429 + Retry-After, 5xx and dropped connections
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration max_retry_after = absl::Seconds(30);
  absl::Duration request_timeout = absl::Seconds(30);  // connect/read/write for non-watch requests
  std::string user_agent = "phalanx/0.1";
};

// Reads a kubeconfig; `context` "" uses current-context. Relative file paths are resolved against the
// kubeconfig's directory. kInvalidArgument on missing/unknown entries, kNotFound if the file is missing.
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, absl::string_view context = "");

// What the binaries' --kubeconfig flag means: that file when given, else the in-cluster configuration;
// then their --kube-api-qps / --kube-api-burst. The binaries' `namespace_` default for leader election
// is the result's namespace_ ("" when neither names one).
absl::StatusOr<RestConfig> ConfigFromFlags(const std::string& kubeconfig, double qps, int burst);

// In-cluster configuration from the environment and /var/run/secrets/kubernetes.io/serviceaccount.
absl::StatusOr<RestConfig> InClusterConfig();
// The same with explicit inputs (tests): service host/port and the service-account directory holding
// `token`, `ca.crt` and `namespace`.
absl::StatusOr<RestConfig> InClusterConfigFrom(absl::string_view host, absl::string_view port,
                                               const std::string& service_account_dir);

}  // namespace phalanx::kube
