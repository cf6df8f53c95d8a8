// phalanx-webhook: the admission webhook for JobSets and their pods.
//
//   phalanx-webhook --tls-cert-file=tls.crt --tls-private-key-file=tls.key [--port=9443]
//                   [--bind-address=0.0.0.0] [--health-probe-bind-address=:8081] [--client-ca-file=FILE]
//                   [--cert-dir=DIR (tls.crt + tls.key)] [--max-request-bytes=N]
//                   [--read-timeout=SECONDS] [--write-timeout=SECONDS]
//                   [--shutdown-grace-period=SECONDS] [-v] [--version]
//                   [--exclusive-placement=phalanx|upstream] [--kubeconfig=FILE]
//                   [--kube-api-qps=50] [--kube-api-burst=100] [--planner-check[=true|false]]
//                   [--planner-lease=phalanx-system/phalanx-extender] [--planner-grace=SECONDS]
//                   [--scheduler-name=NAME] [--tolerate-fence-in-daemonsets[=true|false]]
//
// --exclusive-placement decides who enforces alpha.jobset.sigs.k8s.io/exclusive-topology:
//   phalanx  (default) pods get the placement gate phalanx.dev/placement; phalanx-extender's planner
//            removes it once the gang has a domain. Deploy it only together with the extender.
//   upstream upstream JobSet's webhooks: leader pod affinity/anti-affinity, follower nodeSelector from
//            the leader's node, followers refused until their leader is scheduled
//            (webhook/exclusive_upstream.h). Reads pods and nodes through informers, so it needs
//            API access (--kubeconfig, or the in-cluster service account) and RBAC list/watch on both.
// In phalanx mode --planner-check (default true) follows the planner's Lease (webhook/planner_watch.h):
// phalanx_planner_available on /metrics, and a PlannerUnavailable Event on the JobSet of pods gated
// while no planner runs. Without API access the check is skipped with a warning.
// Managed clusters (webhook/managed_cluster.h): --scheduler-name sends the pods it gates to that
// scheduler (the Phalanx profile); --tolerate-fence-in-daemonsets lets DaemonSet pods onto fenced nodes.
//
// Prints "listening on <address>:<port>" as its first line on stdout once the socket is bound (with
// --port=0 the kernel picks the port), then serves until SIGTERM or SIGINT: it stops accepting, lets
// in-flight requests finish, and exits at the latest after the grace period (idle keep-alive
// connections are then cut).
#include <pthread.h>
#include <unistd.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "webhook/cluster_view.h"
#include "webhook/exclusive_upstream.h"
#include "webhook/planner_watch.h"
#include "webhook/server.h"

namespace {

constexpr char kUsage[] =
    "usage: phalanx-webhook --tls-cert-file=FILE --tls-private-key-file=FILE [--port=9443]\n"
    "       [--bind-address=0.0.0.0] [--health-probe-bind-address=:8081] [--cert-dir=DIR]\n"
    "       [--client-ca-file=FILE]\n"
    "       [--max-request-bytes=N] [--read-timeout=SECONDS] [--write-timeout=SECONDS]\n"
    "       [--shutdown-grace-period=SECONDS] [-v] [--version]\n"
    "       [--exclusive-placement=phalanx|upstream] [--kubeconfig=FILE] [--kube-api-qps=50]\n"
    "       [--kube-api-burst=100] [--planner-check[=true|false]] [--planner-lease=NAMESPACE/NAME]\n"
    "       [--planner-grace=SECONDS] [--scheduler-name=NAME] [--tolerate-fence-in-daemonsets]\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "phalanx-webhook: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using phalanx::webhook::ServerOptions;
  ServerOptions options;
  std::string cert_dir;
  int64_t grace_seconds = 10;
  phalanx::webhook::ExclusivePlacementMode mode = phalanx::webhook::ExclusivePlacementMode::kPhalanx;
  std::string kubeconfig;
  double qps = 50;
  int64_t burst = 100;
  bool planner_check = true;
  phalanx::webhook::PlannerWatchOptions planner_options;
  absl::StatusOr<phalanx::CommandLine> command_line = phalanx::ParseCommandLine(
      argc, argv,
      {"port", "bind-address", "tls-cert-file", "tls-private-key-file", "client-ca-file", "cert-dir",
       "health-probe-bind-address",
       "max-request-bytes", "read-timeout", "write-timeout", "shutdown-grace-period", "exclusive-placement",
       "kubeconfig", "kube-api-qps", "kube-api-burst", "planner-lease", "planner-grace", "scheduler-name"},
      {"planner-check", "tolerate-fence-in-daemonsets"});
  if (!command_line.ok()) return Usage(std::string(command_line.status().message()));
  if (command_line->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", phalanx::VersionLine("phalanx-webhook").c_str());
    return 0;
  }
  if (command_line->verbose) phalanx::log::SetMinLevel(phalanx::log::Level::kDebug);
  for (const auto& [name, value] : command_line->flags) {
    int64_t n = 0;
    if (name == "port") {
      if (!absl::SimpleAtoi(value, &n) || n < 0 || n > 65535) return Usage("bad --port");
      options.port = int(n);
    } else if (name == "bind-address") {
      options.bind_address = value;
    } else if (name == "tls-cert-file") {
      options.tls_cert_file = value;
    } else if (name == "tls-private-key-file") {
      options.tls_private_key_file = value;
    } else if (name == "client-ca-file") {
      options.client_ca_file = value;
    } else if (name == "cert-dir") {
      cert_dir = value;
    } else if (name == "health-probe-bind-address") {
      options.health_probe_bind_address = value;
    } else if (name == "max-request-bytes") {
      if (!absl::SimpleAtoi(value, &n) || n < 1024) return Usage("bad --max-request-bytes");
      options.max_request_bytes = size_t(n);
    } else if (name == "read-timeout") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return Usage("bad --read-timeout");
      options.read_timeout = absl::Seconds(n);
    } else if (name == "write-timeout") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return Usage("bad --write-timeout");
      options.write_timeout = absl::Seconds(n);
    } else if (name == "exclusive-placement") {
      auto parsed = phalanx::webhook::ParseExclusivePlacementMode(value);
      if (!parsed.ok()) return Usage(std::string(parsed.status().message()));
      mode = *parsed;
    } else if (name == "kubeconfig") {
      kubeconfig = value;
    } else if (name == "kube-api-qps") {
      if (!absl::SimpleAtod(value, &qps) || qps < 0) return Usage("bad --kube-api-qps");
    } else if (name == "kube-api-burst") {
      if (!absl::SimpleAtoi(value, &burst) || burst < 0) return Usage("bad --kube-api-burst");
    } else if (name == "scheduler-name") {
      options.pod_webhook.managed.scheduler_name = value;
    } else if (name == "tolerate-fence-in-daemonsets") {
      options.pod_webhook.managed.tolerate_fence_in_daemonsets = value == "true";
    } else if (name == "planner-check") {
      planner_check = value == "true";
    } else if (name == "planner-lease") {
      size_t slash = value.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == value.size()) {
        return Usage("--planner-lease: want NAMESPACE/NAME");
      }
      planner_options.lease_namespace = value.substr(0, slash);
      planner_options.lease_name = value.substr(slash + 1);
    } else if (name == "planner-grace") {
      int64_t g = 0;
      if (!absl::SimpleAtoi(value, &g) || g < 0) return Usage("bad --planner-grace");
      planner_options.grace = absl::Seconds(g);
    } else if (name == "shutdown-grace-period") {
      if (!absl::SimpleAtoi(value, &grace_seconds) || grace_seconds < 0) {
        return Usage("bad --shutdown-grace-period");
      }
    }
  }
  if (!cert_dir.empty()) {
    if (options.tls_cert_file.empty()) options.tls_cert_file = cert_dir + "/tls.crt";
    if (options.tls_private_key_file.empty()) options.tls_private_key_file = cert_dir + "/tls.key";
  }
  if (options.tls_cert_file.empty() || options.tls_private_key_file.empty()) {
    return Usage("--tls-cert-file and --tls-private-key-file (or --cert-dir) are required");
  }

  PHALANX_LOG(kInfo, "phalanx-webhook starting",
              {{"version", phalanx::Version()}, {"commit", phalanx::GitCommit()}});
  // Signals go to one waiting thread; every other thread (started below) inherits the mask.
  sigset_t signals = phalanx::BlockTerminationSignals();

  // API access: only what the chosen modes read.
  std::unique_ptr<phalanx::kube::HttpClient> client;
  std::unique_ptr<phalanx::webhook::ClusterView> view;
  std::unique_ptr<phalanx::webhook::PlannerWatch> planner;
  const bool upstream = mode == phalanx::webhook::ExclusivePlacementMode::kUpstream;
  options.pod_webhook.exclusive_placement = mode;
  if (upstream || planner_check) {
    absl::StatusOr<phalanx::kube::RestConfig> config =
        phalanx::kube::ConfigFromFlags(kubeconfig, qps, static_cast<int>(burst));
    absl::StatusOr<std::unique_ptr<phalanx::kube::HttpClient>> made =
        config.ok() ? phalanx::kube::HttpClient::Create(*config)
                    : absl::StatusOr<std::unique_ptr<phalanx::kube::HttpClient>>(config.status());
    if (made.ok()) {
      client = *std::move(made);
    } else if (upstream) {
      PHALANX_LOG(kError, "upstream exclusive placement needs API access", {{"error", made.status().ToString()}});
      return 1;
    } else {
      PHALANX_LOG(kWarning, "no API access: planner check disabled", {{"error", made.status().ToString()}});
    }
  }
  if (upstream) {
    view = std::make_unique<phalanx::webhook::ClusterView>(*client);
    view->Start();
    // Until the first lists are in, followers are refused with the transient "expected 1 leader pod"
    // error and the Job controller retries: serving early is safe, just less useful.
    if (!view->WaitForSync(absl::Seconds(30))) {
      PHALANX_LOG(kWarning, "pod and node caches not synced after 30s; serving anyway");
    }
    options.pod_webhook.lookup = view.get();
  } else if (planner_check && client) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    planner_options.reporting_instance = host;
    planner = std::make_unique<phalanx::webhook::PlannerWatch>(*client, planner_options);
    planner->Start();
    phalanx::webhook::PlannerWatch* watch = planner.get();
    options.pod_webhook.on_gated = [watch](const phalanx::api::Pod& pod) { watch->NoteGated(pod); };
    options.extra_metrics = [watch] { return watch->RenderMetrics(); };
  }
  PHALANX_LOG(kInfo, "exclusive placement",
              {{"mode", std::string(phalanx::webhook::ExclusivePlacementModeName(mode))}});

  auto server = phalanx::webhook::Server::Start(options);
  if (!server.ok()) {
    PHALANX_LOG(kError, "cannot start", {{"error", std::string(server.status().message())}});
    return 1;
  }
  std::printf("listening on %s:%d\n", (*server)->bind_address().c_str(), (*server)->port());
  if ((*server)->probe_port() > 0) {
    std::printf("health probes on %s:%d\n", (*server)->probe_bind_address().c_str(),
                (*server)->probe_port());
  }
  std::fflush(stdout);
  PHALANX_LOG(kInfo, "serving", {{"port", (*server)->port()}, {"probe_port", (*server)->probe_port()}});

  phalanx::webhook::Server* raw = server->get();
  absl::Mutex mu;
  bool run_returned = false;
  std::thread waiter([&, raw, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    PHALANX_LOG(kInfo, "shutting down", {{"signal", sig}});
    raw->Stop();
    // Workers finish in-flight requests; an idle keep-alive connection would otherwise hold its
    // worker until the keep-alive timeout.
    absl::MutexLock lock(&mu);
    if (!mu.AwaitWithTimeout(absl::Condition(&run_returned), absl::Seconds(grace_seconds))) {
      PHALANX_LOG(kWarning, "grace period over, exiting", {{"seconds", grace_seconds}});
      std::fflush(nullptr);
      std::_Exit(0);
    }
  });
  absl::Status status = raw->Run();
  {
    absl::MutexLock lock(&mu);
    run_returned = true;
  }
  if (!status.ok()) {
    PHALANX_LOG(kError, "server failed", {{"error", std::string(status.message())}});
    // Wake the waiter so the process can exit.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  if (view) view->Stop();
  if (planner) planner->Stop();
  PHALANX_LOG(kInfo, "stopped");
  return 0;
}
