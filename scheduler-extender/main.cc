// phalanx-extender: the kube-scheduler extender and gang planner.
//
//   phalanx-extender [--kubeconfig=FILE] [--port=8888] [--bind-address=0.0.0.0] [--url-prefix=/scheduler]
//                    [--tls-cert-file=FILE --tls-private-key-file=FILE [--client-ca-file=FILE]]
//                    [--health-probe-bind-address=HOST:PORT|0] [--leader-elect[=true|false]]
//                    [--leader-election-namespace=NS] [--kube-api-qps=2000] [--kube-api-burst=4000]
//                    [--topology=KEY1,KEY2,...]... [--topology-file=FILE] [--starvation-bound=DURATION]
//                    [--allow-non-jobset-pods-in-reserved-domains] [--pin-workers=16] [-v]
//                    [--fence-reserved-domains] [--max-request-bytes=N] [--read-timeout=DURATION]
//
// Without --kubeconfig the in-cluster service account is used. Every replica answers /filter and
// /prioritize from its own caches; with --leader-elect only the holder of the Lease `phalanx-extender`
// plans (reserves, records, ungates and pins). Topology chains (coarse → fine node label keys) come from
// --topology, --topology-file and, when the CRD is installed, Kueue Topology objects read at start.
// With --fence-reserved-domains the planner taints the nodes of reserved domains
// phalanx.dev/reserved=<JobSet uid>:NoSchedule and pins members with the matching toleration
// (scheduler-extender/fencing.h): pods of another scheduler cannot land there.
// Prints "listening on HOST:PORT" on stdout once bound (port 0 = any). Stops on SIGTERM/SIGINT.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/command_line.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "kube/leader_election.h"
#include "scheduler-extender/caches.h"
#include "scheduler-extender/fencing.h"
#include "scheduler-extender/handler.h"
#include "scheduler-extender/metrics.h"
#include "scheduler-extender/planner.h"
#include "scheduler-extender/server.h"
#include "scheduler-extender/state.h"
#include "scheduler-extender/topology_config.h"

namespace {

constexpr char kUsage[] =
    "usage: phalanx-extender [--kubeconfig=FILE] [--port=8888] [--bind-address=0.0.0.0] [--url-prefix=/scheduler]\n"
    "       [--tls-cert-file=FILE --tls-private-key-file=FILE [--client-ca-file=FILE]]\n"
    "       [--health-probe-bind-address=HOST:PORT|0] [--leader-elect[=true|false]] [--leader-election-namespace=NS]\n"
    "       [--kube-api-qps=2000] [--kube-api-burst=4000] [--topology=KEY1,KEY2,...]... [--topology-file=FILE]\n"
    "       [--starvation-bound=10m] [--allow-non-jobset-pods-in-reserved-domains] [--pin-workers=16] [-v]\n"
    "       [--fence-reserved-domains] [--max-request-bytes=268435456] [--read-timeout=10s] [--version]\n";

// Kueue's topology levels, when the CRD is installed.
constexpr phalanx::kube::Resource kKueueTopologies{"kueue.x-k8s.io", "v1beta2", "topologies", "Topology",
                                                   false, false, ""};
constexpr phalanx::kube::Resource kKueueTopologiesV1beta1 = {"kueue.x-k8s.io", "v1beta1", "topologies", "Topology",
                                                             false, false, ""};

int Usage(const std::string& error) {
  std::fprintf(stderr, "phalanx-extender: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace ext = phalanx::extender;
  std::string kubeconfig;
  bool leader_elect = false;
  bool allow_non_jobset = false;
  bool fence = false;
  std::string election_ns;
  double qps = 2000;
  int64_t burst = 4000;
  int64_t pin_workers = 16;
  std::vector<std::string> topology_flags;
  std::string topology_file;
  absl::Duration starvation = absl::Minutes(10);
  ext::ServerOptions server_options;
  absl::StatusOr<phalanx::CommandLine> command_line = phalanx::ParseCommandLine(
      argc, argv,
      {"kubeconfig", "port", "bind-address", "url-prefix", "tls-cert-file", "tls-private-key-file", "client-ca-file",
       "health-probe-bind-address", "leader-election-namespace", "kube-api-qps", "kube-api-burst", "pin-workers",
       "topology", "topology-file", "starvation-bound", "max-request-bytes", "read-timeout"},
      {"leader-elect", "allow-non-jobset-pods-in-reserved-domains", "fence-reserved-domains"});
  if (!command_line.ok()) return Usage(std::string(command_line.status().message()));
  if (command_line->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", phalanx::VersionLine("phalanx-extender").c_str());
    return 0;
  }
  if (command_line->verbose) phalanx::log::SetMinLevel(phalanx::log::Level::kDebug);
  for (const auto& [name, value] : command_line->flags) {
    if (name == "leader-elect") {
      leader_elect = value == "true";
    } else if (name == "allow-non-jobset-pods-in-reserved-domains") {
      allow_non_jobset = value == "true";
    } else if (name == "fence-reserved-domains") {
      fence = value == "true";
    } else if (name == "kubeconfig") {
      kubeconfig = value;
    } else if (name == "port") {
      if (!absl::SimpleAtoi(value, &server_options.port) || server_options.port < 0 || server_options.port > 65535) {
        return Usage("bad --port");
      }
    } else if (name == "bind-address") {
      server_options.bind_address = value;
    } else if (name == "url-prefix") {
      server_options.url_prefix = value;
    } else if (name == "tls-cert-file") {
      server_options.tls_cert_file = value;
    } else if (name == "tls-private-key-file") {
      server_options.tls_private_key_file = value;
    } else if (name == "client-ca-file") {
      server_options.client_ca_file = value;
    } else if (name == "health-probe-bind-address") {
      server_options.health_probe_bind_address = value;
    } else if (name == "leader-election-namespace") {
      election_ns = value;
    } else if (name == "kube-api-qps") {
      if (!absl::SimpleAtod(value, &qps) || qps < 0) return Usage("bad --kube-api-qps");
    } else if (name == "kube-api-burst") {
      if (!absl::SimpleAtoi(value, &burst) || burst < 0) return Usage("bad --kube-api-burst");
    } else if (name == "pin-workers") {
      if (!absl::SimpleAtoi(value, &pin_workers) || pin_workers < 1) return Usage("bad --pin-workers");
    } else if (name == "topology") {
      topology_flags.push_back(value);
    } else if (name == "topology-file") {
      topology_file = value;
    } else if (name == "max-request-bytes") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1024) return Usage("bad --max-request-bytes (at least 1024)");
      server_options.max_request_bytes = static_cast<size_t>(n);
    } else if (name == "read-timeout") {
      if (!absl::ParseDuration(value, &server_options.read_timeout) ||
          server_options.read_timeout < absl::Seconds(1)) {
        return Usage("bad --read-timeout (at least 1s, e.g. 10s)");
      }
    } else if (name == "starvation-bound") {
      if (!absl::ParseDuration(value, &starvation) || starvation < absl::ZeroDuration()) {
        return Usage("bad --starvation-bound (e.g. 10m, 90s)");
      }
    }
  }

  // Bad topology flags or file are usage errors: check them before touching the API.
  ext::TopologySources sources;
  sources.flags = topology_flags;
  sources.file = topology_file;
  if (absl::StatusOr<phalanx::placement::TopologyConfig> t = ext::BuildTopology(sources); !t.ok()) {
    return Usage(std::string(t.status().message()));
  }

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

  // Topology chains: flags, file, then Kueue Topology objects.
  for (const phalanx::kube::Resource& r : {kKueueTopologies, kKueueTopologiesV1beta1}) {
    absl::StatusOr<phalanx::kube::ObjectList> kueue = (*client)->List(r, "", {});
    if (kueue.ok()) {
      for (const phalanx::kube::Object& o : kueue->items) sources.kueue_topologies.push_back(o.json);
      break;  // one served version lists every object
    }
    if (!absl::IsNotFound(kueue.status())) {
      PHALANX_LOG(kWarning, "Kueue Topology objects not read", {{"error", kueue.status().ToString()}});
    }
  }
  absl::StatusOr<phalanx::placement::TopologyConfig> topology = ext::BuildTopology(sources);
  if (!topology.ok()) {
    std::fprintf(stderr, "phalanx-extender: %s\n", std::string(topology.status().message()).c_str());
    return 2;
  }

  ext::StateOptions state_options;
  state_options.topology = *topology;
  state_options.queue.starvation_bound = starvation;
  state_options.filter.allow_non_jobset_pods_in_reserved_domains = allow_non_jobset;
  state_options.fence_reserved_domains = fence;
  ext::ExtenderState state(state_options);
  if (leader_elect) state.SetLeading(false);  // until the Lease is ours
  ext::Metrics metrics;
  metrics.SetCounts([&state] { return state.Counts(); });
  phalanx::RealClock clock;

  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::unique_ptr<ext::Caches> caches;
  ext::PlannerOptions planner_options;
  planner_options.pin_workers = static_cast<int>(pin_workers);
  planner_options.reporting_instance = host;
  std::unique_ptr<ext::Fencer> fencer;
  if (fence) {
    fencer = std::make_unique<ext::Fencer>(**client);
    planner_options.fencer = fencer.get();
  }
  std::atomic<bool> synced{false};
  ext::Planner planner(**client, state, clock, metrics, [&synced] { return synced.load(); }, planner_options);
  ext::CachesOptions caches_options;
  caches_options.on_change = [&planner] { planner.Wake(); };
  caches = std::make_unique<ext::Caches>(**client, state, caches_options);

  ext::Handler handler(state, metrics);
  absl::StatusOr<std::unique_ptr<ext::Server>> server =
      ext::Server::Start(server_options, handler, metrics, [&synced] { return synced.load(); });
  if (!server.ok()) {
    PHALANX_LOG(kError, "cannot serve", {{"error", server.status().ToString()}});
    return 1;
  }
  std::printf("listening on %s:%d\n", server_options.bind_address.c_str(), (*server)->port());
  if ((*server)->probe_port() > 0) std::printf("health probes on port %d\n", (*server)->probe_port());
  std::fflush(stdout);
  PHALANX_LOG(kInfo, "extender starting",
              {{"version", phalanx::Version()}, {"commit", phalanx::GitCommit()},
               {"port", (*server)->port()}, {"prefix", server_options.url_prefix},
               {"topology_chains", topology->chains.size()}, {"leader_elect", leader_elect ? "true" : "false"}});

  caches->Start();
  if (fencer) fencer->Start();
  planner.Start();
  std::thread sync_waiter([&] {
    if (caches->WaitForSync(absl::Hours(24))) {
      synced = true;
      PHALANX_LOG(kInfo, "caches synced");
      planner.Wake();
    }
  });
  sync_waiter.detach();

  absl::Notification done;
  std::atomic<bool> shutting_down{false};
  int exit_code = 0;
  std::unique_ptr<phalanx::kube::LeaderElector> elector;
  if (leader_elect) {
    std::random_device rd;
    phalanx::kube::LeaderElectionConfig lec;
    lec.namespace_ = election_ns;
    lec.name = "phalanx-extender";
    lec.identity = absl::StrCat(host, "_", rd());
    phalanx::kube::LeaderCallbacks callbacks;
    callbacks.on_started_leading = [&] {
      PHALANX_LOG(kInfo, "started leading", {{"identity", lec.identity}});
      metrics.SetLeader(true);
      planner.SetLeading(true);
    };
    callbacks.on_stopped_leading = [&] {
      planner.SetLeading(false);
      metrics.SetLeader(false);
      if (shutting_down) return;
      // Another replica plans now; this one keeps answering /filter from its caches.
      PHALANX_LOG(kWarning, "stopped leading; serving /filter only");
    };
    elector = std::make_unique<phalanx::kube::LeaderElector>(**client, clock, lec, callbacks);
    elector->Start();
  } else {
    metrics.SetLeader(true);
    planner.SetLeading(true);
  }

  std::thread serve([&] {
    absl::Status s = (*server)->Run();
    if (!s.ok()) {
      PHALANX_LOG(kError, "server stopped", {{"error", s.ToString()}});
      exit_code = 1;
      if (!done.HasBeenNotified()) done.Notify();
    }
  });
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    PHALANX_LOG(kInfo, "shutting down", {{"signal", sig}});
    if (!done.HasBeenNotified()) done.Notify();
  });
  done.WaitForNotification();
  shutting_down = true;
  (*server)->Stop();
  serve.join();
  planner.Stop();
  if (elector) elector->Stop();
  caches->Stop();
  if (fencer) fencer->Stop();
  std::fflush(nullptr);
  _exit(exit_code);  // the waiter thread may still sit in sigwait
}
