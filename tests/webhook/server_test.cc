// Process tests: the real phalanx-webhook binary on 127.0.0.1, port 0, real TLS verified against a CA
// made at test time by certs/make-certs.sh (into the build directory; nothing is committed).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/files.h"

namespace phalanx::webhook {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

// Runs a shell command, returns its exit status and stdout.
int RunShell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
    if (out != nullptr) out->append(buf, n);
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string CertDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat(phalanx::testing::BinaryDir(), "/tests/webhook/certs-", info->test_suite_name(),
                      "-", info->name());
}

// Makes (or, with reuse_ca, rotates) the certificates; returns the printed caBundle.
std::string MakeCerts(const std::string& dir, bool reuse_ca = false) {
  std::string out;
  std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ",
                                 dir, " --dns localhost --ip 127.0.0.1", reuse_ca ? " --reuse-ca" : "");
  EXPECT_EQ(RunShell(cmd, &out), 0) << cmd;
  return out;
}

std::string SerialOfFile(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string s = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  X509_free(cert);
  return s;
}

// The webhook process: started with port 0, reads "listening on <addr>:<port>" from stdout.
class WebhookProcess {
 public:
  WebhookProcess(const std::string& cert_dir, std::vector<std::string> extra_args = {})
      : child_(Args(cert_dir, std::move(extra_args))) {
    std::string first = child_.ReadLine();
    std::string second = child_.ReadLine();
    sscanf(first.c_str(), "listening on 127.0.0.1:%d", &port_);
    sscanf(second.c_str(), "health probes on 127.0.0.1:%d", &probe_port_);
  }

  int port() const { return port_; }
  int probe_port() const { return probe_port_; }

  // Sends SIGTERM and waits up to `timeout` for the exit status (-1 on timeout).
  int Terminate(std::chrono::seconds timeout = std::chrono::seconds(15)) {
    return child_.Terminate(timeout);
  }

 private:
  static std::vector<std::string> Args(const std::string& cert_dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        phalanx::testing::BinaryDir() + "/webhook/phalanx-webhook",
        "--port=0",
        "--bind-address=127.0.0.1",
        "--tls-cert-file=" + cert_dir + "/tls.crt",
        "--tls-private-key-file=" + cert_dir + "/tls.key",
        "--health-probe-bind-address=127.0.0.1:0",
    };
    for (auto& a : extra) args.push_back(std::move(a));
    return args;
  }

  phalanx::testing::ChildProcess child_;
  int port_ = 0;
  int probe_port_ = 0;
};

std::unique_ptr<httplib::SSLClient> Client(int port, const std::string& cert_dir) {
  auto cli = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  cli->set_ca_cert_path((cert_dir + "/ca.crt").c_str());
  cli->enable_server_certificate_verification(true);
  cli->set_connection_timeout(std::chrono::seconds(5));
  cli->set_read_timeout(std::chrono::seconds(10));
  return cli;
}

// A raw TLS connection with OpenSSL, for what httplib's client does not expose.
class RawTls {
 public:
  RawTls(int port, const std::string& ca_file, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (max_version != 0) {
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
      SSL_CTX_set_security_level(ctx_, 0);
    }
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    timeval tv{15, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    handshake_ok_ = SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~RawTls() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  std::string PeerSerial() {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (cert == nullptr) return "";
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string s = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(cert);
    return s;
  }
  bool Write(const std::string& data) {
    return SSL_write(ssl_, data.data(), int(data.size())) == int(data.size());
  }
  // Reads until the end of a response head, the peer closing, or the 15 s socket timeout.
  std::string ReadHead() {
    std::string out;
    char buf[4096];
    while (out.find("\r\n\r\n") == std::string::npos) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, n);
    }
    ERR_clear_error();
    return out;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_dir_ = CertDir();
    fs::remove_all(cert_dir_);
    ca_bundle_ = MakeCerts(cert_dir_);
  }
  std::string cert_dir_;
  std::string ca_bundle_;
};

TEST_F(ServerTest, CertScriptPrintsCaBundle) {
  // One base64 line that decodes to the CA certificate.
  ASSERT_FALSE(ca_bundle_.empty());
  EXPECT_EQ(ca_bundle_.find('\n'), ca_bundle_.size() - 1);
  std::string pem = phalanx::testing::ReadFileOrDie(cert_dir_ + "/ca.crt");
  std::string decoded;
  ASSERT_EQ(RunShell(absl::StrCat("echo ", ca_bundle_.substr(0, ca_bundle_.size() - 1), " | base64 -d"),
                &decoded),
            0);
  EXPECT_EQ(decoded, pem);
  std::string text;
  ASSERT_EQ(RunShell(absl::StrCat("openssl x509 -noout -ext subjectAltName -in ", cert_dir_, "/tls.crt"),
                &text),
            0);
  EXPECT_THAT(text, HasSubstr("DNS:phalanx-webhook-service.phalanx-system.svc"));
  EXPECT_THAT(text, HasSubstr("DNS:localhost"));
  EXPECT_THAT(text, HasSubstr("IP Address:127.0.0.1"));
}

TEST_F(ServerTest, MutatesPodsOverVerifiedTls) {
  WebhookProcess proc(cert_dir_);
  ASSERT_GT(proc.port(), 0);
  auto cli = Client(proc.port(), cert_dir_);
  // Kubernetes appends ?timeout=<n>s to the configured path.
  auto res = cli->Post("/mutate--v1-pod?timeout=10s",
                       Fixture("pod-create-from-job-controller.mutate-pod.request.json"),
                       "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  // The API server sends Accept-Encoding: gzip; tiny answers are sent uncompressed.
  httplib::Headers gzip = {{"Accept-Encoding", "gzip"}};
  auto plain = cli->Post("/mutate--v1-pod", gzip,
                         Fixture("pod-create-from-job-controller.mutate-pod.request.json"),
                         "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  auto review = api::DecodeAdmissionResponseReview(res->body);
  ASSERT_TRUE(review.ok()) << review.status();
  EXPECT_EQ(review->response.uid, "0f3387bc-e650-4e2b-9c75-56c0a13b2f95");
  EXPECT_TRUE(review->response.allowed);
  ASSERT_TRUE(review->response.patch.has_value());
  EXPECT_THAT(*review->response.patch, HasSubstr("phalanx.dev/placement"));

  // Keep-alive: many requests on one connection, from several threads at once.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto c = Client(proc.port(), cert_dir_);
      c->set_keep_alive(true);
      std::string body = Fixture("pod-create-from-job-controller.validate-pod.request.json");
      for (int i = 0; i < 25; ++i) {
        auto r = c->Post("/validate--v1-pod", body, "application/json");
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);

  // A client that does not trust our CA cannot talk to it.
  httplib::SSLClient untrusting("127.0.0.1", proc.port());
  untrusting.set_ca_cert_path("/nonexistent-ca.pem");
  untrusting.enable_server_certificate_verification(true);
  EXPECT_FALSE(untrusting.Get("/healthz"));
}

TEST_F(ServerTest, JobSetEndpointsOverTls) {
  WebhookProcess proc(cert_dir_);
  ASSERT_GT(proc.port(), 0);
  auto cli = Client(proc.port(), cert_dir_);
  auto mutate = cli->Post("/mutate-jobset-x-k8s-io-v1alpha2-jobset?timeout=10s",
                          Fixture("jobset-create-generatename.mutate-jobset.request.json"),
                          "application/json");
  ASSERT_TRUE(mutate);
  EXPECT_EQ(mutate->status, 200);
  auto m = api::DecodeAdmissionResponseReview(mutate->body);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->response.uid, "93dd4dc4-1c53-4f42-b30d-00b7ed82ac23");
  EXPECT_TRUE(m->response.patch.has_value());
  EXPECT_EQ(m->patch_type, "JSONPatch");

  // Changing the pod template of a running JobSet: HTTP 200, allowed false, 422 Invalid.
  auto validate = cli->Post("/validate-jobset-x-k8s-io-v1alpha2-jobset?timeout=10s",
                            Fixture("jobset-update-spec.validate-jobset.request.json"),
                            "application/json");
  ASSERT_TRUE(validate);
  EXPECT_EQ(validate->status, 200);
  auto v = api::DecodeAdmissionResponseReview(validate->body);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->response.allowed);
  ASSERT_TRUE(v->response.status.has_value());
  EXPECT_EQ(v->response.status->code, 422);
  EXPECT_EQ(v->response.status->reason, "Invalid");
}

TEST_F(ServerTest, ProbesAndMetrics) {
  WebhookProcess proc(cert_dir_);
  ASSERT_GT(proc.port(), 0);
  ASSERT_GT(proc.probe_port(), 0);
  auto cli = Client(proc.port(), cert_dir_);
  auto h = cli->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto r = cli->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(cli->Post("/validate--v1-pod",
                        Fixture("pod-create-from-job-controller.validate-pod.request.json"),
                        "application/json"));
  ASSERT_TRUE(cli->Post("/nope", "{}", "application/json"));

  httplib::Client plain("127.0.0.1", proc.probe_port());
  auto ph = plain.Get("/healthz");
  ASSERT_TRUE(ph);
  EXPECT_EQ(ph->status, 200);
  auto pr = plain.Get("/readyz");
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->status, 200);
  auto m = plain.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_THAT(m->body, HasSubstr(
                           "phalanx_webhook_requests_total{path=\"/validate--v1-pod\",result=\"allowed\"} 1"));
  EXPECT_THAT(m->body, HasSubstr("phalanx_webhook_requests_total{path=\"other\",result=\"not_found\"} 1"));
  EXPECT_THAT(m->body, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/validate--v1-pod\""));
  // The admission paths are not served on the plain-HTTP probe address.
  auto adm = plain.Post("/mutate--v1-pod", "{}", "application/json");
  ASSERT_TRUE(adm);
  EXPECT_EQ(adm->status, 404);
}

TEST_F(ServerTest, BadRequests) {
  WebhookProcess proc(cert_dir_, {"--max-request-bytes=65536"});
  ASSERT_GT(proc.port(), 0);
  auto cli = Client(proc.port(), cert_dir_);
  const std::string pod = Fixture("pod-create-from-job-controller.mutate-pod.request.json");

  auto unknown = cli->Post("/mutate-pods", pod, "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  auto wrong_type = cli->Post("/mutate--v1-pod", pod, "text/plain");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_THAT(wrong_type->body, HasSubstr("expected application/json"));

  for (const std::string& bad : {std::string("{"), std::string("[]"), std::string("null"),
                                 std::string(R"({"apiVersion":"v1","kind":"Pod"})"),
                                 std::string("\x01\x02\x03", 3)}) {
    auto r = cli->Post("/validate-jobset-x-k8s-io-v1alpha2-jobset", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_THAT(r->body, HasSubstr("not an AdmissionReview"));
  }

  std::string big(100000, ' ');
  big.replace(0, pod.size(), pod);  // a valid review padded past the limit
  auto too_big = cli->Post("/mutate--v1-pod", big, "application/json");
  ASSERT_TRUE(too_big) << httplib::to_string(too_big.error());
  EXPECT_EQ(too_big->status, 413);

  // Still serving afterwards.
  auto again = cli->Post("/mutate--v1-pod", pod, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(ServerTest, SlowRequestIsCutOffByTheReadTimeout) {
  WebhookProcess proc(cert_dir_, {"--read-timeout=1"});
  ASSERT_GT(proc.port(), 0);
  RawTls conn(proc.port(), cert_dir_ + "/ca.crt");
  ASSERT_TRUE(conn.handshake_ok());
  // Half a request, then silence: the server must give up and close, not hold a worker forever.
  ASSERT_TRUE(conn.Write("POST /mutate--v1-pod HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
  auto start = std::chrono::steady_clock::now();
  std::string head = conn.ReadHead();
  EXPECT_THAT(head, ::testing::StartsWith("HTTP/1.1 4")) << head;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  // Others are served meanwhile and afterwards.
  auto cli = Client(proc.port(), cert_dir_);
  auto h = cli->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(ServerTest, RefusesTlsBelow12) {
  WebhookProcess proc(cert_dir_);
  ASSERT_GT(proc.port(), 0);
  RawTls tls11(proc.port(), cert_dir_ + "/ca.crt", TLS1_1_VERSION);
  EXPECT_FALSE(tls11.handshake_ok());
  RawTls tls12(proc.port(), cert_dir_ + "/ca.crt", TLS1_2_VERSION);
  EXPECT_TRUE(tls12.handshake_ok());
  RawTls tls13(proc.port(), cert_dir_ + "/ca.crt");
  EXPECT_TRUE(tls13.handshake_ok());
}

TEST_F(ServerTest, RequiresAClientCertificateWhenGivenAClientCa) {
  // The server closes refused connections; writing to them must fail, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  // A client certificate from the same CA (as for the API server's webhook kubeconfig).
  const std::string cmd = absl::StrCat("bash ", phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ",
                                       cert_dir_, " --dns localhost --ip 127.0.0.1 --reuse-ca --client kube-apiserver");
  ASSERT_EQ(RunShell(cmd), 0) << cmd;
  WebhookProcess proc(cert_dir_, {"--client-ca-file=" + cert_dir_ + "/ca.crt"});
  ASSERT_GT(proc.port(), 0);
  const std::string review = Fixture("pod-create-from-job-controller.mutate-pod.request.json");

  httplib::SSLClient with_cert("127.0.0.1", proc.port(), cert_dir_ + "/client.crt", cert_dir_ + "/client.key");
  with_cert.set_ca_cert_path((cert_dir_ + "/ca.crt").c_str());
  with_cert.enable_server_certificate_verification(true);
  auto ok = with_cert.Post("/mutate--v1-pod", review, "application/json");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);

  auto without = Client(proc.port(), cert_dir_);
  auto refused = without->Post("/mutate--v1-pod", review, "application/json");
  EXPECT_FALSE(refused) << "a client without a certificate was served: " << refused->status;
  RawTls raw(proc.port(), cert_dir_ + "/ca.crt");
  EXPECT_FALSE(raw.handshake_ok() && raw.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") &&
               !raw.ReadHead().empty())
      << "served without a client certificate";

  // A missing CA file is a start-up error, not a server that accepts everyone.
  std::string out;
  EXPECT_EQ(RunShell(absl::StrCat(phalanx::testing::BinaryDir(), "/webhook/phalanx-webhook --port=0 ",
                                  "--bind-address=127.0.0.1 --health-probe-bind-address=0 --tls-cert-file=",
                                  cert_dir_, "/tls.crt --tls-private-key-file=", cert_dir_,
                                  "/tls.key --client-ca-file=", cert_dir_, "/no-such-ca.crt 2>&1"),
                     &out),
            1);
  EXPECT_THAT(out, HasSubstr("no-such-ca.crt"));
}

TEST_F(ServerTest, RotatedCertificateServedWithoutRestart) {
  WebhookProcess proc(cert_dir_);
  ASSERT_GT(proc.port(), 0);
  const std::string first = SerialOfFile(cert_dir_ + "/tls.crt");
  {
    RawTls conn(proc.port(), cert_dir_ + "/ca.crt");
    ASSERT_TRUE(conn.handshake_ok());
    EXPECT_EQ(conn.PeerSerial(), first);
  }
  MakeCerts(cert_dir_, /*reuse_ca=*/true);  // new serving cert and key, same CA, renamed in place
  const std::string second = SerialOfFile(cert_dir_ + "/tls.crt");
  ASSERT_NE(first, second);
  {
    RawTls conn(proc.port(), cert_dir_ + "/ca.crt");
    ASSERT_TRUE(conn.handshake_ok());
    EXPECT_EQ(conn.PeerSerial(), second);
  }
  // Requests keep working over verified TLS, and the reload is counted.
  auto cli = Client(proc.port(), cert_dir_);
  auto m = cli->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_THAT(m->body, HasSubstr("phalanx_webhook_certificate_reloads_total 1"));

  // A broken rotation (key file garbage) keeps the last good pair.
  {
    FILE* f = fopen((cert_dir_ + "/tls.key").c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("not a key\n", f);
    fclose(f);
  }
  RawTls conn(proc.port(), cert_dir_ + "/ca.crt");
  ASSERT_TRUE(conn.handshake_ok());
  EXPECT_EQ(conn.PeerSerial(), second);
}

TEST_F(ServerTest, GracefulShutdownOnSigterm) {
  WebhookProcess proc(cert_dir_, {"--shutdown-grace-period=2"});
  ASSERT_GT(proc.port(), 0);
  auto cli = Client(proc.port(), cert_dir_);
  cli->set_keep_alive(true);
  ASSERT_TRUE(cli->Get("/healthz"));  // an open keep-alive connection must not block shutdown
  EXPECT_EQ(proc.Terminate(), 0);
}

TEST(ServerStartupTest, MissingCertificateFailsFast) {
  std::string out;
  int code = RunShell(absl::StrCat(phalanx::testing::BinaryDir(),
                              "/webhook/phalanx-webhook --port=0 --tls-cert-file=/nonexistent.crt "
                              "--tls-private-key-file=/nonexistent.key 2>&1"),
                 &out);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("nonexistent.crt"));
  EXPECT_EQ(RunShell(absl::StrCat(phalanx::testing::BinaryDir(), "/webhook/phalanx-webhook --bogus 2>&1")),
            2);
}

}  // namespace
}  // namespace phalanx::webhook
