// The real phalanx-controller process against a real phalanx-memory-apiserver process, at cluster scale:
//   controller_scale [--jobs=N] [--jobs-per-jobset=K] [--managed-fields=true|false] [--steady=R]
//                    [--controller=PATH]
// (defaults 10000, 10000, true, 20; binaries from the build tree, PHALANX_BINARY_DIR overrides it;
// --controller measures another phalanx-controller binary, e.g. one built from an older commit).
//  1. The controller's idle resident memory: synced against an empty namespace.
//  2. N/K suspended JobSets of K child Jobs each, created through the API as the controller itself
//     would create them (api::Expand), each Job carrying the managedFields a real API server records
//     (copied from the captured fixture get-job-owned-by-jobset.json) unless --managed-fields=false.
//  3. The controller started with all of them there: RSS once its informers synced (/readyz), and after
//     a full reconcile pass (every JobSet reconciled, the reconcile count then still for a second);
//     bytes per cached Job = (RSS − idle RSS) / N, next to the Jobs' JSON size as the server serves it.
//  4. First reconcile of a new suspended JobSet of K Jobs (K creations) and R steady reconciles of it
//     (each triggered by an annotation change; nothing to do): the controller's own reconcile duration
//     histogram (sum/count deltas, wall time in the worker) and its process CPU time (/proc/<pid>/stat,
//     which also counts the informer threads handling the events).
// Prints one "name value" line per number. Not a unit test: numbers depend on the machine.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/expand.h"
#include "api/job_codec.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/process_metrics.h"
#include "common/strings.h"
#include "controller/runner.h"
#include "httplib.h"
#include "kube/config.h"
#include "kube/http_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"

namespace {

using phalanx::testing::ChildProcess;
using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "controller_scale: %s\n", why.c_str());
  std::exit(1);
}

int64_t ChildRss(pid_t pid) {
  int64_t bytes = 0;
  if (!phalanx::ParseStatmResidentBytes(ReadAll(absl::StrCat("/proc/", pid, "/statm")), sysconf(_SC_PAGESIZE),
                                        &bytes)) {
    return 0;
  }
  return bytes;
}

// utime + stime of a process, in seconds.
double ChildCpuSeconds(pid_t pid) {
  std::string stat = ReadAll(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) return 0;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

// The JobSet: one replicated job of `replicas` suspended Jobs, a training-style pod template.
std::string JobSetJson(const std::string& name, int replicas) {
  nlohmann::json container = {
      {"name", "trainer"},
      {"image", "us-docker.pkg.dev/example/trainer:2026.12"},
      {"command", {"python3", "-m", "train", "--config=/etc/train/config.yaml"}},
      {"env", {{{"name", "JAX_PLATFORMS"}, {"value", "tpu"}}, {{"name", "LOG_LEVEL"}, {"value", "info"}}}},
      {"ports", {{{"containerPort", 8471}, {"name", "coordinator"}}}},
      {"resources", {{"requests", {{"cpu", "8"}, {"memory", "64Gi"}, {"google.com/tpu", "4"}}},
                     {"limits", {{"google.com/tpu", "4"}}}}},
      {"volumeMounts", {{{"name", "config"}, {"mountPath", "/etc/train"}}}}};
  nlohmann::json js = {
      {"apiVersion", "jobset.x-k8s.io/v1alpha2"},
      {"kind", "JobSet"},
      {"metadata", {{"name", name}, {"namespace", "default"}}},
      {"spec",
       {{"suspend", true},
        {"replicatedJobs",
         {{{"name", "workers"},
           {"replicas", replicas},
           {"template",
            {{"spec",
              {{"parallelism", 1},
               {"completions", 1},
               {"backoffLimit", 0},
               {"template",
                {{"spec",
                  {{"restartPolicy", "Never"},
                   {"containers", {container}},
                   {"volumes", {{{"name", "config"}, {"configMap", {{"name", "train-config"}}}}}},
                   {"nodeSelector", {{"cloud.google.com/gke-tpu-topology", "2x2"}}}}}}}}}}}}}}}}};
  return js.dump();
}

struct Metrics {
  double sum = 0;
  int64_t count = 0;
};

Metrics ReadMetrics(httplib::Client& http) {
  Metrics m;
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return m;
  for (absl::string_view line : absl::StrSplit(res->body, '\n')) {
    if (absl::ConsumePrefix(&line, "phalanx_controller_reconcile_duration_seconds_sum ")) {
      (void)absl::SimpleAtod(line, &m.sum);
    } else if (absl::ConsumePrefix(&line, "phalanx_controller_reconcile_duration_seconds_count ")) {
      (void)absl::SimpleAtoi(line, &m.count);
    }
  }
  return m;
}

class Controller {
 public:
  Controller(const std::string& binary, const std::string& kubeconfig, const std::string& ns)
      : child_({binary, "--kubeconfig=" + kubeconfig,
                "--namespace=" + ns, "--kube-api-qps=100000", "--kube-api-burst=100000",
                "--health-probe-bind-address=127.0.0.1:0", "--metrics-bind-address=127.0.0.1:0"}) {
    int health = 0, metrics = 0;
    sscanf(child_.ReadLine().c_str(), "health probes on 127.0.0.1:%d", &health);
    sscanf(child_.ReadLine().c_str(), "metrics on 127.0.0.1:%d", &metrics);
    if (health == 0 || metrics == 0) Die("phalanx-controller did not start");
    health_ = std::make_unique<httplib::Client>("127.0.0.1", health);
    metrics_ = std::make_unique<httplib::Client>("127.0.0.1", metrics);
    metrics_->set_read_timeout(60, 0);
  }
  ~Controller() { child_.Terminate(); }
  bool Ready() {
    auto r = health_->Get("/readyz");
    return r && r->status == 200;
  }
  Metrics Reconciles() { return ReadMetrics(*metrics_); }
  int64_t Rss() { return ChildRss(child_.pid()); }
  double Cpu() { return ChildCpuSeconds(child_.pid()); }
  // Waits until the reconcile count reaches `at_least` and then stays still for `quiet`.
  Metrics Settle(int64_t at_least, std::chrono::milliseconds quiet) {
    Metrics m = Reconciles();
    auto still_since = Clock::now();
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      Metrics now = Reconciles();
      if (now.count != m.count) still_since = Clock::now();
      m = now;
      if (m.count >= at_least && Clock::now() - still_since >= quiet) return m;
    }
  }

 private:
  ChildProcess child_;
  std::unique_ptr<httplib::Client> health_;
  std::unique_ptr<httplib::Client> metrics_;
};

void Print(const char* name, double v) { std::printf("%-44s %.3f\n", name, v); }
void Print(const char* name, int64_t v) { std::printf("%-44s %lld\n", name, static_cast<long long>(v)); }

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 10000, per = 10000, steady = 20;
  bool managed_fields = true;
  std::string controller = phalanx::testing::BinaryDir() + "/controller/phalanx-controller";
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--jobs=") && absl::SimpleAtoi(a, &n) && n > 0) continue;
    if (absl::ConsumePrefix(&a, "--jobs-per-jobset=") && absl::SimpleAtoi(a, &per) && per > 0) continue;
    if (absl::ConsumePrefix(&a, "--steady=") && absl::SimpleAtoi(a, &steady) && steady > 0) continue;
    if (absl::ConsumePrefix(&a, "--managed-fields=") && absl::SimpleAtob(a, &managed_fields)) continue;
    if (absl::ConsumePrefix(&a, "--controller=") && !a.empty()) {
      controller = std::string(a);
      continue;
    }
    Die("usage: controller_scale [--jobs=N] [--jobs-per-jobset=K] [--managed-fields=true|false] [--steady=R] "
        "[--controller=PATH]");
  }
  char dir[] = "/tmp/phalanx-controller-scale-XXXXXX";
  if (mkdtemp(dir) == nullptr) Die("mkdtemp");
  const std::string kubeconfig = std::string(dir) + "/kubeconfig";
  ChildProcess apiserver({phalanx::testing::BinaryDir() + "/kube/phalanx-memory-apiserver", "--port=0",
                          "--kubeconfig-out=" + kubeconfig});
  if (apiserver.ReadLine().empty()) Die("phalanx-memory-apiserver did not start");
  auto config = phalanx::kube::LoadKubeconfig(kubeconfig);
  if (!config.ok()) Die(config.status().ToString());
  config->qps = 0;  // unthrottled
  config->burst = 0;
  auto client = phalanx::kube::HttpClient::Create(*config);
  if (!client.ok()) Die(client.status().ToString());
  phalanx::kube::Client& api = **client;

  // 1. Idle.
  int64_t idle_rss = 0;
  {
    Controller idle(controller, kubeconfig, "empty");
    if (!WaitFor([&] { return idle.Ready(); }, std::chrono::seconds(30))) Die("idle controller never ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    idle_rss = idle.Rss();
  }

  // 2. The objects.
  nlohmann::json managed;
  if (managed_fields) {
    auto fixture = nlohmann::json::parse(
        ReadAll(phalanx::testing::FixturesDir() + "/api/get-job-owned-by-jobset.json"), nullptr, false);
    if (fixture.is_discarded() || !fixture["metadata"].contains("managedFields")) Die("fixture has no managedFields");
    managed = fixture["metadata"]["managedFields"];
  }
  auto create_jobset = [&](const std::string& name, int64_t replicas) {
    auto created = api.Create(phalanx::kube::kJobSets, "default", JobSetJson(name, static_cast<int>(replicas)));
    if (!created.ok()) Die(created.status().ToString());
    auto js = phalanx::api::DecodeJobSet(created->json);
    if (!js.ok()) Die(js.status().ToString());
    return *std::move(js);
  };
  const auto t_load = Clock::now();
  int64_t jobsets = 0;
  for (int64_t made = 0; made < n; made += per, ++jobsets) {
    const int64_t k = std::min(per, n - made);
    phalanx::api::JobSet js = create_jobset(absl::StrCat("scale-", jobsets), k);
    auto expansion = phalanx::api::Expand(js, 0);
    if (!expansion.ok()) Die(expansion.status().ToString());
    absl::Status st = phalanx::controller::ParallelFor(expansion->jobs.size(), 16, [&](size_t i) -> absl::Status {
      std::string body = phalanx::api::EncodeJob(expansion->jobs[i]);
      if (managed_fields) {
        auto j = nlohmann::json::parse(body);
        j["metadata"]["managedFields"] = managed;
        body = j.dump();
      }
      return api.Create(phalanx::kube::kJobs, "default", body).status();
    });
    if (!st.ok()) Die(st.ToString());
    if (expansion->service) {
      (void)api.Create(phalanx::kube::kServices, "default", phalanx::api::EncodeService(*expansion->service));
    }
  }
  auto listed = api.List(phalanx::kube::kJobs, "default", {});
  if (!listed.ok()) Die(listed.status().ToString());
  int64_t json_bytes = 0;
  for (const auto& o : listed->items) json_bytes += o.json.size();
  Print("jobs", static_cast<int64_t>(listed->items.size()));
  Print("jobsets", jobsets);
  Print("load_seconds", std::chrono::duration<double>(Clock::now() - t_load).count());
  Print("job_json_bytes_avg", json_bytes / std::max<int64_t>(1, listed->items.size()));
  Print("controller_idle_rss_bytes", idle_rss);

  // 3. The controller with everything there.
  Controller ctl(controller, kubeconfig, "default");
  const auto t_start = Clock::now();
  int64_t peak_rss = 0;
  if (!WaitFor([&] { return peak_rss = std::max(peak_rss, ctl.Rss()), ctl.Ready(); }, std::chrono::minutes(10),
               std::chrono::milliseconds(5))) {
    Die("controller never ready");
  }
  const int64_t synced_rss = ctl.Rss();
  Print("peak_rss_during_sync_bytes", peak_rss);
  Print("sync_seconds", std::chrono::duration<double>(Clock::now() - t_start).count());
  Print("rss_after_sync_bytes", synced_rss);
  Print("bytes_per_job_after_sync", (synced_rss - idle_rss) / n);
  Metrics pass = ctl.Settle(jobsets, std::chrono::seconds(1));
  const int64_t reconciled_rss = ctl.Rss();
  Print("rss_after_reconcile_pass_bytes", reconciled_rss);
  Print("bytes_per_job_after_reconcile_pass", (reconciled_rss - idle_rss) / n);
  Print("rss_per_job_json_ratio", double(reconciled_rss - idle_rss) / double(json_bytes));
  Print("reconcile_pass_count", pass.count);

  // 4. First and steady reconciles of a new JobSet of `per` Jobs.
  double cpu0 = ctl.Cpu();
  Metrics before = ctl.Reconciles();
  create_jobset("scale-new", per);
  Metrics first = before;
  if (!WaitFor([&] { return (first = ctl.Reconciles()).count > before.count; }, std::chrono::minutes(5),
               std::chrono::milliseconds(2))) {
    Die("no first reconcile");
  }
  Print("first_reconcile_seconds", (first.sum - before.sum) / double(first.count - before.count));
  Print("first_reconcile_observed_together", first.count - before.count);
  // Steady means every Job exists: wait for all of them (a failed first reconcile is retried).
  auto jobs_of_new = [&] {
    auto list = api.List(phalanx::kube::kJobs, "default",
                         {.label_selector = absl::StrCat(phalanx::AsAbsl(phalanx::api::kJobSetNameKey), "=scale-new")});
    return list.ok() ? static_cast<int64_t>(list->items.size()) : -1;
  };
  if (!WaitFor([&] { return jobs_of_new() == per; }, std::chrono::minutes(5), std::chrono::milliseconds(500))) {
    Die("the new JobSet's Jobs were not all created");
  }
  Metrics settled = ctl.Settle(first.count, std::chrono::seconds(1));
  Print("create_and_settle_cpu_seconds", ctl.Cpu() - cpu0);
  Print("create_and_settle_reconciles", settled.count - before.count);
  Print("rss_with_new_jobset_bytes", ctl.Rss());

  double cpu1 = ctl.Cpu();
  Metrics s0 = settled;
  for (int64_t i = 0; i < steady; ++i) {
    Metrics at = ctl.Reconciles();
    auto patched = api.Patch(phalanx::kube::kJobSets, "default", "scale-new", phalanx::kube::PatchType::kMerge,
                             absl::StrCat(R"({"metadata":{"annotations":{"bench/touch":")", i, R"("}}})"));
    if (!patched.ok()) Die(patched.status().ToString());
    // Polled every 10 ms: each /metrics read costs the controller CPU that would count as the reconcile's.
    if (!WaitFor([&] { return ctl.Reconciles().count > at.count; }, std::chrono::seconds(30),
                 std::chrono::milliseconds(10))) {
      Die("no steady reconcile");
    }
  }
  Metrics s1 = ctl.Settle(s0.count + steady, std::chrono::milliseconds(500));
  Print("steady_reconcile_seconds", (s1.sum - s0.sum) / double(s1.count - s0.count));
  Print("steady_reconciles", s1.count - s0.count);
  Print("steady_cpu_seconds_per_reconcile", (ctl.Cpu() - cpu1) / double(s1.count - s0.count));
  apiserver.Terminate();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
