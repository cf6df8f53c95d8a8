// phalanx-memory-apiserver: a MemoryCluster served over HTTP on 127.0.0.1, for running the real
// binaries (and kubectl) against an in-memory API server.
//
//   phalanx-memory-apiserver [--port N] [--kubeconfig-out FILE] [--version]
//
// Prints the URL; --kubeconfig-out writes a kubeconfig pointing at it. Runs until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "common/command_line.h"
#include "common/signals.h"
#include "common/version.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"

namespace {

constexpr char kUsage[] = "usage: phalanx-memory-apiserver [--port=N] [--kubeconfig-out=FILE] [--version]\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "phalanx-memory-apiserver: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<phalanx::CommandLine> command_line =
      phalanx::ParseCommandLine(argc, argv, {"port", "kubeconfig-out"});
  if (!command_line.ok()) return Usage(std::string(command_line.status().message()));
  if (command_line->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", phalanx::VersionLine("phalanx-memory-apiserver").c_str());
    return 0;
  }
  int port = 0;
  std::string kubeconfig_out;
  for (const auto& [name, value] : command_line->flags) {
    if (name == "port") {
      if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) return Usage("bad --port");
    } else if (name == "kubeconfig-out") {
      kubeconfig_out = value;
    }
  }
  sigset_t signals = phalanx::BlockTerminationSignals();
  phalanx::kube::MemoryClusterOptions options;
  options.graceful_pod_deletion = true;
  phalanx::kube::MemoryCluster cluster(options);
  phalanx::kube::MemoryApiServer server(cluster);
  if (absl::Status s = server.Start(port); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    std::ofstream out(kubeconfig_out);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: memory\nclusters:\n- name: memory\n  cluster:\n"
        << "    server: " << server.url() << "\ncontexts:\n- name: memory\n  context: {cluster: memory, user: memory}\n"
        << "users:\n- name: memory\n  user: {}\n";
  }
  std::printf("%s\n", server.url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  server.Stop();
  return 0;
}
