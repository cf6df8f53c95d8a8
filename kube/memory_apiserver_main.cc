// phalanx-memory-apiserver: a MemoryCluster served over HTTP on 127.0.0.1, for running the real
// binaries (and kubectl) against an in-memory API server.
//
//   phalanx-memory-apiserver [--port N] [--kubeconfig-out FILE] [--version]
//
// Prints the URL; --kubeconfig-out writes a kubeconfig pointing at it. Runs until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/synchronization/notification.h"
#include "common/version.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"

namespace {
absl::Notification* g_stop = nullptr;
void OnSignal(int) {
  if (g_stop != nullptr && !g_stop->HasBeenNotified()) g_stop->Notify();
}
}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string kubeconfig_out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      std::printf("%s\n", phalanx::VersionLine("phalanx-memory-apiserver").c_str());
      return 0;
    }
    if (arg == "-h" || arg == "--help") {
      std::printf("usage: %s [--port N] [--kubeconfig-out FILE] [--version]\n", argv[0]);
      return 0;
    }
    if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--kubeconfig-out" && i + 1 < argc) {
      kubeconfig_out = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--kubeconfig-out FILE] [--version]\n", argv[0]);
      return 2;
    }
  }
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
  absl::Notification stop;
  g_stop = &stop;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  stop.WaitForNotification();
  server.Stop();
  return 0;
}
