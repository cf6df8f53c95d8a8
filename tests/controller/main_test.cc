// Starts the real phalanx-controller binary against a MemoryApiServer (HTTP) with the emulated Job
// controller running on the same MemoryCluster: leader election, a JobSet run to completion, /metrics,
// /healthz, SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/jobset_codec.h"
#include "controller/conditions.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "sim/job_controller.h"
#include "tests/controller/reconcile_test_util.h"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::controller {
namespace {

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(30)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return pred();
}

// The controller binary; reads the probe and metrics ports it prints when bound to port 0.
class ControllerProcess {
 public:
  explicit ControllerProcess(const std::vector<std::string>& extra) : child_(Args(extra)) {
    sscanf(child_.ReadLine().c_str(), "health probes on 127.0.0.1:%d", &health_port_);
    sscanf(child_.ReadLine().c_str(), "metrics on 127.0.0.1:%d", &metrics_port_);
  }
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_port_; }
  int Terminate() { return child_.Terminate(); }

 private:
  static std::vector<std::string> Args(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {phalanx::testing::BinaryDir() + "/controller/phalanx-controller",
                                     "--health-probe-bind-address=127.0.0.1:0",
                                     "--metrics-bind-address=127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  phalanx::testing::ChildProcess child_;
  int health_port_ = 0;
  int metrics_port_ = 0;
};

TEST(ControllerBinaryTest, RunsAJobSetToCompletionWithLeaderElection) {
  kube::MemoryCluster cluster;
  kube::MemoryApiServer server(cluster);
  ASSERT_OK(server.Start(0));
  sim::JobController jobs(cluster);
  jobs.Start();

  char dir_template[] = "/tmp/phalanx-controller-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string kubeconfig = std::string(dir_template) + "/kubeconfig";
  {
    std::ofstream f(kubeconfig);
    f << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " << server.url()
      << "\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
      << "    namespace: default\ncurrent-context: x\n";
  }
  ControllerProcess proc({"--kubeconfig=" + kubeconfig, "--leader-elect"});
  ASSERT_GT(proc.health_port(), 0);
  ASSERT_GT(proc.metrics_port(), 0);
  httplib::Client health("127.0.0.1", proc.health_port());
  auto h = health.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);

  ASSERT_TRUE(WaitFor([&] {
    auto lease = cluster.Get(kube::kLeases, "default", "6d4f6a47.x-k8s.io");
    return lease.ok() && absl::StrContains(lease->json, "holderIdentity");
  }));

  api::JobSet js = testing::NewJobSet({{"a", 2}});
  js.metadata.name = "bin";
  js.metadata.uid.reset();
  js.metadata.resource_version.reset();
  js.status.reset();
  ASSERT_OK(cluster.Create(kube::kJobSets, "default", api::EncodeJobSet(js)).status());
  ASSERT_TRUE(WaitFor([&] {
    return cluster.Get(kube::kJobs, "default", "bin-a-0").ok() && cluster.Get(kube::kJobs, "default", "bin-a-1").ok();
  }));
  ASSERT_TRUE(WaitFor([&] { return jobs.SucceedJob("default", "bin-a-0").ok(); }));
  ASSERT_TRUE(WaitFor([&] { return jobs.SucceedJob("default", "bin-a-1").ok(); }));
  ASSERT_TRUE(WaitFor([&] {
    auto obj = cluster.Get(kube::kJobSets, "default", "bin");
    if (!obj.ok()) return false;
    auto decoded = api::DecodeJobSet(obj->json);
    return decoded.ok() && decoded->status && JobSetFinished(*decoded->status);
  }));
  httplib::Client metrics("127.0.0.1", proc.metrics_port());
  ASSERT_TRUE(WaitFor([&] {
    auto m = metrics.Get("/metrics");
    return m && absl::StrContains(m->body, "jobset_completed_total{jobset_name=\"bin\",namespace=\"default\"} 1");
  }));
  EXPECT_EQ(health.Get("/readyz")->status, 200);
  EXPECT_EQ(proc.Terminate(), 0);
  jobs.Stop();
  server.Stop();
}

}  // namespace
}  // namespace phalanx::controller
