// The phalanx-extender binary over loopback, fed the ExtenderArgs bodies a real kube-scheduler 1.36 sent
// (fixtures k8s-v1.36/extender and pinning): the protocol's rules on every answer, both nodeCacheCapable
// forms, bad input, probes and metrics, HTTPS with client-certificate checking, TLS >= 1.2, request size
// and read-time limits, and a log free of tokens, keys and request bodies.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kube/memory_api_server.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "sim/scheduler.h"
#include "tests/scheduler-extender/test_objects.h"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/" + name);
}

std::string TempDir() {
  char dir[] = "/tmp/phalanx-extender-test-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  return dir;
}

// A MemoryApiServer holding the nodes the fixtures name, and the extender binary pointed at it.
class ExtenderProcess {
 public:
  // `user`: the kubeconfig's user entry (flow YAML); `stderr_file`: non-empty to keep the log there.
  explicit ExtenderProcess(std::vector<std::string> extra = {}, const std::string& user = "{}",
                           const std::string& stderr_file = "")
      : server_(cluster_) {
    EXPECT_OK(server_.Start(0));
    for (const char* n : {"tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0", "tpu-a-0", "tpu-a-1", "tpu-a-2", "tpu-a-3",
                          "tpu-b-0", "tpu-b-1", "tpu-b-2", "tpu-b-3"}) {
      // Labels as on the fixtures' nodes (their pods select the TPU topology).
      json node = testing::Node(n, {{testing::kPoolKey, std::string(n).find("-b-") != std::string::npos ? "b" : "a"},
                                    {"cloud.google.com/gke-tpu-topology", "2x2"}});
      json spec = node;
      spec.erase("status");
      EXPECT_OK(cluster_.Create(kube::kNodes, "", spec.dump()).status());
      EXPECT_OK(cluster_.Patch(kube::kNodesStatus, "", n, kube::PatchType::kMerge,
                               json({{"status", node["status"]}}).dump())
                    .status());
    }
    dir_ = TempDir();
    const std::string kubeconfig = dir_ + "/kubeconfig";
    std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                              << server_.url()
                              << "\nusers:\n- name: u\n  user: " << user
                              << "\ncontexts:\n- name: x\n  context:\n"
                                 "    cluster: c\n    user: u\ncurrent-context: x\n";
    std::vector<std::string> args = {phalanx::testing::BinaryDir() + "/scheduler-extender/phalanx-extender",
                                     "--kubeconfig=" + kubeconfig, "--port=0", "--bind-address=127.0.0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!stderr_file.empty()) {
      std::string command = "exec";
      for (const std::string& a : args) absl::StrAppend(&command, " '", a, "'");
      absl::StrAppend(&command, " 2>'", stderr_file, "'");
      args = {"/bin/bash", "-c", command};
    }
    child_ = std::make_unique<phalanx::testing::ChildProcess>(args);
    const std::string line = child_->ReadLine();
    EXPECT_TRUE(absl::StartsWith(line, "listening on 127.0.0.1:")) << line;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port_)) << line;
  }
  ~ExtenderProcess() {
    if (child_) child_->Terminate();
    server_.Stop();
    std::filesystem::remove_all(dir_);
  }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  int Terminate() {
    int code = child_->Terminate();
    child_.reset();
    return code;
  }

 private:
  kube::MemoryCluster cluster_;
  kube::MemoryApiServer server_;
  std::string dir_;
  std::unique_ptr<phalanx::testing::ChildProcess> child_;
  int port_ = 0;
};

// Every name of the request lands in exactly one of NodeNames, FailedNodes, FailedAndUnresolvableNodes;
// NodeNames is never null and holds only names of the request; Error is "".
void ExpectFilterProtocol(const json& request, const json& answer) {
  ASSERT_TRUE(answer.is_object()) << answer;
  for (const char* key : {"Nodes", "NodeNames", "FailedNodes", "FailedAndUnresolvableNodes", "Error"}) {
    EXPECT_TRUE(answer.contains(key)) << key << " missing: " << answer;
  }
  EXPECT_EQ(answer["Error"], "");
  std::vector<std::string> input = request["NodeNames"];
  std::multiset<std::string> seen;
  ASSERT_TRUE(answer["NodeNames"].is_array()) << answer;
  for (const auto& n : answer["NodeNames"]) seen.insert(n.get<std::string>());
  for (const auto& [n, why] : answer["FailedNodes"].items()) {
    seen.insert(n);
    EXPECT_FALSE(why.get<std::string>().empty());
  }
  for (const auto& [n, why] : answer["FailedAndUnresolvableNodes"].items()) {
    seen.insert(n);
    EXPECT_FALSE(why.get<std::string>().empty());
  }
  EXPECT_EQ(seen, std::multiset<std::string>(input.begin(), input.end()));
}

bool Ready(httplib::Client& c) {
  return sim::Scheduler::WaitFor(
      [&] {
        auto r = c.Get("/readyz");
        return r && r->status == 200;
      },
      absl::Seconds(30));
}

TEST(ExtenderServerTest, AnswersEveryCapturedRequestByTheProtocolsRules) {
  ExtenderProcess proc;
  httplib::Client c("127.0.0.1", proc.port());
  ASSERT_TRUE(Ready(c));
  for (const char* name : {"extender/normal.scheduler_filter.request.json",
                           "extender/case-filter-all-unresolvable.scheduler_filter.request.json",
                           "extender/case-filter-rejects-all-failednodes.scheduler_filter.request.json",
                           "extender/preempt-followup.scheduler_filter.request.json",
                           "pinning/ungate-pin.scheduler_filter.request.json"}) {
    const std::string body = Fixture(name);
    auto r = c.Post("/scheduler/filter", body, "application/json");
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->status, 200) << name << ": " << r->body;
    ExpectFilterProtocol(json::parse(body), json::parse(r->body, nullptr, false));
  }
  // The fixtures' JobSet pods ask for an exclusive pool but their JobSet holds none: no node, and no
  // preemption can help.
  auto r = c.Post("/scheduler/filter", Fixture("extender/normal.scheduler_filter.request.json"), "application/json");
  json answer = json::parse(r->body);
  EXPECT_TRUE(answer["NodeNames"].empty());
  EXPECT_EQ(answer["FailedAndUnresolvableNodes"].size(), 3u);

  // A pod of no JobSet passes wherever nothing is reserved.
  json plain = json::parse(Fixture("extender/normal.scheduler_filter.request.json"));
  plain["Pod"]["metadata"].erase("labels");
  plain["Pod"]["metadata"].erase("annotations");
  r = c.Post("/scheduler/filter", plain.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["NodeNames"].size(), 3u) << r->body;

  auto p = c.Post("/scheduler/prioritize", plain.dump(), "application/json");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 200);
  json scores = json::parse(p->body);
  ASSERT_TRUE(scores.is_array());
  ASSERT_EQ(scores.size(), 3u);
  for (const auto& s : scores) {
    EXPECT_GE(s["Score"].get<int>(), 0);
    EXPECT_LE(s["Score"].get<int>(), 10);
  }
}

TEST(ExtenderServerTest, FullNodeObjectsComeBackAsTheyWereSent) {
  ExtenderProcess proc;
  httplib::Client c("127.0.0.1", proc.port());
  ASSERT_TRUE(Ready(c));
  json request = json::parse(Fixture("extender/normal.scheduler_filter.request.json"));
  request["Pod"]["metadata"].erase("labels");
  request["Pod"]["metadata"].erase("annotations");
  json items = json::array();
  for (const auto& n : request["NodeNames"]) {
    items.push_back(testing::Node(n.get<std::string>(), {{"cloud.google.com/gke-tpu-topology", "2x2"}}));
  }
  request["NodeNames"] = nullptr;
  request["Nodes"] = {{"metadata", json::object()}, {"items", items}};
  auto r = c.Post("/scheduler/filter", request.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json answer = json::parse(r->body);
  EXPECT_TRUE(answer["NodeNames"].is_null());
  ASSERT_EQ(answer["Nodes"]["items"].size(), 3u);
  EXPECT_EQ(answer["Nodes"]["items"][0], items[0]);
}

TEST(ExtenderServerTest, BadInputIsA400AndProbesAndMetricsAnswer) {
  ExtenderProcess proc;
  httplib::Client c("127.0.0.1", proc.port());
  ASSERT_TRUE(Ready(c));
  for (const char* bad : {"", "{", "[]", "{\"Pod\":3,\"NodeNames\":[]}", "{\"Pod\":{},\"NodeNames\":[1]}"}) {
    auto r = c.Post("/scheduler/filter", bad, "application/json");
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_TRUE(absl::StrContains(r->body, "bad ExtenderArgs")) << r->body;
  }
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_TRUE(absl::StrContains(m->body, "phalanx_extender_requests_total{verb=\"filter\",result=\"bad_request\"} 5"))
      << m->body;
  EXPECT_TRUE(absl::StrContains(m->body, "phalanx_extender_cache_objects{kind=\"nodes\"} 11")) << m->body;
  // The build's version, and a commit (by form: the binary may have been relinked after this test).
  EXPECT_TRUE(std::regex_search(m->body, std::regex("\nphalanx_build_info\\{version=\"" + std::string(Version()) +
                                                    "\",commit=\"([0-9a-f]{40}(-dirty)?|unknown)\"\\} 1\n")))
      << m->body;
  EXPECT_EQ(proc.Terminate(), 0);
}

TEST(ExtenderServerTest, HttpsWithClientCertificates) {
  const std::string certs = TempDir();
  const std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", certs,
                                       " --ip 127.0.0.1 --client system:kube-scheduler >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ExtenderProcess proc({"--tls-cert-file=" + certs + "/tls.crt", "--tls-private-key-file=" + certs + "/tls.key",
                        "--client-ca-file=" + certs + "/ca.crt"});
  const std::string body = Fixture("extender/normal.scheduler_filter.request.json");

  httplib::SSLClient with_cert("127.0.0.1", proc.port(), certs + "/client.crt", certs + "/client.key");
  with_cert.set_ca_cert_path((certs + "/ca.crt").c_str());
  with_cert.enable_server_certificate_verification(true);
  ASSERT_TRUE(sim::Scheduler::WaitFor(
      [&] {
        auto r = with_cert.Get("/readyz");
        return r && r->status == 200;
      },
      absl::Seconds(30)));
  auto ok = with_cert.Post("/scheduler/filter", body, "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  httplib::SSLClient without_cert("127.0.0.1", proc.port());
  without_cert.set_ca_cert_path((certs + "/ca.crt").c_str());
  without_cert.enable_server_certificate_verification(true);
  auto refused = without_cert.Post("/scheduler/filter", body, "application/json");
  EXPECT_FALSE(refused && refused->status == 200) << "a client without a certificate was served";
  std::filesystem::remove_all(certs);
}

// A raw TLS client limited to `max_version`: true when the handshake succeeds.
bool TlsHandshake(int port, int max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
  }
  ERR_clear_error();
  close(fd);
  SSL_CTX_free(ctx);
  return ok;
}

TEST(ExtenderServerTest, LimitsUntrustedInputAndKeepsSecretsOutOfTheLog) {
  signal(SIGPIPE, SIG_IGN);
  const std::string certs = TempDir();
  ASSERT_EQ(std::system(absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", certs,
                                     " --ip 127.0.0.1 >/dev/null 2>&1")
                            .c_str()),
            0);
  const std::string token = "tok-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  const std::string log = certs + "/stderr.log";
  std::string key_pem = phalanx::testing::ReadFileOrDie(certs + "/tls.key");
  ExtenderProcess proc({"--tls-cert-file=" + certs + "/tls.crt", "--tls-private-key-file=" + certs + "/tls.key",
                        "--max-request-bytes=65536", "--read-timeout=1s", "-v"},
                       "{token: " + token + "}", log);
  httplib::SSLClient c("127.0.0.1", proc.port());
  c.set_ca_cert_path((certs + "/ca.crt").c_str());
  c.enable_server_certificate_verification(true);
  ASSERT_TRUE(sim::Scheduler::WaitFor(
      [&] {
        auto r = c.Get("/readyz");
        return r && r->status == 200;
      },
      absl::Seconds(30)));

  // TLS 1.2 and newer only.
  EXPECT_FALSE(TlsHandshake(proc.port(), TLS1_1_VERSION));
  EXPECT_FALSE(TlsHandshake(proc.port(), TLS1_VERSION));
  EXPECT_TRUE(TlsHandshake(proc.port(), TLS1_2_VERSION));

  // A body over the limit is refused with 413 and the server goes on serving.
  const std::string marker = "body-marker-5e6f7a8b";
  std::string big = R"({"Pod":{"metadata":{"name":")" + marker + R"("}},"NodeNames":[")";
  big.append(70000, 'n');
  big += "\"]}";
  auto too_big = c.Post("/scheduler/filter", big, "application/json");
  ASSERT_TRUE(too_big) << httplib::to_string(too_big.error());
  EXPECT_EQ(too_big->status, 413);
  // Bad bodies are 400 and their text goes to the client, not to the log.
  auto bad = c.Post("/scheduler/filter", R"({"Pod":{"metadata":{"name":")" + marker + R"("}},"NodeNames":3})",
                    "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto ok = c.Post("/scheduler/filter", Fixture("extender/normal.scheduler_filter.request.json"), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  // Half a request, then silence: dropped after the read timeout, not holding a worker for ever.
  std::thread cut([&] {
    // Content-Length promises more than is sent; httplib's client cannot do that, so a raw socket.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(proc.port()));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    timeval tv{15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ASSERT_EQ(SSL_connect(ssl), 1);
    const std::string head = "POST /scheduler/filter HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{";
    SSL_write(ssl, head.data(), static_cast<int>(head.size()));
    const auto start = std::chrono::steady_clock::now();
    char buf[256];
    std::string answer;
    int n = 0;
    while (answer.find("\r\n\r\n") == std::string::npos && (n = SSL_read(ssl, buf, sizeof buf)) > 0) {
      answer.append(buf, n);
    }
    // The server gave up on the body with a 4xx (the 15 s socket timeout would be a failure).
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 4")) << answer;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
  });
  cut.join();
  EXPECT_EQ(c.Get("/healthz")->status, 200);

  EXPECT_EQ(proc.Terminate(), 0);
  const std::string text = phalanx::testing::ReadFileOrDie(log);
  EXPECT_TRUE(absl::StrContains(text, "level=")) << "the log was not captured";
  EXPECT_FALSE(absl::StrContains(text, token)) << text;
  EXPECT_FALSE(absl::StrContains(text, marker)) << text;
  EXPECT_FALSE(absl::StrContains(text, "PRIVATE KEY")) << text;
  key_pem = key_pem.substr(key_pem.find('\n') + 1, 40);  // a line of the key itself
  EXPECT_FALSE(absl::StrContains(text, key_pem)) << text;
  std::filesystem::remove_all(certs);
}

TEST(ExtenderServerTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--port=x"}, {"--topology=a,,b"}, {"--no-such-flag"}, {"--starvation-bound=soon"}}) {
    std::vector<std::string> argv = {phalanx::testing::BinaryDir() + "/scheduler-extender/phalanx-extender",
                                     "--kubeconfig=/nonexistent"};
    argv.insert(argv.end(), args.begin(), args.end());
    phalanx::testing::ChildProcess child(argv);
    child.ReadLine(std::chrono::seconds(20));  // "" once it exits: usage goes to stderr
    int code = child.Terminate();
    EXPECT_EQ(code, 2) << args[0];
  }
}

}  // namespace
}  // namespace phalanx::extender
