// phalanx-controller: the JobSet controller.
//
//   phalanx-controller [--kubeconfig=FILE] [--leader-elect[=true|false]]
//                      [--leader-election-namespace=NS] [--namespace=NS (watch only NS)]
//                      [--kube-api-qps=500] [--kube-api-burst=500] [--workers=N]
//                      [--health-probe-bind-address=:8081] [--metrics-bind-address=:8080 | 0] [-v]
//                      [--version] [--exclusive-placement=phalanx|upstream]
//
// --exclusive-placement=upstream (use with phalanx-webhook --exclusive-placement=upstream) also runs
// upstream JobSet's exclusive-placement repair loop (controller/exclusive_repair_loop.h): followers
// whose nodeSelector disagrees with their leader's domain get DisruptionTarget=True
// (ExclusivePlacementViolation) and are deleted. The default `phalanx` leaves placement to the extender.
//
// Without --kubeconfig the in-cluster service account is used. With --leader-elect the controller only
// reconciles while it holds the Lease `6d4f6a47.x-k8s.io` (upstream JobSet's election id) and exits
// when it loses it, so its replacement starts from a clean cache. Prints "health probes on HOST:PORT"
// and then "metrics on HOST:PORT" (when served separately) on stdout once bound (port 0 = any). Health probes answer from start;
// /readyz turns 200 once the caches are synced (or, when not leading, at once). Stops on SIGTERM/SIGINT.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/bind_address.h"
#include "common/clock.h"
#include "common/command_line.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "controller/exclusive_repair_loop.h"
#include "controller/http_server.h"
#include "controller/metrics.h"
#include "controller/runner.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "kube/leader_election.h"

namespace {

using phalanx::ParseBindAddress;

constexpr char kUsage[] =
    "usage: phalanx-controller [--kubeconfig=FILE] [--leader-elect[=true|false]]\n"
    "       [--leader-election-namespace=NS] [--namespace=NS] [--kube-api-qps=500] [--kube-api-burst=500]\n"
    "       [--workers=N] [--health-probe-bind-address=:8081] [--metrics-bind-address=:8080|0] [-v]\n"
    "       [--version] [--exclusive-placement=phalanx|upstream]\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "phalanx-controller: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig;
  bool leader_elect = false;
  std::string election_ns;
  std::string watch_ns;
  double qps = 500;
  int64_t burst = 500;
  int64_t workers = 4;
  std::string health_address = ":8081";
  std::string metrics_address = ":8080";
  bool exclusive_repair = false;
  absl::StatusOr<phalanx::CommandLine> command_line = phalanx::ParseCommandLine(
      argc, argv,
      {"kubeconfig", "leader-election-namespace", "namespace", "kube-api-qps", "kube-api-burst", "workers",
       "health-probe-bind-address", "metrics-bind-address", "exclusive-placement"},
      {"leader-elect"});
  if (!command_line.ok()) return Usage(std::string(command_line.status().message()));
  if (command_line->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", phalanx::VersionLine("phalanx-controller").c_str());
    return 0;
  }
  if (command_line->verbose) phalanx::log::SetMinLevel(phalanx::log::Level::kDebug);
  for (const auto& [name, value] : command_line->flags) {
    if (name == "leader-elect") {
      leader_elect = value == "true";
    } else if (name == "kubeconfig") {
      kubeconfig = value;
    } else if (name == "leader-election-namespace") {
      election_ns = value;
    } else if (name == "namespace") {
      watch_ns = value;
    } else if (name == "kube-api-qps") {
      if (!absl::SimpleAtod(value, &qps) || qps < 0) return Usage("bad --kube-api-qps");
    } else if (name == "kube-api-burst") {
      if (!absl::SimpleAtoi(value, &burst) || burst < 0) return Usage("bad --kube-api-burst");
    } else if (name == "workers") {
      if (!absl::SimpleAtoi(value, &workers) || workers < 1) return Usage("bad --workers");
    } else if (name == "health-probe-bind-address") {
      health_address = value;
    } else if (name == "metrics-bind-address") {
      metrics_address = value;
    } else if (name == "exclusive-placement") {
      if (value != "phalanx" && value != "upstream") return Usage("--exclusive-placement: want phalanx or upstream");
      exclusive_repair = value == "upstream";
    }
  }

  PHALANX_LOG(kInfo, "phalanx-controller starting",
              {{"version", phalanx::Version()}, {"commit", phalanx::GitCommit()}});
  sigset_t signals = phalanx::BlockTerminationSignals();
  absl::StatusOr<phalanx::kube::RestConfig> config =
      phalanx::kube::ConfigFromFlags(kubeconfig, qps, static_cast<int>(burst));
  if (!config.ok()) {
    PHALANX_LOG(kError, "no API server configuration", {{"error", config.status().ToString()}});
    return 1;
  }
  if (election_ns.empty()) election_ns = config->namespace_.empty() ? "default" : config->namespace_;
  absl::StatusOr<std::unique_ptr<phalanx::kube::HttpClient>> client = phalanx::kube::HttpClient::Create(*config);
  if (!client.ok()) {
    PHALANX_LOG(kError, "cannot build API client", {{"error", client.status().ToString()}});
    return 1;
  }

  phalanx::RealClock clock;
  phalanx::controller::Metrics metrics;
  phalanx::controller::RunnerOptions runner_options;
  runner_options.workers = static_cast<int>(workers);
  runner_options.namespace_ = watch_ns;
  runner_options.metrics = &metrics;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  runner_options.reporting_instance = host;
  phalanx::controller::Runner runner(**client, runner_options);
  std::unique_ptr<phalanx::controller::ExclusiveRepairLoop> repair;
  if (exclusive_repair) {
    repair = std::make_unique<phalanx::controller::ExclusiveRepairLoop>(
        **client, phalanx::controller::ExclusiveRepairOptions{.namespace_ = watch_ns});
  }

  std::atomic<bool> leading{!leader_elect};
  std::atomic<bool> synced{false};
  auto ready = [&] { return !leading.load() || synced.load(); };

  std::unique_ptr<phalanx::controller::ProbeServer> health, metrics_server;
  // The same fixed address serves both; port 0 means two servers on two free ports.
  absl::StatusOr<std::pair<std::string, int>> health_bind = ParseBindAddress(health_address);
  bool shared = health_address == metrics_address && health_bind.ok() && health_bind->second != 0;
  if (health_address != "0") {
    health = std::make_unique<phalanx::controller::ProbeServer>(
        phalanx::controller::ProbeServerOptions{true, shared, &metrics, ready});
    absl::StatusOr<int> port = health->Start(health_address);
    if (!port.ok()) {
      PHALANX_LOG(kError, "health probes", {{"error", port.status().ToString()}});
      return 1;
    }
    std::printf("health probes on %s:%d\n", ParseBindAddress(health_address)->first.c_str(), *port);
    std::fflush(stdout);
  }
  if (metrics_address != "0" && !(shared && health)) {
    metrics_server = std::make_unique<phalanx::controller::ProbeServer>(
        phalanx::controller::ProbeServerOptions{false, true, &metrics, nullptr});
    absl::StatusOr<int> port = metrics_server->Start(metrics_address);
    if (!port.ok()) {
      PHALANX_LOG(kError, "metrics", {{"error", port.status().ToString()}});
      return 1;
    }
    std::printf("metrics on %s:%d\n", ParseBindAddress(metrics_address)->first.c_str(), *port);
    std::fflush(stdout);
  }

  absl::Notification done;
  std::atomic<bool> shutting_down{false};
  int exit_code = 0;
  auto start_runner = [&] {
    runner.Start();
    if (repair) repair->Start();
    std::thread([&] {
      if (runner.WaitForSync(absl::Minutes(10))) {
        synced = true;
        PHALANX_LOG(kInfo, "caches synced");
      }
    }).detach();
  };

  std::unique_ptr<phalanx::kube::LeaderElector> elector;
  if (leader_elect) {
    std::random_device rd;
    phalanx::kube::LeaderElectionConfig lec;
    lec.namespace_ = election_ns;
    lec.name = "6d4f6a47.x-k8s.io";
    lec.identity = absl::StrCat(host, "_", rd());
    phalanx::kube::LeaderCallbacks callbacks;
    callbacks.on_started_leading = [&] {
      PHALANX_LOG(kInfo, "started leading", {{"identity", lec.identity}});
      leading = true;
      start_runner();
    };
    callbacks.on_stopped_leading = [&] {
      if (shutting_down) return;  // released on our own shutdown
      PHALANX_LOG(kError, "leader election lost");
      exit_code = 1;
      if (!done.HasBeenNotified()) done.Notify();
    };
    elector = std::make_unique<phalanx::kube::LeaderElector>(**client, clock, lec, callbacks);
    elector->Start();
  } else {
    start_runner();
  }

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    PHALANX_LOG(kInfo, "shutting down", {{"signal", sig}});
    if (!done.HasBeenNotified()) done.Notify();
  });
  done.WaitForNotification();
  shutting_down = true;
  runner.Stop();
  if (repair) repair->Stop();
  if (elector) elector->Stop();
  if (health) health->Stop();
  if (metrics_server) metrics_server->Stop();
  if (exit_code != 0) {
    // Lost the lease: leave now (the waiter thread is blocked in sigwait).
    std::fflush(nullptr);
    _exit(exit_code);
  }
  waiter.join();
  return 0;
}
