#include "scheduler-extender/server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/bind_address.h"
#include "common/log.h"
#include "httplib.h"
#include "tls/cert_reloader.h"

namespace phalanx::extender {
namespace {

int Bind(httplib::Server& s, const std::string& host, int port) {
  if (port == 0) return s.bind_to_any_port(host);
  return s.bind_to_port(host, port) ? port : -1;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler* handler = nullptr;
  Metrics* metrics = nullptr;
  std::function<bool()> ready;
  std::unique_ptr<tls::CertReloader> certs;
  std::unique_ptr<httplib::Server> main;
  std::unique_ptr<httplib::Server> probes;
  int port = 0;
  int probe_port = 0;
  std::atomic<bool> stopping{false};

  void Configure(httplib::Server& s, bool verbs) {
    const size_t workers = verbs ? size_t(options.worker_threads) : 2;
    s.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    s.set_payload_max_length(options.max_request_bytes);
    s.set_read_timeout(absl::ToChronoSeconds(options.read_timeout));
    s.set_write_timeout(absl::ToChronoSeconds(options.write_timeout));
    s.set_keep_alive_timeout(
        std::chrono::duration_cast<std::chrono::seconds>(absl::ToChronoSeconds(options.keep_alive_timeout)).count());
    s.set_keep_alive_max_count(1000000);
    s.set_tcp_nodelay(true);
    s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      // kube-scheduler sends Accept-Encoding: gzip; compressing answers of a few KB costs more than it
      // saves. The Request is httplib's own non-const object.
      const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
      return httplib::Server::HandlerResponse::Unhandled;
    });
    s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain; charset=utf-8");
    });
    s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      const bool ok = !stopping.load() && (!ready || ready());
      res.status = ok ? 200 : 503;
      res.set_content(ok ? "ok\n" : "not ready: caches not synced\n", "text/plain; charset=utf-8");
    });
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    if (verbs) {
      std::string prefix = options.url_prefix;
      while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      auto reply = [](httplib::Response& res, Reply r) {
        res.status = r.status;
        res.set_content(std::move(r.body), r.content_type.c_str());
      };
      s.Post(prefix + "/filter", [this, reply](const httplib::Request& req, httplib::Response& res) {
        reply(res, handler->Filter(req.body));
      });
      s.Post(prefix + "/prioritize", [this, reply](const httplib::Request& req, httplib::Response& res) {
        reply(res, handler->Prioritize(req.body));
      });
    }
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content("internal error\n", "text/plain; charset=utf-8");
    });
    s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        res.set_content(absl::StrCat(res.status, res.status == 413 ? " request body too large" : " error", "\n"),
                        "text/plain; charset=utf-8");
      }
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler& handler, Metrics& metrics,
                                                      std::function<bool()> ready) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = &handler;
  impl->metrics = &metrics;
  impl->ready = std::move(ready);
  if (options.tls_cert_file.empty() != options.tls_private_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-private-key-file go together");
  }
  if (!options.client_ca_file.empty() && options.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--client-ca-file needs --tls-cert-file and --tls-private-key-file");
  }
  if (options.tls_cert_file.empty()) {
    impl->main = std::make_unique<httplib::Server>();
  } else {
    auto certs = tls::CertReloader::Create(options.tls_cert_file, options.tls_private_key_file);
    if (!certs.ok()) return certs.status();
    impl->certs = *std::move(certs);
    Impl* raw = impl.get();
    bool configured = false;
    auto server = std::make_unique<httplib::SSLServer>([raw, &configured](SSL_CTX& ctx) {
      configured = raw->certs->ConfigureContext(&ctx);
      if (configured && !raw->options.client_ca_file.empty()) {
        configured = SSL_CTX_load_verify_locations(&ctx, raw->options.client_ca_file.c_str(), nullptr) == 1;
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
      return configured;
    });
    if (!server->is_valid() || !configured) {
      return absl::InvalidArgumentError("could not set up TLS (certificate pair or client CA file)");
    }
    impl->main = std::move(server);
  }
  impl->Configure(*impl->main, /*verbs=*/true);
  impl->port = Bind(*impl->main, options.bind_address, options.port);
  if (impl->port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.bind_address, ":", options.port));
  }
  if (!options.health_probe_bind_address.empty() && options.health_probe_bind_address != "0") {
    absl::StatusOr<std::pair<std::string, int>> probe = ParseBindAddress(options.health_probe_bind_address);
    if (!probe.ok()) return probe.status();
    impl->probes = std::make_unique<httplib::Server>();
    impl->Configure(*impl->probes, /*verbs=*/false);
    impl->probe_port = Bind(*impl->probes, probe->first, probe->second);
    if (impl->probe_port <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.health_probe_bind_address));
    }
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }
int Server::probe_port() const { return impl_->probe_port; }

absl::Status Server::Run() {
  std::thread probe_thread;
  if (impl_->probes) probe_thread = std::thread([this] { impl_->probes->listen_after_bind(); });
  const bool ok = impl_->main->listen_after_bind();
  if (impl_->probes) impl_->probes->stop();
  if (probe_thread.joinable()) probe_thread.join();
  if (!ok && !impl_->stopping.load()) return absl::UnavailableError("listener failed");
  return absl::OkStatus();
}

void Server::Stop() {
  if (impl_ == nullptr) return;
  impl_->stopping = true;
  if (impl_->main) impl_->main->stop();
  if (impl_->probes) impl_->probes->stop();
}

}  // namespace phalanx::extender
