#include "webhook/server.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "tls/cert_reloader.h"
#include "webhook/handler.h"

namespace phalanx::webhook {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

// ":8081" → 0.0.0.0:8081; "127.0.0.1:0" → as given; "" / "0" → nullopt (disabled).
absl::StatusOr<std::optional<HostPort>> ParseHostPort(const std::string& s) {
  if (s.empty() || s == "0") return std::optional<HostPort>();
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", s, "\": want host:port"));
  }
  HostPort hp;
  hp.host = s.substr(0, colon);
  if (hp.host.empty()) hp.host = "0.0.0.0";
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (!absl::SimpleAtoi(s.substr(colon + 1), &hp.port) || hp.port < 0 || hp.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", s, "\": bad port"));
  }
  return std::optional<HostPort>(hp);
}

template <typename Rep, typename Period>
time_t Secs(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Metrics metrics;
  std::unique_ptr<tls::CertReloader> certs;
  std::unique_ptr<httplib::SSLServer> tls;
  std::unique_ptr<httplib::Server> probes;
  int port = 0;
  int probe_port = 0;
  std::string probe_host;
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};

  void Configure(httplib::Server& s, bool admission) {
    // Probes and scrapes are rare and short; admission keeps a worker per open connection.
    size_t workers = admission ? size_t(options.worker_threads) : 4;
    s.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    s.set_payload_max_length(options.max_request_bytes);
    s.set_read_timeout(absl::ToChronoSeconds(options.read_timeout));
    s.set_write_timeout(absl::ToChronoSeconds(options.write_timeout));
    s.set_keep_alive_timeout(Secs(absl::ToChronoSeconds(options.keep_alive_timeout)));
    s.set_keep_alive_max_count(1000000);
    s.set_tcp_nodelay(true);  // small request/response pairs: never wait on delayed ACKs
    s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      // Answers are a few hundred bytes: compressing them (the API server sends Accept-Encoding:
      // gzip) costs more CPU than it saves, and zlib allocates ~256 KiB per stream. httplib has no
      // switch for it, so the header is dropped before the response is written. The Request is
      // httplib's own non-const object, so the cast is well defined.
      const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
      return httplib::Server::HandlerResponse::Unhandled;
    });
    s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      auto t0 = std::chrono::steady_clock::now();
      res.set_content("ok\n", "text/plain; charset=utf-8");
      metrics.Observe("/healthz", "ok", SecondsSince(t0));
    });
    s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      auto t0 = std::chrono::steady_clock::now();
      bool ok = ready.load() && !stopping.load();
      res.status = ok ? 200 : 503;
      res.set_content(ok ? "ok\n" : "not ready\n", "text/plain; charset=utf-8");
      metrics.Observe("/readyz", ok ? "ok" : "not_ready", SecondsSince(t0));
    });
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string text = metrics.Render();
      if (options.extra_metrics) text += options.extra_metrics();
      res.set_content(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
    });
    if (admission) {
      s.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
        auto t0 = std::chrono::steady_clock::now();
        HttpReply reply =
            HandleAdmission(req.path, req.get_header_value("Content-Type"), req.body, options.pod_webhook);
        res.status = reply.status;
        res.set_content(std::move(reply.body), reply.content_type.c_str());
        metrics.Observe(req.path, reply.result, SecondsSince(t0));
      });
    }
    s.set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("internal error\n", "text/plain; charset=utf-8");
          metrics.Observe(req.path, "error", 0);
        });
    // Oversized bodies (413) and other errors produced by httplib itself get a short text body.
    s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (res.body.empty()) {
        std::string text = res.status == 413 ? "request body too large" : "error";
        res.set_content(absl::StrCat(res.status, " ", text, "\n"), "text/plain; charset=utf-8");
      }
      if (res.status == 413) metrics.Observe(req.path, "too_large", 0);
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto certs = tls::CertReloader::Create(options.tls_cert_file, options.tls_private_key_file);
  if (!certs.ok()) return certs.status();
  impl->certs = *std::move(certs);
  Impl* raw = impl.get();
  impl->certs->set_on_reload([raw] {
    raw->metrics.CertificateReloaded();
    PHALANX_LOG(kInfo, "serving certificate reloaded", {{"serial", raw->certs->SerialHex()}});
  });
  bool configured = false;
  impl->tls = std::make_unique<httplib::SSLServer>([raw, &configured](SSL_CTX& ctx) {
    configured = raw->certs->ConfigureContext(&ctx);
    if (configured && !raw->options.client_ca_file.empty()) {
      configured = SSL_CTX_load_verify_locations(&ctx, raw->options.client_ca_file.c_str(), nullptr) == 1;
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return configured;
  });
  if (!impl->tls->is_valid() || !configured) {
    if (!options.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("could not set up the TLS context (client CA file ", options.client_ca_file, ")"));
    }
    return absl::InternalError("could not set up the TLS context");
  }
  impl->Configure(*impl->tls, /*admission=*/true);
  if (options.port == 0) {
    impl->port = impl->tls->bind_to_any_port(options.bind_address);
  } else if (impl->tls->bind_to_port(options.bind_address, options.port)) {
    impl->port = options.port;
  } else {
    impl->port = -1;
  }
  if (impl->port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.bind_address, ":", options.port));
  }

  auto probe = ParseHostPort(options.health_probe_bind_address);
  if (!probe.ok()) return probe.status();
  if (*probe) {
    impl->probes = std::make_unique<httplib::Server>();
    impl->Configure(*impl->probes, /*admission=*/false);
    impl->probe_host = (*probe)->host;
    if ((*probe)->port == 0) {
      impl->probe_port = impl->probes->bind_to_any_port(impl->probe_host);
    } else if (impl->probes->bind_to_port(impl->probe_host, (*probe)->port)) {
      impl->probe_port = (*probe)->port;
    } else {
      impl->probe_port = -1;
    }
    if (impl->probe_port <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options.health_probe_bind_address));
    }
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }
int Server::probe_port() const { return impl_->probe_port; }
std::string Server::bind_address() const { return impl_->options.bind_address; }
std::string Server::probe_bind_address() const { return impl_->probe_host; }
Metrics& Server::metrics() { return impl_->metrics; }

absl::Status Server::Run() {
  std::thread probe_thread;
  if (impl_->probes) probe_thread = std::thread([this] { impl_->probes->listen_after_bind(); });
  impl_->ready = true;
  bool ok = impl_->tls->listen_after_bind();
  impl_->ready = false;
  if (impl_->probes) impl_->probes->stop();
  if (probe_thread.joinable()) probe_thread.join();
  if (!ok && !impl_->stopping.load()) return absl::UnavailableError("TLS listener failed");
  return absl::OkStatus();
}

void Server::Stop() {
  if (impl_ == nullptr || impl_->stopping.exchange(true)) return;
  impl_->ready = false;
  impl_->tls->stop();
  if (impl_->probes) impl_->probes->stop();
}

}  // namespace phalanx::webhook
