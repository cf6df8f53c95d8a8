// Bytes per stored pod in kube::MemoryCluster (the simulator keeps ~100,000 pods there):
//   memory_cluster_memory [--pods=N] [--pod=FILE]
// FILE (default: the captured Job pod fixtures/k8s-v1.36/api/get-job-pod-index0.json, without its
// server-set uid and resourceVersion) is created N times under distinct names; prints the resident
// memory added per pod next to the pod's JSON size, and the time per Create and per Get. RSS is the
// process's (/proc/self/statm), so numbers are for comparing builds, not exact.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/process_metrics.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"

int main(int argc, char** argv) {
  int64_t n = 100000;
  std::string file = "/work/shared/fixtures/k8s-v1.36/api/get-job-pod-index0.json";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--pods=", 0) == 0 && absl::SimpleAtoi(a.substr(7), &n) && n > 0) continue;
    if (a.rfind("--pod=", 0) == 0) {
      file = a.substr(6);
      continue;
    }
    std::fprintf(stderr, "usage: memory_cluster_memory [--pods=N] [--pod=FILE]\n");
    return 2;
  }
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json pod = nlohmann::json::parse(text.str(), nullptr, false);
  if (pod.is_discarded() || !pod.is_object() || !pod["metadata"].is_object()) {
    std::fprintf(stderr, "memory_cluster_memory: %s: not a pod\n", file.c_str());
    return 1;
  }
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generateName"}) pod["metadata"].erase(f);
  const std::string ns = pod["metadata"].value("namespace", "default");

  phalanx::kube::MemoryClusterOptions options;
  options.history_limit = 1000;  // the watch history holds the latest versions; keep it out of the count
  phalanx::kube::MemoryCluster cluster(options);
  int64_t json_bytes = 0;
  const int64_t rss0 = phalanx::ResidentMemoryBytes();
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    pod["metadata"]["name"] = absl::StrCat("pod-", i);
    absl::StatusOr<phalanx::kube::Object> created = cluster.Create(phalanx::kube::kPods, ns, pod.dump());
    if (!created.ok()) {
      std::fprintf(stderr, "memory_cluster_memory: %s\n", created.status().ToString().c_str());
      return 1;
    }
    json_bytes += created->json.size();
  }
  auto t1 = std::chrono::steady_clock::now();
  const int64_t rss1 = phalanx::ResidentMemoryBytes();
  for (int64_t i = 0; i < n; ++i) {
    if (!cluster.Get(phalanx::kube::kPods, ns, absl::StrCat("pod-", i)).ok()) return 1;
  }
  auto t2 = std::chrono::steady_clock::now();
  auto us = [&](auto d) { return std::chrono::duration<double, std::micro>(d).count() / double(n); };
  std::printf("pods                      %lld\n", static_cast<long long>(n));
  std::printf("json bytes per pod        %lld\n", static_cast<long long>(json_bytes / n));
  std::printf("stored bytes per pod      %lld (%.1fx json)\n", static_cast<long long>((rss1 - rss0) / n),
              double(rss1 - rss0) / double(json_bytes));
  std::printf("create us per pod         %.1f\n", us(t1 - t0));
  std::printf("get us per pod            %.1f\n", us(t2 - t1));
  return 0;
}
