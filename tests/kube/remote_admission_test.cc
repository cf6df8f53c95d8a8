// kube/remote_admission.h: MemoryCluster calling admission webhooks over real HTTPS — the real
// phalanx-webhook binary (started as a child process, certificates made by certs/make-certs.sh into the
// build directory), and a stub HTTPS server for the answers a broken webhook gives (the API server's
// reactions are those captured in fixtures k8s-v1.36/admission/case-*).
#include "kube/remote_admission.h"

#include <unistd.h>

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;
using ::phalanx::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Policy = RemoteAdmissionOptions::FailurePolicy;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/" + name);
}

int RunShell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  while (fread(buf, 1, sizeof buf, p) > 0) {
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A CA and a serving certificate for 127.0.0.1 in the build directory (made once per `name`).
std::string MakeCerts(const std::string& name) {
  // Per process: ctest runs each case of this file as its own process, in parallel.
  std::string dir = absl::StrCat(phalanx::testing::BinaryDir(), "/tests/kube/remote-admission-certs-", name, "-",
                                 getpid());
  std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", dir,
                                 " --dns localhost --ip 127.0.0.1");
  EXPECT_EQ(RunShell(cmd), 0) << cmd;
  return dir;
}

// The real phalanx-webhook, on a port the kernel picks.
class WebhookProcess {
 public:
  explicit WebhookProcess(const std::string& cert_dir)
      : child_({phalanx::testing::BinaryDir() + "/webhook/phalanx-webhook", "--port=0", "--bind-address=127.0.0.1",
                "--tls-cert-file=" + cert_dir + "/tls.crt", "--tls-private-key-file=" + cert_dir + "/tls.key",
                "--health-probe-bind-address=0"}) {
    std::string first = child_.ReadLine();
    sscanf(first.c_str(), "listening on 127.0.0.1:%d", &port_);
  }
  ~WebhookProcess() { child_.Terminate(); }
  int port() const { return port_; }

 private:
  phalanx::testing::ChildProcess child_;
  int port_ = 0;
};

// An HTTPS stub: answers every POST with `answer(request body)` after an optional delay; keeps the
// requests it saw.
class StubWebhook {
 public:
  using Answer = std::function<std::string(const Json& review)>;
  StubWebhook(const std::string& cert_dir, Answer answer)
      : server_((cert_dir + "/tls.crt").c_str(), (cert_dir + "/tls.key").c_str()), answer_(std::move(answer)) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Json review = Json::parse(req.body, nullptr, false);
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(review);
        targets_.push_back(req.target);
      }
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
      res.set_content(answer_(review), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~StubWebhook() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  std::vector<Json> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<std::string> targets() {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

 private:
  httplib::SSLServer server_;
  Answer answer_;
  int port_ = 0;
  std::atomic<int> delay_ms_{0};
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Json> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
};

std::string Answer(const Json& response) {
  return Json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", response}}.dump();
}

std::string Uid(const Json& review) { return review["request"].value("uid", ""); }

// The Job-controller pod from the captured Pod CREATE review (exclusive topology, JobSet labels).
Json JobSetPod() {
  Json pod = Json::parse(Fixture("admission/pod-create-from-job-controller.mutate-pod.request.json"))["request"]["object"];
  pod["metadata"].erase("managedFields");
  return pod;
}

RemoteAdmissionOptions PodOptions(const std::string& name, int port, const std::string& path,
                                  const std::string& cert_dir, bool mutating) {
  RemoteAdmissionOptions o;
  o.name = name;
  o.url = absl::StrCat("https://127.0.0.1:", port, path);
  o.ca_file = cert_dir + "/ca.crt";
  o.mutating = mutating;
  o.rules = {{"", "pods", {AdmissionOperation::kCreate}}};
  o.object_selector = "jobset.sigs.k8s.io/jobset-name";
  o.timeout = absl::Seconds(5);
  return o;
}

void AddHook(MemoryCluster* cluster, RemoteAdmissionOptions o) {
  absl::StatusOr<AdmissionHook> hook = RemoteAdmissionHook(std::move(o));
  ASSERT_OK(hook.status());
  cluster->AddAdmissionHook(*std::move(hook));
}

class RealWebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cert_dir_ = new std::string(MakeCerts("real"));
    webhook_ = new WebhookProcess(*cert_dir_);
  }
  static void TearDownTestSuite() {
    delete webhook_;
    std::filesystem::remove_all(*cert_dir_);
    delete cert_dir_;
  }
  static std::string* cert_dir_;
  static WebhookProcess* webhook_;
};
std::string* RealWebhookTest::cert_dir_ = nullptr;
WebhookProcess* RealWebhookTest::webhook_ = nullptr;

TEST_F(RealWebhookTest, JobSetPodGetsThePlacementGateAndPriorityLabel) {
  ASSERT_GT(webhook_->port(), 0);
  MemoryCluster cluster;
  AddHook(&cluster, PodOptions("mpod.phalanx.dev", webhook_->port(), "/mutate--v1-pod", *cert_dir_, true));
  AddHook(&cluster, PodOptions("vpod.phalanx.dev", webhook_->port(), "/validate--v1-pod", *cert_dir_, false));
  ASSERT_OK_AND_ASSIGN(Object created, cluster.Create(kPods, "default", JobSetPod().dump()));
  Json pod = Json::parse(created.json);
  EXPECT_EQ(pod["spec"]["schedulingGates"], Json::parse(R"([{"name":"phalanx.dev/placement"}])"));
  EXPECT_EQ(pod["metadata"]["labels"]["jobset.sigs.k8s.io/priority"], "0");
  EXPECT_THAT(created.meta.name, StartsWith("js-named-workers-0-0-"));

  // A pod outside the object selector is not sent: it stays as it was.
  Json plain = Json::parse(R"({"metadata":{"name":"plain"},"spec":{"containers":[{"name":"c","image":"i"}]}})");
  ASSERT_OK_AND_ASSIGN(Object untouched, cluster.Create(kPods, "default", plain.dump()));
  EXPECT_FALSE(Json::parse(untouched.json)["spec"].contains("schedulingGates"));

  // Rules say CREATE only: an update of the gated pod (a label) goes through without the webhooks.
  ASSERT_OK(cluster.Patch(kPods, "default", created.meta.name, PatchType::kMerge, R"({"metadata":{"labels":{"x":"y"}}})")
                .status());
}

TEST_F(RealWebhookTest, ValidatingDenialSurfacesAsTheWebhooksStatus) {
  MemoryCluster cluster;
  AddHook(&cluster, PodOptions("vpod.phalanx.dev", webhook_->port(), "/validate--v1-pod", *cert_dir_, false));
  Json pod = JobSetPod();
  pod["metadata"]["labels"].erase("jobset.sigs.k8s.io/job-index");  // the planner could never find its gang
  absl::Status denied = cluster.Create(kPods, "default", pod.dump()).status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(HttpCodeFor(denied), 403);
  EXPECT_EQ(ReasonOf(denied), "Forbidden");
  EXPECT_THAT(std::string(denied.message()),
              StartsWith("admission webhook \"vpod.phalanx.dev\" denied the request: "));
  EXPECT_THAT(std::string(denied.message()), HasSubstr("jobset.sigs.k8s.io/job-index"));
  EXPECT_EQ(cluster.Count(kPods), 0u);
}

TEST_F(RealWebhookTest, JobSetsOnCreateAndUpdate) {
  MemoryCluster cluster;
  for (bool mutating : {true, false}) {
    RemoteAdmissionOptions o;
    o.name = mutating ? "mjobset.phalanx.dev" : "vjobset.phalanx.dev";
    o.url = absl::StrCat("https://127.0.0.1:", webhook_->port(),
                         mutating ? "/mutate-jobset-x-k8s-io-v1alpha2-jobset" : "/validate-jobset-x-k8s-io-v1alpha2-jobset");
    o.ca_file = *cert_dir_ + "/ca.crt";
    o.mutating = mutating;
    o.rules = {{"jobset.x-k8s.io", "jobsets", {AdmissionOperation::kCreate, AdmissionOperation::kUpdate}}};
    AddHook(&cluster, o);
  }
  Json js = Json::parse(Fixture("api/create-jobset.request.json"));
  js["spec"].erase("successPolicy");
  ASSERT_OK_AND_ASSIGN(Object created, cluster.Create(kJobSets, "default", js.dump()));
  EXPECT_EQ(Json::parse(created.json)["spec"]["successPolicy"]["operator"], "All");  // defaulted by the webhook

  Json bad = js;
  bad["metadata"]["name"] = "zero";
  bad["spec"]["replicatedJobs"][0]["replicas"] = -1;
  absl::Status denied = cluster.Create(kJobSets, "default", bad.dump()).status();
  EXPECT_FALSE(denied.ok());
  EXPECT_GE(HttpCodeFor(denied), 400);
  EXPECT_LT(HttpCodeFor(denied), 500);
  EXPECT_THAT(std::string(denied.message()), StartsWith("admission webhook \"vjobset.phalanx.dev\" denied the request"));

  // UPDATE reaches the webhooks too: replicated jobs are immutable.
  Json update = Json::parse(created.json);
  update["spec"]["replicatedJobs"][0]["replicas"] = 3;
  absl::Status refused = cluster.Update(kJobSets, "default", update.dump()).status();
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.message()), HasSubstr("admission webhook \"vjobset.phalanx.dev\" denied the request"));
}

TEST_F(RealWebhookTest, CertificateFromAnotherCaFailsTheCall) {
  std::string other = MakeCerts("other-ca");
  MemoryCluster cluster;
  RemoteAdmissionOptions o = PodOptions("mpod.phalanx.dev", webhook_->port(), "/mutate--v1-pod", other, true);
  AddHook(&cluster, o);
  absl::Status failed = cluster.Create(kPods, "default", JobSetPod().dump()).status();
  std::filesystem::remove_all(other);
  EXPECT_EQ(HttpCodeFor(failed), 500);
  EXPECT_EQ(ReasonOf(failed), "InternalError");
  EXPECT_THAT(std::string(failed.message()),
              StartsWith("Internal error occurred: failed calling webhook \"mpod.phalanx.dev\": failed to call webhook: Post "));
}

TEST_F(RealWebhookTest, PhalanxConfigurationAsInTheManifests) {
  MemoryCluster cluster;
  std::vector<RemoteAdmissionOptions> webhooks =
      PhalanxWebhooks(absl::StrCat("https://127.0.0.1:", webhook_->port()), *cert_dir_ + "/ca.crt");
  ASSERT_EQ(webhooks.size(), 4u);
  EXPECT_TRUE(webhooks[0].mutating && webhooks[1].mutating);
  EXPECT_FALSE(webhooks[2].mutating || webhooks[3].mutating);
  ASSERT_OK(AddRemoteAdmissionHooks(cluster, webhooks));

  Json js = Json::parse(Fixture("api/create-jobset.request.json"));
  js["spec"].erase("successPolicy");
  ASSERT_OK_AND_ASSIGN(Object created, cluster.Create(kJobSets, "default", js.dump()));
  EXPECT_EQ(Json::parse(created.json)["spec"]["successPolicy"]["operator"], "All");
  ASSERT_OK_AND_ASSIGN(Object pod, cluster.Create(kPods, "default", JobSetPod().dump()));
  EXPECT_EQ(Json::parse(pod.json)["spec"]["schedulingGates"], Json::parse(R"([{"name":"phalanx.dev/placement"}])"));
  Json update = Json::parse(created.json);
  update["spec"]["replicatedJobs"][0]["replicas"] = 3;
  EXPECT_THAT(std::string(cluster.Update(kJobSets, "default", update.dump()).status().message()),
              StartsWith("admission webhook \"vjobset.phalanx.dev\" denied the request"));
}

TEST_F(RealWebhookTest, PhalanxConfigurationSparesKubeSystemAndFailsClosedForJobSetPods) {
  MemoryCluster cluster;
  ASSERT_OK(AddRemoteAdmissionHooks(cluster, PhalanxWebhooks("https://127.0.0.1:1", *cert_dir_ + "/ca.crt")));
  absl::Status failed = cluster.Create(kPods, "default", JobSetPod().dump()).status();
  EXPECT_EQ(HttpCodeFor(failed), 500);
  EXPECT_THAT(std::string(failed.message()), HasSubstr("failed calling webhook \"mpod.phalanx.dev\""));
  Json system_pod = JobSetPod();
  system_pod["metadata"]["namespace"] = "kube-system";
  EXPECT_OK(cluster.Create(kPods, "kube-system", system_pod.dump()).status());
  // Nothing is added when one of the webhooks is invalid.
  MemoryCluster other;
  std::vector<RemoteAdmissionOptions> bad = PhalanxWebhooks("https://127.0.0.1:1", *cert_dir_ + "/ca.crt");
  bad[3].url = "http://127.0.0.1:1/x";
  EXPECT_THAT(AddRemoteAdmissionHooks(other, bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(other.Create(kPods, "default", JobSetPod().dump()).status());
}

// --- A stub webhook for the answers phalanx-webhook never gives -------------------------------------

class StubWebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cert_dir_ = new std::string(MakeCerts("stub")); }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*cert_dir_);
    delete cert_dir_;
  }

  RemoteAdmissionOptions Options(const StubWebhook& stub, bool mutating, Policy policy = Policy::kFail) {
    RemoteAdmissionOptions o = PodOptions("stub.example.com", stub.port(), "/hook", *cert_dir_, mutating);
    o.object_selector = "";
    o.failure_policy = policy;
    return o;
  }
  static std::string Pod(const std::string& name) {
    return R"({"metadata":{"name":")" + name + R"(","labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}})";
  }
  static std::string* cert_dir_;
};
std::string* StubWebhookTest::cert_dir_ = nullptr;

TEST_F(StubWebhookTest, RequestHasTheApiServersShape) {
  StubWebhook stub(*cert_dir_, [](const Json& r) { return Answer({{"uid", Uid(r)}, {"allowed", true}}); });
  MemoryCluster cluster;
  RemoteAdmissionOptions o = Options(stub, true);
  o.rules = {{"", "pods", {AdmissionOperation::kCreate, AdmissionOperation::kUpdate}}};
  AddHook(&cluster, o);
  ASSERT_OK(cluster.Create(kPods, "default", Pod("a")).status());
  ASSERT_OK(cluster.Patch(kPods, "default", "a", PatchType::kMerge, R"({"metadata":{"labels":{"v":"2"}}})").status());
  std::vector<Json> seen = stub.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(stub.targets()[0], "/hook?timeout=5s");
  Json want = Json::parse(Fixture("admission/pod-create-from-job-controller.mutate-pod.request.json"));
  for (const Json& review : seen) {
    EXPECT_EQ(review["apiVersion"], want["apiVersion"]);
    EXPECT_EQ(review["kind"], want["kind"]);
    const Json& req = review["request"];
    for (const char* key : {"kind", "resource", "requestKind", "requestResource", "namespace"}) {
      EXPECT_EQ(req[key], want["request"][key]) << key;
    }
    EXPECT_EQ(req["dryRun"], false);
    EXPECT_EQ(req["name"], "a");
    EXPECT_TRUE(req["userInfo"]["username"].is_string());
    EXPECT_EQ(req["uid"].get<std::string>().size(), 36u);
  }
  EXPECT_EQ(seen[0]["request"]["operation"], "CREATE");
  EXPECT_TRUE(seen[0]["request"]["oldObject"].is_null());
  EXPECT_EQ(seen[0]["request"]["options"], want["request"]["options"]);
  EXPECT_EQ(seen[1]["request"]["operation"], "UPDATE");
  EXPECT_EQ(seen[1]["request"]["object"]["metadata"]["labels"]["v"], "2");
  EXPECT_FALSE(seen[1]["request"]["oldObject"]["metadata"]["labels"].contains("v"));
  EXPECT_EQ(seen[1]["request"]["options"]["kind"], "UpdateOptions");
  EXPECT_NE(Uid(seen[0]), Uid(seen[1]));
  // Status writes are another resource (pods/status) and are not sent.
  ASSERT_OK(cluster.Patch(kPodsStatus, "default", "a", PatchType::kMerge, R"({"status":{"phase":"Running"}})").status());
  EXPECT_EQ(stub.requests().size(), 2u);
}

TEST_F(StubWebhookTest, BrokenAnswersFailClosedOrOpen) {
  struct Case {
    const char* name;
    std::function<Json(const Json&)> response;  // the whole review answered
    std::string error;                          // what follows `failed calling webhook "stub.example.com": `
  };
  auto review = [](Json response) {
    return Json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
  };
  std::vector<Case> cases = {
      {"no apiVersion and kind", [](const Json& r) { return Json{{"response", {{"uid", Uid(r)}, {"allowed", true}}}}; },
       "received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, "
       "got /, Kind="},
      {"wrong uid",
       [&](const Json&) { return review({{"uid", "00000000-0000-0000-0000-000000000000"}, {"allowed", true}}); },
       "received invalid webhook response: expected response.uid=\""},
      {"patch without patchType",
       [&](const Json& r) {
         return review({{"uid", Uid(r)}, {"allowed", true}, {"patch", absl::Base64Escape(R"([{"op":"add","path":"/metadata/labels/x","value":"y"}])")}});
       },
       "received invalid webhook response: webhook returned response.patch but not response.patchType"},
      {"bad base64",
       [&](const Json& r) {
         return review({{"uid", Uid(r)}, {"allowed", true}, {"patchType", "JSONPatch"}, {"patch", "this is not base64!!"}});
       },
       "failed to call webhook: illegal base64 data at input byte 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    StubWebhook stub(*cert_dir_, [&](const Json& r) { return c.response(r).dump(); });
    MemoryCluster closed;
    AddHook(&closed, Options(stub, true, Policy::kFail));
    absl::Status failed = closed.Create(kPods, "default", Pod("a")).status();
    EXPECT_EQ(HttpCodeFor(failed), 500);
    Json body = Json::parse(StatusBodyFor(failed));
    EXPECT_EQ(body["reason"], "InternalError");
    EXPECT_THAT(body["message"].get<std::string>(),
                StartsWith("Internal error occurred: failed calling webhook \"stub.example.com\": " + c.error));
    EXPECT_EQ(body["details"]["causes"][0]["message"].get<std::string>(),
              body["message"].get<std::string>().substr(std::string("Internal error occurred: ").size()));
    EXPECT_EQ(closed.Count(kPods), 0u);

    MemoryCluster open;
    AddHook(&open, Options(stub, true, Policy::kIgnore));
    ASSERT_OK_AND_ASSIGN(Object created, open.Create(kPods, "default", Pod("a")));
    EXPECT_FALSE(created.meta.labels.count("x"));  // nothing of the broken answer was applied
  }
}

TEST_F(StubWebhookTest, PatchesAndDenials) {
  StubWebhook stub(*cert_dir_, [](const Json& r) {
    std::string name = r["request"]["name"];
    if (name == "deny") {
      return Answer({{"uid", Uid(r)},
                     {"allowed", false},
                     {"status", {{"code", 422}, {"message", "spec.replicatedJobs[0].replicas: Invalid value: 0: must be greater than 0"}}}});
    }
    if (name == "deny-bare") return Answer({{"uid", Uid(r)}, {"allowed", false}});
    return Answer({{"uid", Uid(r)},
                   {"allowed", true},
                   {"patchType", "JSONPatch"},
                   {"patch", absl::Base64Escape(R"([{"op":"add","path":"/metadata/labels/seen","value":"true"}])")}});
  });
  MemoryCluster cluster;
  AddHook(&cluster, Options(stub, true));
  ASSERT_OK_AND_ASSIGN(Object created, cluster.Create(kPods, "default", Pod("ok")));
  EXPECT_EQ(created.meta.labels.at("seen"), "true");

  // The API server's answer to a 422 denial (fixture case-m-deny422).
  absl::Status denied = cluster.Create(kPods, "default", Pod("deny")).status();
  Json want = Json::parse(Fixture("admission/case-m-deny422.apiserver-response.json"));
  Json got = Json::parse(StatusBodyFor(denied));
  EXPECT_EQ(HttpCodeFor(denied), 422);
  EXPECT_EQ(got["message"], "admission webhook \"stub.example.com\" denied the request: spec.replicatedJobs[0].replicas: "
                            "Invalid value: 0: must be greater than 0");
  for (const char* key : {"kind", "apiVersion", "status", "code"}) EXPECT_EQ(got[key], want[key]) << key;
  EXPECT_FALSE(got.contains("reason"));

  absl::Status bare = cluster.Create(kPods, "default", Pod("deny-bare")).status();
  EXPECT_EQ(HttpCodeFor(bare), 400);
  EXPECT_EQ(std::string(bare.message()), "admission webhook \"stub.example.com\" denied the request without explanation");

  // A validating webhook may not patch.
  MemoryCluster validating;
  AddHook(&validating, Options(stub, false));
  EXPECT_EQ(HttpCodeFor(validating.Create(kPods, "default", Pod("ok")).status()), 500);
}

TEST_F(StubWebhookTest, TimeoutAndUnreachable) {
  StubWebhook stub(*cert_dir_, [](const Json& r) { return Answer({{"uid", Uid(r)}, {"allowed", true}}); });
  stub.set_delay_ms(2500);
  RemoteAdmissionOptions o = Options(stub, true);
  o.timeout = absl::Seconds(1);
  MemoryCluster closed;
  AddHook(&closed, o);
  absl::Status failed = closed.Create(kPods, "default", Pod("a")).status();
  EXPECT_EQ(HttpCodeFor(failed), 500);
  EXPECT_THAT(std::string(failed.message()), HasSubstr(absl::StrCat("failed to call webhook: Post \"https://127.0.0.1:",
                                                                    stub.port(), "/hook?timeout=1s\": context deadline exceeded")));
  o.failure_policy = Policy::kIgnore;
  MemoryCluster open;
  AddHook(&open, o);
  EXPECT_OK(open.Create(kPods, "default", Pod("a")).status());

  // Nobody listening: a connection error, failing closed.
  RemoteAdmissionOptions dead = Options(stub, true);
  dead.url = "https://127.0.0.1:1/hook";
  MemoryCluster nobody;
  AddHook(&nobody, dead);
  EXPECT_THAT(std::string(nobody.Create(kPods, "default", Pod("a")).status().message()),
              HasSubstr("failed to call webhook: Post \"https://127.0.0.1:1/hook?timeout=5s\": "));
}

TEST(RemoteAdmissionHookTest, RejectsBadOptions) {
  RemoteAdmissionOptions o;
  o.name = "x";
  o.ca_file = "/nonexistent/ca.crt";
  for (const char* url : {"http://127.0.0.1:1/p", "https://", "https://h:99999/p", "https://h:1/p?q=1", "https://u@h/p",
                          "https://[::1/p"}) {
    SCOPED_TRACE(url);
    o.url = url;
    EXPECT_THAT(RemoteAdmissionHook(o), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  o.url = "https://127.0.0.1:9443/mutate--v1-pod";
  EXPECT_OK(RemoteAdmissionHook(o).status());
  o.object_selector = "a in (";
  EXPECT_THAT(RemoteAdmissionHook(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.object_selector = "";
  o.name = "";
  EXPECT_THAT(RemoteAdmissionHook(o), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace phalanx::kube
