#include "kube/memory_api_server.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "kube/errors.h"
#include "kube/internal/json.h"

namespace phalanx::kube {
namespace {

using internal::Json;

struct Target {
  Resource resource;
  std::string ns;
  std::string name;
};

std::string Param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : std::string();
}

constexpr size_t kMaxRequestBytes = 3 << 20;

void SendError(httplib::Response& res, const absl::Status& status) {
  res.status = HttpCodeFor(status);
  res.set_content(StatusBodyFor(status), "application/json");
}

void NotFoundPage(httplib::Response& res) {
  res.status = 404;
  res.set_content("404 page not found\n", "text/plain; charset=utf-8");
}

}  // namespace

struct MemoryApiServer::Impl {
  explicit Impl(MemoryCluster& c) : cluster(c) {}

  MemoryCluster& cluster;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> stopping{false};
  int port = 0;

  // Splits a URL path into resource, namespace, name and subresource.
  std::optional<Target> Resolve(const std::string& path) {
    std::vector<std::string> seg = absl::StrSplit(path, '/', absl::SkipEmpty());
    size_t i = 0;
    std::string group, version;
    if (seg.size() >= 2 && seg[0] == "api") {
      version = seg[1];
      i = 2;
    } else if (seg.size() >= 3 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      i = 3;
    } else {
      return std::nullopt;
    }
    std::string ns;
    if (seg.size() >= i + 3 && seg[i] == "namespaces") {
      ns = seg[i + 1];
      i += 2;
    }
    if (i >= seg.size() || seg.size() - i > 3) return std::nullopt;
    std::optional<Resource> r = cluster.FindResource(group, version, seg[i]);
    if (!r) return std::nullopt;
    Target t{*r, ns, ""};
    if (seg.size() - i >= 2) t.name = seg[i + 1];
    if (seg.size() - i == 3) t.resource = t.resource.WithSubresource(SubresourceName(seg[i + 2]));
    if (!t.resource.namespaced) t.ns.clear();
    if (seg.size() - i == 3 && t.resource.subresource.empty()) return std::nullopt;
    return t;
  }

  // Subresource names must outlive the Resource (string_view): map to literals.
  static absl::string_view SubresourceName(const std::string& s) {
    if (s == "status") return "status";
    if (s == "binding") return "binding";
    if (s == "eviction") return "eviction";
    return "";
  }

  // /version, health and the discovery documents kubectl reads before anything else.
  bool Discovery(const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET") return false;
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/readyz" || p == "/livez") {
      res.set_content("ok", "text/plain");
      return true;
    }
    if (p == "/version") {
      res.set_content(R"({"major":"1","minor":"36","gitVersion":"v1.36.2-phalanx-memory","platform":"linux/amd64"})",
                      "application/json");
      return true;
    }
    std::vector<Resource> all = cluster.Resources();
    if (p == "/api") {
      Json doc = {{"kind", "APIVersions"},
                  {"versions", {"v1"}},
                  {"serverAddressByClientCIDRs",
                   {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", absl::StrCat("127.0.0.1:", port)}}}}};
      res.set_content(internal::Dump(doc), "application/json");
      return true;
    }
    if (p == "/apis") {
      std::map<std::string, std::set<std::string>> groups;
      for (const Resource& r : all) {
        if (!r.group.empty()) groups[std::string(r.group)].insert(std::string(r.version));
      }
      Json list = Json::array();
      for (const auto& [g, versions] : groups) {
        Json vs = Json::array();
        for (const std::string& v : versions) vs.push_back({{"groupVersion", absl::StrCat(g, "/", v)}, {"version", v}});
        list.push_back({{"name", g}, {"versions", vs}, {"preferredVersion", vs[0]}});
      }
      res.set_content(internal::Dump({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}}),
                      "application/json");
      return true;
    }
    for (const Resource& probe : all) {
      if (p != probe.GroupVersionPath()) continue;
      Json resources = Json::array();
      for (const Resource& r : all) {
        if (r.group != probe.group || r.version != probe.version) continue;
        Json verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
        resources.push_back({{"name", std::string(r.plural)}, {"singularName", ""}, {"namespaced", r.namespaced},
                             {"kind", std::string(r.kind)}, {"verbs", verbs}});
        if (r.has_status) {
          resources.push_back({{"name", absl::StrCat(r.plural, "/status")}, {"singularName", ""},
                               {"namespaced", r.namespaced}, {"kind", std::string(r.kind)},
                               {"verbs", {"get", "patch", "update"}}});
        }
      }
      Json doc = {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", probe.ApiVersion()},
                  {"resources", resources}};
      res.set_content(internal::Dump(doc), "application/json");
      return true;
    }
    return false;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    if (Discovery(req, res)) return;
    std::optional<Target> t = Resolve(req.path);
    if (!t) return NotFoundPage(res);
    const std::string& m = req.method;
    if (m == "GET" && t->name.empty()) {
      if (Param(req, "watch") == "1" || Param(req, "watch") == "true") return Watch(*t, req, res);
      return List(*t, req, res);
    }
    if (m == "GET") return Reply(res, 200, cluster.Get(t->resource, t->ns, t->name));
    if (m == "POST") {
      bool sub_post = !t->name.empty() && (t->resource.subresource == "binding" ||
                                           t->resource.subresource == "eviction");
      if (!t->name.empty() && !sub_post) {
        return SendError(res, ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
      }
      if (sub_post) {
        absl::StatusOr<Json> body = internal::ParseJson(req.body);
        if (!body.ok() || !body->is_object()) return SendError(res, ApiError(400, "BadRequest", "invalid body"));
        std::string body_name = internal::GetString(body->value("metadata", Json::object()), "name");
        if (!body_name.empty() && body_name != t->name) {
          return SendError(res, ApiError(400, "BadRequest", "name in the body does not match the URL"));
        }
        (*body)["metadata"]["name"] = t->name;
        return Reply(res, 201, cluster.Create(t->resource, t->ns, internal::Dump(*body)));
      }
      return Reply(res, 201, cluster.Create(t->resource, t->ns, req.body));
    }
    if (t->name.empty()) {
      return SendError(res, ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
    }
    if (m == "PUT") {
      absl::StatusOr<Json> body = internal::ParseJson(req.body);
      if (!body.ok() || !body->is_object()) return SendError(res, ApiError(400, "BadRequest", "invalid body"));
      std::string body_name = internal::GetString(body->value("metadata", Json::object()), "name");
      if (body_name != t->name) {
        return SendError(res, ApiError(400, "BadRequest", "the name of the object does not match the name on the URL"));
      }
      return Reply(res, 200, cluster.Update(t->resource, t->ns, req.body));
    }
    if (m == "PATCH") {
      std::string ct = req.get_header_value("Content-Type");
      ct = std::string(absl::StripAsciiWhitespace(ct.substr(0, ct.find(';'))));
      PatchType type;
      if (ct == "application/merge-patch+json") {
        type = PatchType::kMerge;
      } else if (ct == "application/json-patch+json") {
        type = PatchType::kJson;
      } else if (ct == "application/strategic-merge-patch+json") {
        type = PatchType::kStrategicMerge;
      } else {
        return SendError(res, ApiError(415, "UnsupportedMediaType",
                                       absl::StrCat("the body of the request was in an unknown format - accepted "
                                                    "media types include: application/json-patch+json, "
                                                    "application/merge-patch+json, "
                                                    "application/strategic-merge-patch+json")));
      }
      return Reply(res, 200, cluster.Patch(t->resource, t->ns, t->name, type, req.body));
    }
    if (m == "DELETE") {
      DeleteOptions opts;
      std::string policy = Param(req, "propagationPolicy");
      if (!req.body.empty()) {
        absl::StatusOr<Json> body = internal::ParseJson(req.body);
        if (!body.ok() || !body->is_object()) return SendError(res, ApiError(400, "BadRequest", "invalid DeleteOptions"));
        if (body->contains("propagationPolicy")) policy = internal::GetString(*body, "propagationPolicy");
        if (auto g = body->find("gracePeriodSeconds"); g != body->end() && g->is_number_integer()) {
          opts.grace_period_seconds = g->get<int64_t>();
        }
        if (auto p = body->find("preconditions"); p != body->end() && p->is_object()) {
          if (p->contains("uid")) opts.precondition_uid = internal::GetString(*p, "uid");
          if (p->contains("resourceVersion")) {
            opts.precondition_resource_version = internal::GetString(*p, "resourceVersion");
          }
        }
      }
      int64_t grace_param;
      if (absl::SimpleAtoi(Param(req, "gracePeriodSeconds"), &grace_param)) opts.grace_period_seconds = grace_param;
      if (policy == "Background") opts.propagation = Propagation::kBackground;
      if (policy == "Foreground") opts.propagation = Propagation::kForeground;
      if (policy == "Orphan") opts.propagation = Propagation::kOrphan;
      absl::Status s = cluster.Delete(t->resource, t->ns, t->name, opts);
      if (!s.ok()) return SendError(res, s);
      Json ok = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Success"},
                 {"details", {{"name", t->name}, {"group", std::string(t->resource.group)},
                              {"kind", std::string(t->resource.plural)}}}};
      res.status = 200;
      res.set_content(internal::Dump(ok), "application/json");
      return;
    }
    SendError(res, ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  }

  static void Reply(httplib::Response& res, int code, const absl::StatusOr<Object>& obj) {
    if (!obj.ok()) return SendError(res, obj.status());
    res.status = code;
    res.set_content(obj->json, "application/json");
  }

  void List(const Target& t, const httplib::Request& req, httplib::Response& res) {
    ListOptions o;
    o.label_selector = Param(req, "labelSelector");
    o.field_selector = Param(req, "fieldSelector");
    o.continue_token = Param(req, "continue");
    o.resource_version = Param(req, "resourceVersion");
    o.exact = Param(req, "resourceVersionMatch") == "Exact";
    if (!Param(req, "limit").empty() && !absl::SimpleAtoi(Param(req, "limit"), &o.limit)) {
      return SendError(res, ApiError(400, "BadRequest", "limit must be an integer"));
    }
    absl::StatusOr<ObjectList> list = cluster.List(t.resource, t.ns, o);
    if (!list.ok()) return SendError(res, list.status());
    Json meta = {{"resourceVersion", list->resource_version}};
    if (!list->continue_token.empty()) meta["continue"] = list->continue_token;
    if (list->remaining_item_count) meta["remainingItemCount"] = *list->remaining_item_count;
    std::string body = absl::StrCat(R"({"kind":")", t.resource.kind, R"(List","apiVersion":")",
                                    t.resource.ApiVersion(), R"(","metadata":)", internal::Dump(meta),
                                    R"(,"items":[)");
    for (size_t i = 0; i < list->items.size(); ++i) {
      if (i > 0) body.push_back(',');
      body.append(list->items[i].json);
    }
    body.append("]}");
    res.status = 200;
    res.set_content(body, "application/json");
  }

  void Watch(const Target& t, const httplib::Request& req, httplib::Response& res) {
    WatchOptions o;
    o.resource_version = Param(req, "resourceVersion");
    o.label_selector = Param(req, "labelSelector");
    o.field_selector = Param(req, "fieldSelector");
    o.allow_bookmarks = Param(req, "allowWatchBookmarks") == "true" || Param(req, "allowWatchBookmarks") == "1";
    int64_t secs = 0;
    if (absl::SimpleAtoi(Param(req, "timeoutSeconds"), &secs) && secs > 0) o.timeout = absl::Seconds(secs);
    absl::StatusOr<std::unique_ptr<WatchStream>> w = cluster.Watch(t.resource, t.ns, o);
    if (!w.ok()) return SendError(res, w.status());
    std::shared_ptr<WatchStream> stream(std::move(*w));
    res.status = 200;
    res.set_chunked_content_provider(
        "application/json",
        [this, stream](size_t, httplib::DataSink& sink) {
          while (!stopping.load()) {
            absl::StatusOr<WatchEvent> ev = stream->Next(absl::Milliseconds(100));
            if (absl::IsDeadlineExceeded(ev.status())) {
              if (!sink.is_writable()) return false;
              continue;
            }
            if (!ev.ok()) break;
            std::string line = absl::StrCat(R"({"type":")", WatchEventTypeName(ev->type), R"(","object":)",
                                            ev->object.json, "}\n");
            if (!sink.write(line.data(), line.size())) return false;
            return true;
          }
          sink.done();
          return true;
        },
        [stream](bool) { stream->Stop(); });
  }
};

MemoryApiServer::MemoryApiServer(MemoryCluster& cluster) : impl_(std::make_unique<Impl>(cluster)) {
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  impl_->server.set_tcp_nodelay(true);
  impl_->server.set_keep_alive_timeout(1);  // Stop() waits at most this long for idle clients
  // A real API server serves any number of requests on one connection (httplib closes after 5 by default,
  // which would make every client reconnect all the time).
  impl_->server.set_keep_alive_max_count(1000000);
  // The real API server's limits on what clients send: 3 MiB request bodies (413 with a Status), and
  // requests that stall are dropped instead of holding a worker.
  impl_->server.set_payload_max_length(kMaxRequestBytes);
  impl_->server.set_read_timeout(10, 0);
  impl_->server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      res.set_content(absl::StrCat(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)",
                                   R"("message":"Request entity too large: limit is )", kMaxRequestBytes,
                                   R"(","reason":"RequestEntityTooLarge","code":413})"),
                      "application/json");
    }
  });
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { impl_->Handle(req, res); };
  const char* all = R"(/.*)";
  impl_->server.Get(all, handler);
  impl_->server.Post(all, handler);
  impl_->server.Put(all, handler);
  impl_->server.Patch(all, handler);
  impl_->server.Delete(all, handler);
}

MemoryApiServer::~MemoryApiServer() { Stop(); }

absl::Status MemoryApiServer::Start(int port) {
  if (port == 0) {
    impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  } else {
    impl_->port = impl_->server.bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (impl_->port <= 0) return absl::UnavailableError("MemoryApiServer: cannot bind 127.0.0.1");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // A stop() that lands before the accept loop starts would be lost: wait until it runs.
  while (!impl_->server.is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::OkStatus();
}

void MemoryApiServer::Stop() {
  impl_->stopping.store(true);
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MemoryApiServer::port() const { return impl_->port; }

std::string MemoryApiServer::url() const { return absl::StrCat("http://127.0.0.1:", impl_->port); }

}  // namespace phalanx::kube
