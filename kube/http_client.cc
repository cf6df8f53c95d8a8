#include "kube/http_client.h"

#include <poll.h>
#include <sys/stat.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "httplib.h"
#include "kube/errors.h"
#include "kube/internal/json.h"
#include "kube/internal/object_json.h"
#include "kube/internal/object_rapidjson.h"
#include "kube/rate_limiter.h"
#include "kube/watch_decoder.h"

namespace phalanx::kube {
namespace {

using internal::Json;

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void AddParam(std::string* query, absl::string_view key, absl::string_view value) {
  absl::StrAppend(query, query->empty() ? "?" : "&", key, "=", UrlEncode(value));
}

bool Idempotent(absl::string_view method) { return method == "GET" || method == "PUT" || method == "DELETE"; }

absl::StatusOr<Object> ObjectFromBody(const std::string& body) { return ParseObject(body); }

absl::Duration Backoff(const RestConfig& cfg, int attempt) {
  absl::Duration d = cfg.initial_backoff;
  for (int i = 0; i < attempt && d < cfg.max_backoff; ++i) d *= 2;
  return std::min(d, cfg.max_backoff);
}

}  // namespace

struct HttpClient::Impl {
  RestConfig cfg;
  bool tls = false;
  std::string host;
  int port = 0;
  RateLimiter limiter;
  absl::Mutex pool_mu;
  std::vector<std::unique_ptr<httplib::ClientImpl>> pool ABSL_GUARDED_BY(pool_mu);
  absl::Mutex token_mu;
  std::string token ABSL_GUARDED_BY(token_mu);
  int64_t token_mtime ABSL_GUARDED_BY(token_mu) = -1;

  explicit Impl(RestConfig c) : cfg(std::move(c)), limiter(cfg.qps, cfg.burst) {}

  absl::Status ParseServer() {
    absl::string_view s = cfg.server;
    if (absl::ConsumePrefix(&s, "https://")) {
      tls = true;
      port = 443;
    } else if (absl::ConsumePrefix(&s, "http://")) {
      port = 80;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("server URL must start with https:// or http://: ", cfg.server));
    }
    s = s.substr(0, s.find('/'));
    size_t colon = s.rfind(':');
    if (colon != absl::string_view::npos && s.find(']', colon) == absl::string_view::npos) {
      if (!absl::SimpleAtoi(s.substr(colon + 1), &port)) return absl::InvalidArgumentError("bad server port");
      s = s.substr(0, colon);
    }
    absl::ConsumePrefix(&s, "[");
    absl::ConsumeSuffix(&s, "]");
    host = std::string(s);
    if (host.empty()) return absl::InvalidArgumentError("server URL has no host");
    if (tls) {
      absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> probe = NewConn(cfg.request_timeout);
      if (!probe.ok()) return probe.status();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> NewConn(absl::Duration read_timeout) {
    std::unique_ptr<httplib::ClientImpl> c;
    if (tls) {
      std::unique_ptr<httplib::SSLClient> ssl;
      if (!cfg.client_cert_pem.empty() && !cfg.client_key_pem.empty()) {
        BIO* cb = BIO_new_mem_buf(cfg.client_cert_pem.data(), static_cast<int>(cfg.client_cert_pem.size()));
        X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
        BIO_free(cb);
        BIO* kb = BIO_new_mem_buf(cfg.client_key_pem.data(), static_cast<int>(cfg.client_key_pem.size()));
        EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
        BIO_free(kb);
        if (cert == nullptr || key == nullptr) {
          if (cert) X509_free(cert);
          if (key) EVP_PKEY_free(key);
          return absl::InvalidArgumentError("client certificate or key is not valid PEM");
        }
        ssl = std::make_unique<httplib::SSLClient>(host, port, cert, key);
        X509_free(cert);
        EVP_PKEY_free(key);
      } else {
        ssl = std::make_unique<httplib::SSLClient>(host, port);
      }
      ssl->enable_server_certificate_verification(!cfg.insecure_skip_tls_verify);
      if (!cfg.ca_pem.empty()) {
        X509_STORE* store = X509_STORE_new();
        BIO* bio = BIO_new_mem_buf(cfg.ca_pem.data(), static_cast<int>(cfg.ca_pem.size()));
        int n = 0;
        while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
          X509_STORE_add_cert(store, ca);
          X509_free(ca);
          ++n;
        }
        BIO_free(bio);
        if (n == 0) {
          X509_STORE_free(store);
          return absl::InvalidArgumentError("CA bundle holds no PEM certificate");
        }
        ssl->set_ca_cert_store(store);
      } else if (!cfg.ca_file.empty()) {
        ssl->set_ca_cert_path(cfg.ca_file.c_str());
      }
      c = std::move(ssl);
    } else {
      c = std::make_unique<httplib::ClientImpl>(host, port);
    }
    auto secs = [](absl::Duration d) { return std::chrono::microseconds(absl::ToInt64Microseconds(d)); };
    c->set_connection_timeout(secs(cfg.request_timeout));
    c->set_read_timeout(secs(read_timeout));
    c->set_write_timeout(secs(cfg.request_timeout));
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
  }

  // A pooled connection, unless the server has closed it while it sat idle (readable = EOF or a close
  // notice pending): sending on such a connection fails with a read error that a non-idempotent request
  // (POST, PATCH) cannot safely retry, so it is dropped here instead.
  absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> Take() {
    while (true) {
      std::unique_ptr<httplib::ClientImpl> c;
      {
        absl::MutexLock lock(&pool_mu);
        if (pool.empty()) break;
        c = std::move(pool.back());
        pool.pop_back();
      }
      const socket_t fd = c->socket();
      if (fd == INVALID_SOCKET) return c;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) return c;
      c->stop();  // closed by the server (or unusable): open a fresh one
    }
    return NewConn(cfg.request_timeout);
  }

  void Give(std::unique_ptr<httplib::ClientImpl> c) {
    absl::MutexLock lock(&pool_mu);
    if (pool.size() < 16) pool.push_back(std::move(c));
  }

  std::string Token(bool force_reread) {
    if (cfg.token_file.empty()) return cfg.bearer_token;
    struct stat st;
    int64_t mtime = stat(cfg.token_file.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                                                st.st_mtim.tv_nsec
                                                          : -2;
    absl::MutexLock lock(&token_mu);
    if (force_reread || mtime != token_mtime) {
      std::ifstream in(cfg.token_file);
      std::stringstream ss;
      ss << in.rdbuf();
      if (in || !ss.str().empty()) {
        token = std::string(absl::StripAsciiWhitespace(ss.str()));
        token_mtime = mtime;
      }
    }
    return token.empty() ? cfg.bearer_token : token;
  }

  httplib::Request MakeRequest(absl::string_view method, const std::string& path, absl::string_view body,
                               absl::string_view content_type, bool force_token) {
    httplib::Request req;
    req.method = std::string(method);
    req.path = path;
    req.headers.emplace("Accept", "application/json");
    req.headers.emplace("User-Agent", cfg.user_agent);
    std::string tok = Token(force_token);
    if (!tok.empty()) req.headers.emplace("Authorization", absl::StrCat("Bearer ", tok));
    if (!body.empty()) {
      req.body = std::string(body);
      req.headers.emplace("Content-Type", std::string(content_type));
    }
    return req;
  }

  absl::StatusOr<std::string> Do(absl::string_view method, const std::string& path, absl::string_view body,
                                 absl::string_view content_type) {
    absl::Status last;
    bool reauthed = false;
    for (int attempt = 0;; ++attempt) {
      bool may_retry = attempt < cfg.max_retries;
      limiter.Wait();
      absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> conn = Take();
      if (!conn.ok()) return conn.status();
      httplib::Result res = (*conn)->send(MakeRequest(method, path, body, content_type, reauthed));
      if (!res) {
        httplib::Error err = res.error();
        last = absl::UnavailableError(absl::StrCat(method, " ", path, ": ", httplib::to_string(err)));
        bool not_sent = err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout ||
                        err == httplib::Error::SSLConnection;
        if (may_retry && (not_sent || Idempotent(method))) {
          absl::SleepFor(Backoff(cfg, attempt));
          continue;
        }
        return last;
      }
      Give(*std::move(conn));
      int status = res->status;
      if (status >= 200 && status < 300) return std::move(res->body);
      last = StatusFromResponse(status, res->body);
      int retry_after = -1;
      if (res->has_header("Retry-After") && !absl::SimpleAtoi(res->get_header_value("Retry-After"), &retry_after)) {
        retry_after = -1;
      }
      if (may_retry && (status == 429 || status >= 500) && retry_after >= 0) {
        PHALANX_LOG(kDebug, "kube retry after", {{"status", status}, {"path", path}, {"seconds", retry_after}});
        absl::SleepFor(std::min(absl::Seconds(retry_after), cfg.max_retry_after));
        continue;
      }
      if (may_retry && status >= 500 && status != 501 && Idempotent(method)) {
        absl::SleepFor(Backoff(cfg, attempt));
        continue;
      }
      if (status == 401 && !reauthed && !cfg.token_file.empty()) {
        reauthed = true;  // the token may have rotated under us
        continue;
      }
      return last;
    }
  }
};

namespace {

class HttpWatchStream final : public WatchStream {
 public:
  explicit HttpWatchStream(std::unique_ptr<httplib::ClientImpl> conn) : conn_(std::move(conn)) {}
  ~HttpWatchStream() override { Stop(); }

  // Starts the request; returns once the response headers arrived (or the request failed).
  absl::Status Start(httplib::Request req, absl::Duration wait) {
    req.response_handler = [this](const httplib::Response& r) {
      absl::MutexLock lock(&mu_);
      status_ = r.status;
      headers_ = true;
      return true;
    };
    req.content_receiver = [this](const char* data, size_t n, uint64_t, uint64_t) { return OnData(data, n); };
    thread_ = std::thread([this, req = std::move(req)]() mutable {
      httplib::Result res = conn_->send(req);
      absl::MutexLock lock(&mu_);
      if (!res && !stopped_) {
        end_ = absl::UnavailableError(absl::StrCat("watch stream ended: ", httplib::to_string(res.error())));
      } else if (res && status_ != 200 && error_body_.empty()) {
        error_body_ = res->body;
      }
      done_ = true;
    });
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return headers_ || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
    if (!headers_ && !done_) return absl::UnavailableError("watch: no response from server");
    if (!headers_) return end_.ok() ? absl::UnavailableError("watch: connection failed") : end_;
    if (status_ != 200) {
      mu_.Await(absl::Condition(&done_));
      return StatusFromResponse(status_, error_body_);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<WatchEvent> Next(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_ || done_ || !queue_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (stopped_) return absl::CancelledError("watch stopped");
    if (!queue_.empty()) {
      WatchEvent ev = std::move(queue_.front());
      queue_.pop_front();
      return ev;
    }
    if (done_) return end_.ok() ? absl::UnavailableError("watch stream closed") : end_;
    return absl::DeadlineExceededError("no watch event");
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_ && !thread_.joinable()) return;
      stopped_ = true;
    }
    // stop() closes the socket under a blocked read; repeat until the request thread has returned, in
    // case it had not opened its socket yet.
    while (true) {
      conn_->stop();
      absl::MutexLock lock(&mu_);
      if (done_ || mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Milliseconds(50))) break;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool OnData(const char* data, size_t n) {
    absl::MutexLock lock(&mu_);
    if (stopped_) return false;
    if (status_ != 200) {
      error_body_.append(data, n);
      return true;
    }
    if (absl::Status s = decoder_.Feed(absl::string_view(data, n), queue_); !s.ok()) {
      end_ = s;
      return false;  // a corrupt stream: end it, the caller re-watches
    }
    return true;
  }

  std::unique_ptr<httplib::ClientImpl> conn_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  WatchDecoder decoder_ ABSL_GUARDED_BY(mu_);
  std::string error_body_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  bool headers_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(RestConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  if (absl::Status s = impl->ParseServer(); !s.ok()) return s;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

absl::StatusOr<std::string> HttpClient::Do(absl::string_view method, const std::string& path, absl::string_view body,
                                           absl::string_view content_type) {
  return impl_->Do(method, path, body, content_type);
}

absl::StatusOr<Object> HttpClient::Create(const Resource& resource, absl::string_view ns, absl::string_view body) {
  std::string path;
  if (!resource.subresource.empty()) {
    absl::StatusOr<Object> parent = ParseObject(body);
    if (!parent.ok()) return parent.status();
    path = resource.ObjectPath(ns, parent->meta.name);
  } else {
    path = resource.CollectionPath(ns);
  }
  absl::StatusOr<std::string> out = impl_->Do("POST", path, body, "application/json");
  if (!out.ok()) return out.status();
  return ObjectFromBody(*out);
}

absl::StatusOr<Object> HttpClient::Get(const Resource& resource, absl::string_view ns, absl::string_view name) {
  absl::StatusOr<std::string> out = impl_->Do("GET", resource.ObjectPath(ns, name), "", "");
  if (!out.ok()) return out.status();
  return ObjectFromBody(*out);
}

absl::StatusOr<ObjectList> HttpClient::List(const Resource& resource, absl::string_view ns,
                                            const ListOptions& options) {
  std::string query;
  if (!options.label_selector.empty()) AddParam(&query, "labelSelector", options.label_selector);
  if (!options.field_selector.empty()) AddParam(&query, "fieldSelector", options.field_selector);
  if (options.limit > 0) AddParam(&query, "limit", absl::StrCat(options.limit));
  if (!options.continue_token.empty()) AddParam(&query, "continue", options.continue_token);
  if (!options.resource_version.empty()) AddParam(&query, "resourceVersion", options.resource_version);
  if (options.exact) AddParam(&query, "resourceVersionMatch", "Exact");
  absl::StatusOr<std::string> out = impl_->Do("GET", resource.Main().CollectionPath(ns) + query, "", "");
  if (!out.ok()) return out.status();
  rapidjson::Document doc;
  if (!internal::ParseRapid(*out, doc).ok() || !doc.IsObject()) {
    return absl::DataLossError("list answer is not a JSON object");
  }
  ObjectList list;
  if (auto m = doc.FindMember("metadata"); m != doc.MemberEnd() && m->value.IsObject()) {
    list.resource_version = internal::StringMember(m->value, "resourceVersion");
    list.continue_token = internal::StringMember(m->value, "continue");
    if (auto r = m->value.FindMember("remainingItemCount"); r != m->value.MemberEnd() && r->value.IsInt64()) {
      list.remaining_item_count = r->value.GetInt64();
    }
  }
  if (auto items = doc.FindMember("items"); items != doc.MemberEnd() && items->value.IsArray()) {
    list.items.reserve(items->value.Size());
    for (const rapidjson::Value& item : items->value.GetArray()) {
      absl::StatusOr<Object> o = internal::ObjectFromValue(item, internal::WriteValue(item));
      if (!o.ok()) return o.status();
      list.items.push_back(*std::move(o));
    }
  }
  return list;
}

absl::StatusOr<Object> HttpClient::Update(const Resource& resource, absl::string_view ns, absl::string_view body) {
  absl::StatusOr<Object> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.status();
  if (parsed->meta.name.empty()) return absl::InvalidArgumentError("update: metadata.name is required");
  absl::StatusOr<std::string> out =
      impl_->Do("PUT", resource.ObjectPath(ns, parsed->meta.name), body, "application/json");
  if (!out.ok()) return out.status();
  return ObjectFromBody(*out);
}

absl::StatusOr<Object> HttpClient::Patch(const Resource& resource, absl::string_view ns, absl::string_view name,
                                         PatchType type, absl::string_view patch) {
  absl::StatusOr<std::string> out = impl_->Do("PATCH", resource.ObjectPath(ns, name), patch, PatchContentType(type));
  if (!out.ok()) return out.status();
  return ObjectFromBody(*out);
}

absl::Status HttpClient::Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                                const DeleteOptions& options) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  switch (options.propagation) {
    case Propagation::kBackground: body["propagationPolicy"] = "Background"; break;
    case Propagation::kForeground: body["propagationPolicy"] = "Foreground"; break;
    case Propagation::kOrphan: body["propagationPolicy"] = "Orphan"; break;
    case Propagation::kDefault: break;
  }
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  absl::StatusOr<std::string> out =
      impl_->Do("DELETE", resource.ObjectPath(ns, name), internal::Dump(body), "application/json");
  return out.status();
}

absl::StatusOr<std::unique_ptr<WatchStream>> HttpClient::Watch(const Resource& resource, absl::string_view ns,
                                                               const WatchOptions& options) {
  std::string query = "?watch=1";
  if (!options.resource_version.empty()) AddParam(&query, "resourceVersion", options.resource_version);
  if (options.allow_bookmarks) AddParam(&query, "allowWatchBookmarks", "true");
  if (options.timeout > absl::ZeroDuration()) {
    AddParam(&query, "timeoutSeconds", absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout))));
  }
  if (!options.label_selector.empty()) AddParam(&query, "labelSelector", options.label_selector);
  if (!options.field_selector.empty()) AddParam(&query, "fieldSelector", options.field_selector);
  absl::Duration read_timeout = std::max(options.timeout + absl::Seconds(30), absl::Minutes(6));
  impl_->limiter.Wait();
  absl::StatusOr<std::unique_ptr<httplib::ClientImpl>> conn = impl_->NewConn(read_timeout);
  if (!conn.ok()) return conn.status();
  auto stream = std::make_unique<HttpWatchStream>(*std::move(conn));
  httplib::Request req = impl_->MakeRequest("GET", resource.Main().CollectionPath(ns) + query, "", "", false);
  if (absl::Status s = stream->Start(std::move(req), impl_->cfg.request_timeout); !s.ok()) return s;
  return std::unique_ptr<WatchStream>(std::move(stream));
}

}  // namespace phalanx::kube
