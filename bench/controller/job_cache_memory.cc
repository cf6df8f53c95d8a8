// Bytes per cached Job on the controller's path, in one process, without an API server:
//   job_cache_memory [--jobs=N] [--job=FILE] [--runner]
// FILE (default: the captured child Job of a JobSet, fixtures/k8s-v1.36/api/get-job-owned-by-jobset.json)
// is copied N times (distinct names and uids), then held the way phalanx-controller holds Jobs:
//   informer  kube::Object per Job as parsed from the wire (ParseObject), without managedFields (the
//             informers' default), cached as the Job informer caches it (controller::KeepJobIdentity);
//   runner    an api::Job decoded per Job (Runner::OnJob keeps one per owner).
// Prints the resident memory added by each stage per Job, next to the Job's JSON size. RSS is the
// process's (/proc/self/statm), so run it alone; numbers are for comparing builds, not exact.
// With --runner, instead: the Jobs are stored in a kube::MemoryCluster and a controller::Runner syncs
// its informers from it and reconciles (Runner::Step, on this thread); prints the resident memory the
// runner added per Job once done, and its high-water mark (getrusage) during the sync.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/job.h"
#include "api/job_codec.h"
#include "common/process_metrics.h"
#include "controller/runner.h"
#include "kube/informer.h"
#include "kube/memory_cluster.h"
#include "kube/object.h"
#include "kube/resource.h"

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int64_t MaxRss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

int RunRunner(const std::vector<std::string>& texts, int64_t json_bytes) {
  const int64_t n = static_cast<int64_t>(texts.size());
  phalanx::kube::MemoryClusterOptions options;
  options.history_limit = 100;
  phalanx::kube::MemoryCluster cluster(options);
  for (const std::string& t : texts) {
    absl::StatusOr<phalanx::kube::Object> o = phalanx::kube::ParseObject(t);
    if (!o.ok()) return 1;
    absl::StatusOr<phalanx::kube::Object> created = cluster.Create(phalanx::kube::kJobs, o->meta.namespace_, t);
    if (!created.ok()) {
      std::fprintf(stderr, "job_cache_memory: %s\n", created.status().ToString().c_str());
      return 1;
    }
  }
  const int64_t rss0 = phalanx::ResidentMemoryBytes();
  const int64_t max0 = MaxRss();
  phalanx::controller::RunnerOptions ro;
  phalanx::controller::Runner runner(cluster, ro);
  runner.Step();
  const int64_t rss1 = phalanx::ResidentMemoryBytes();
  std::printf("jobs                      %lld\n", static_cast<long long>(n));
  std::printf("json bytes per job        %lld\n", static_cast<long long>(json_bytes / n));
  std::printf("runner bytes per job      %lld (%.1fx json)\n", static_cast<long long>((rss1 - rss0) / n),
              double(rss1 - rss0) / double(json_bytes));
  std::printf("sync peak bytes per job   %lld\n", static_cast<long long>((std::max(MaxRss(), max0) - rss0) / n));
  return 0;
}

int main(int argc, char** argv) {
  int64_t n = 10000;
  bool runner_mode = false;
  std::string file = "/work/shared/fixtures/k8s-v1.36/api/get-job-owned-by-jobset.json";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--jobs=", 0) == 0 && absl::SimpleAtoi(a.substr(7), &n) && n > 0) continue;
    if (a == "--runner") {
      runner_mode = true;
      continue;
    }
    if (a.rfind("--job=", 0) == 0) {
      file = a.substr(6);
      continue;
    }
    std::fprintf(stderr, "usage: job_cache_memory [--jobs=N] [--job=FILE] [--runner]\n");
    return 2;
  }
  const std::string text = ReadAll(file);
  absl::StatusOr<phalanx::kube::Object> probe = phalanx::kube::ParseObject(text);
  if (text.empty() || !probe.ok()) {
    std::fprintf(stderr, "job_cache_memory: %s: not a Job object\n", file.c_str());
    return 1;
  }
  const std::string name = probe->meta.name, uid = probe->meta.uid;
  std::vector<std::string> texts;
  texts.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    // Same length for every copy, so all hold the same bytes.
    std::string suffix = absl::StrCat(1000000 + i).substr(1);
    texts.push_back(absl::StrReplaceAll(
        text, {{absl::StrCat("\"name\":\"", name, "\""), absl::StrCat("\"name\":\"", name, suffix, "\"")},
               {uid, absl::StrCat(uid.substr(0, uid.size() - suffix.size()), suffix)}}));
  }
  int64_t json_bytes = 0;
  for (const std::string& t : texts) json_bytes += t.size();
  if (runner_mode) return RunRunner(texts, json_bytes);

  const int64_t rss0 = phalanx::ResidentMemoryBytes();
  std::vector<std::shared_ptr<const phalanx::kube::Object>> informer;
  informer.reserve(n);
  const std::function<void(phalanx::kube::Object&)> transform = phalanx::controller::KeepJobIdentity;
  for (const std::string& t : texts) {
    absl::StatusOr<phalanx::kube::Object> o = phalanx::kube::ParseObject(t);
    if (!o.ok()) return 1;
    phalanx::kube::DropManagedFields(*o);
    if (transform) transform(*o);
    informer.push_back(std::make_shared<const phalanx::kube::Object>(*std::move(o)));
  }
  const int64_t rss1 = phalanx::ResidentMemoryBytes();
  std::vector<std::shared_ptr<const phalanx::api::Job>> runner;
  runner.reserve(n);
  for (const std::string& t : texts) {
    absl::StatusOr<phalanx::kube::Object> o = phalanx::kube::ParseObject(t);
    if (!o.ok()) return 1;
    phalanx::kube::DropManagedFields(*o);
    absl::StatusOr<phalanx::api::Job> j = phalanx::api::DecodeJob(o->json);
    if (!j.ok()) {
      std::fprintf(stderr, "job_cache_memory: %s\n", j.status().ToString().c_str());
      return 1;
    }
    runner.push_back(std::make_shared<const phalanx::api::Job>(*std::move(j)));
  }
  const int64_t rss2 = phalanx::ResidentMemoryBytes();
  std::printf("jobs                      %lld\n", static_cast<long long>(n));
  std::printf("json bytes per job        %lld\n", static_cast<long long>(json_bytes / n));
  std::printf("informer bytes per job    %lld\n", static_cast<long long>((rss1 - rss0) / n));
  std::printf("runner bytes per job      %lld\n", static_cast<long long>((rss2 - rss1) / n));
  std::printf("total bytes per job       %lld (%.1fx json)\n", static_cast<long long>((rss2 - rss0) / n),
              double(rss2 - rss0) / double(json_bytes));
  return 0;
}
