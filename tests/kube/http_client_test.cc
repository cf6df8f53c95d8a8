// HttpClient against a loopback server replaying the real Kubernetes 1.36 bodies from the fixtures:
// objects, list pages, every error Status, retries (429 + Retry-After, 5xx, dropped connections), watch
// streams (bookmarks, 410 ERROR event, broken and split streams), patches, deletes, bindings, tokens.
#include "kube/http_client.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kube/config.h"
#include "kube/errors.h"
#include "kube/rate_limiter.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using ::phalanx::testing::StatusIs;
using ::testing::ElementsAre;
using Json = nlohmann::json;

std::string Fixture(const std::string& name) {
  return ::phalanx::testing::ReadFileOrDie(::phalanx::testing::FixturesDir() + "/api/" + name);
}

struct Seen {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;
  std::string body;
  std::string content_type;
  std::string authorization;
};

// A loopback HTTP server whose answers the test scripts; records every request.
class ReplayServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, int call)>;

  ReplayServer() {
    auto h = [this](const httplib::Request& req, httplib::Response& res) {
      int call;
      Handler handler;
      {
        absl::MutexLock lock(&mu_);
        Seen s{req.method, req.path, {}, req.body, req.get_header_value("Content-Type"),
               req.get_header_value("Authorization")};
        for (const auto& [k, v] : req.params) s.params[k] = v;
        seen_.push_back(s);
        call = static_cast<int>(seen_.size());
        handler = handler_;
      }
      handler(req, res, call);
    };
    svr_.Get(".*", h);
    svr_.Post(".*", h);
    svr_.Put(".*", h);
    svr_.Patch(".*", h);
    svr_.Delete(".*", h);
    svr_.set_tcp_nodelay(true);
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() before the loop runs would be lost; wait until it is running.
    while (!svr_.is_running()) absl::SleepFor(absl::Milliseconds(1));
  }
  ~ReplayServer() { Stop(); }
  void Stop() {
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Handle(Handler h) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(h);
  }
  std::vector<Seen> requests() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

void Json200(httplib::Response& res, const std::string& body, int code = 200) {
  res.status = code;
  res.set_content(body, "application/json");
}

// Serves `body` as a chunked stream, one chunk per `piece` bytes (0 = one chunk per line); if
// `cut_after` >= 0 the connection is dropped after that many bytes.
void Stream(httplib::Response& res, std::string body, size_t piece = 0, long cut_after = -1) {
  std::vector<std::string> chunks;
  if (piece == 0) {
    for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
      chunks.push_back(absl::StrCat(line, "\n"));
    }
  } else {
    for (size_t i = 0; i < body.size(); i += piece) chunks.push_back(body.substr(i, piece));
  }
  auto state = std::make_shared<std::pair<size_t, long>>(0, 0);
  res.status = 200;
  res.set_chunked_content_provider("application/json", [chunks, state, cut_after](size_t, httplib::DataSink& sink) {
    if (state->first == chunks.size()) {
      sink.done();
      return true;
    }
    std::string c = chunks[state->first++];
    if (cut_after >= 0 && state->second + static_cast<long>(c.size()) > cut_after) {
      c = c.substr(0, static_cast<size_t>(cut_after - state->second));
      if (!c.empty()) sink.write(c.data(), c.size());
      return false;  // drop the connection mid-stream
    }
    state->second += static_cast<long>(c.size());
    return sink.write(c.data(), c.size());
  });
}

class HttpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> MakeClient(RestConfig cfg = {}) {
    cfg.server = server_.url();
    if (cfg.bearer_token.empty() && cfg.token_file.empty()) cfg.bearer_token = "admin-token";
    cfg.initial_backoff = absl::Milliseconds(1);
    cfg.max_backoff = absl::Milliseconds(5);
    cfg.request_timeout = absl::Seconds(5);
    absl::StatusOr<std::unique_ptr<HttpClient>> c = HttpClient::Create(cfg);
    EXPECT_OK(c);
    return c.ok() ? *std::move(c) : nullptr;
  }
  ReplayServer server_;
};

TEST_F(HttpClientTest, GetDecodesTheRealJobHeader) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) {
    Json200(res, Fixture("get-job-owned-by-jobset.json"));
  });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(Object job, c->Get(kJobs, "default", "demo-workers-0"));
  Json jobset = Json::parse(Fixture("create-jobset.json"));
  EXPECT_EQ(job.kind, "Job");
  EXPECT_EQ(job.meta.name, "demo-workers-0");
  EXPECT_EQ(job.meta.namespace_, "default");
  ASSERT_NE(job.meta.ControllerRef(), nullptr);
  EXPECT_EQ(job.meta.ControllerRef()->kind, "JobSet");
  EXPECT_EQ(job.meta.ControllerRef()->uid, jobset["metadata"]["uid"]);
  EXPECT_TRUE(job.meta.ControllerRef()->block_owner_deletion);
  EXPECT_EQ(job.meta.labels.at("jobset.sigs.k8s.io/jobset-name"), "demo");
  std::vector<Seen> seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/apis/batch/v1/namespaces/default/jobs/demo-workers-0");
  EXPECT_EQ(seen[0].authorization, "Bearer admin-token");
}

TEST_F(HttpClientTest, ListFollowsContinueTokens) {
  Json p1 = Json::parse(Fixture("list-nodes-limit1-page1.json"));
  Json p2 = Json::parse(Fixture("list-nodes-limit1-page2.json"));
  server_.Handle([&](const httplib::Request& req, httplib::Response& res, int) {
    std::string cont = req.has_param("continue") ? req.get_param_value("continue") : "";
    if (cont.empty()) return Json200(res, Fixture("list-nodes-limit1-page1.json"));
    if (cont == p1["metadata"]["continue"]) return Json200(res, Fixture("list-nodes-limit1-page2.json"));
    if (cont == p2["metadata"]["continue"]) return Json200(res, Fixture("list-nodes-limit1-page3.json"));
    Json200(res, Fixture("list-jobsets-rv-exact-too-old.json"), 410);
  });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(ObjectList first, c->List(kNodes, "", ListOptions{.limit = 1}));
  EXPECT_EQ(first.resource_version, "331");
  EXPECT_EQ(first.remaining_item_count, 2);
  ASSERT_OK_AND_ASSIGN(ObjectList all, c->ListAll(kNodes, "", ListOptions{.limit = 1}));
  std::vector<std::string> names;
  for (const Object& o : all.items) names.push_back(o.meta.name);
  EXPECT_THAT(names, ElementsAre("tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"));
  std::vector<Seen> seen = server_.requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].path, "/api/v1/nodes");
  EXPECT_EQ(seen[1].params["limit"], "1");
  EXPECT_EQ(seen[2].params["continue"], p1["metadata"]["continue"]);
  ListOptions too_old;
  too_old.continue_token = "bogus";
  EXPECT_THAT(c->List(kNodes, "", too_old), StatusIs(absl::StatusCode::kOutOfRange));
}

struct ErrorCase {
  std::string file;
  int http;
  bool text;
  absl::StatusCode code;
  std::string reason;
};

TEST_F(HttpClientTest, ErrorStatusBodiesMapToCodes) {
  std::vector<ErrorCase> cases = {
      {"err-404-get-missing-job.json", 404, false, absl::StatusCode::kNotFound, "NotFound"},
      {"err-404-unknown-resource.txt", 404, true, absl::StatusCode::kNotFound, "NotFound"},
      {"err-409-already-exists.json", 409, false, absl::StatusCode::kAlreadyExists, "AlreadyExists"},
      {"err-409-conflict-stale-rv.json", 409, false, absl::StatusCode::kAborted, "Conflict"},
      {"err-409-lease-takeover-stale.json", 409, false, absl::StatusCode::kAborted, "Conflict"},
      {"err-409-binding-already-bound.json", 409, false, absl::StatusCode::kAborted, "Conflict"},
      {"err-422-invalid-name.json", 422, false, absl::StatusCode::kInvalidArgument, "Invalid"},
      {"err-422-jsonpatch-test-failed.json", 422, false, absl::StatusCode::kInvalidArgument, "Invalid"},
      {"err-400-malformed-json.json", 400, false, absl::StatusCode::kInvalidArgument, "BadRequest"},
      {"err-415-patch-wrong-content-type.json", 415, false, absl::StatusCode::kInvalidArgument,
       "UnsupportedMediaType"},
      {"err-401-bad-token.json", 401, false, absl::StatusCode::kUnauthenticated, "Unauthorized"},
      {"err-403-forbidden.json", 403, false, absl::StatusCode::kPermissionDenied, "Forbidden"},
      {"err-405-method-not-allowed.json", 405, false, absl::StatusCode::kUnimplemented, "MethodNotAllowed"},
      {"list-jobsets-rv-exact-too-old.json", 410, false, absl::StatusCode::kOutOfRange, "Expired"},
      {"err-429-eviction-blocked-by-pdb.json", 429, false, absl::StatusCode::kResourceExhausted, "TooManyRequests"},
  };
  for (const ErrorCase& ec : cases) {
    SCOPED_TRACE(ec.file);
    std::string body = Fixture(ec.file);
    server_.Handle([&](const httplib::Request&, httplib::Response& res, int) {
      res.status = ec.http;
      res.set_content(body, ec.text ? "text/plain; charset=utf-8" : "application/json");
    });
    auto c = MakeClient();
    absl::StatusOr<Object> got = c->Get(kJobs, "default", "x");
    EXPECT_THAT(got, StatusIs(ec.code));
    EXPECT_EQ(ReasonOf(got.status()), ec.reason);
    if (!ec.text) {
      EXPECT_EQ(got.status().message(), Json::parse(body)["message"].get<std::string>());
    }
    EXPECT_EQ(HttpCodeFor(got.status()), ec.http);
  }
  // None of these was retried (no Retry-After; 4xx).
  EXPECT_EQ(server_.requests().size(), cases.size());
}

TEST_F(HttpClientTest, RetriesHonourRetryAfterAnd5xx) {
  RestConfig cfg;
  cfg.max_retry_after = absl::Milliseconds(10);  // the server asks 1 s; capped for the test
  // 429 with Retry-After, then success.
  server_.Handle([](const httplib::Request&, httplib::Response& res, int call) {
    if (call == 1) {
      res.set_header("Retry-After", "1");
      return Json200(res, Fixture("err-429-eviction-blocked-by-pdb.json"), 429);
    }
    Json200(res, Fixture("get-job-owned-by-jobset.json"));
  });
  auto c = MakeClient(cfg);
  EXPECT_OK(c->Get(kJobs, "default", "demo-workers-0"));
  EXPECT_EQ(server_.requests().size(), 2u);

  // 503 without Retry-After: a GET is retried, a POST is not (it may have been applied).
  server_.Handle([](const httplib::Request& req, httplib::Response& res, int call) {
    if (req.method == "POST" || call < 5) {
      res.status = 503;
      return res.set_content("service unavailable", "text/plain");
    }
    Json200(res, Fixture("get-job-owned-by-jobset.json"));
  });
  EXPECT_OK(c->Get(kJobs, "default", "demo-workers-0"));
  EXPECT_EQ(server_.requests().size(), 5u);
  EXPECT_THAT(c->Create(kJobs, "default", Fixture("create-job-scratch.request.json")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server_.requests().size(), 6u);

  // Retries are bounded.
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) { res.status = 500; });
  EXPECT_THAT(c->Get(kJobs, "default", "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server_.requests().size(), 6u + 1 + cfg.max_retries);
}

TEST_F(HttpClientTest, DroppedConnectionIsRetriedForGet) {
  std::string job = Fixture("get-job-owned-by-jobset.json");
  server_.Handle([&](const httplib::Request&, httplib::Response& res, int call) {
    if (call == 1) {
      res.set_content_provider(job.size(), "application/json", [&](size_t, size_t, httplib::DataSink& sink) {
        sink.write(job.data(), 10);
        return false;  // connection dropped after 10 bytes
      });
      return;
    }
    Json200(res, job);
  });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(Object o, c->Get(kJobs, "default", "demo-workers-0"));
  EXPECT_EQ(o.meta.name, "demo-workers-0");
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(HttpClientTest, NoServerIsUnavailable) {
  auto c = MakeClient();
  server_.Stop();
  EXPECT_THAT(c->Get(kJobs, "default", "x"), StatusIs(absl::StatusCode::kUnavailable));
}

std::vector<WatchEvent> DrainAll(WatchStream& w, absl::Status* end) {
  std::vector<WatchEvent> out;
  while (true) {
    absl::StatusOr<WatchEvent> ev = w.Next(absl::Seconds(5));
    if (!ev.ok()) {
      *end = ev.status();
      return out;
    }
    out.push_back(*std::move(ev));
  }
}

TEST_F(HttpClientTest, WatchReplaysRealStreamWithBookmark) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) { Stream(res, Fixture("watch-jobsets.jsonl")); });
  auto c = MakeClient();
  WatchOptions o;
  o.resource_version = "288";
  o.timeout = absl::Seconds(10);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c->Watch(kJobSets, "default", o));
  absl::Status end;
  std::vector<WatchEvent> evs = DrainAll(*w, &end);
  EXPECT_THAT(end, StatusIs(absl::StatusCode::kUnavailable));
  std::vector<std::string> got;
  for (const WatchEvent& e : evs) {
    got.push_back(absl::StrCat(WatchEventTypeName(e.type), " ", e.object.meta.name, " ", e.object.meta.resource_version));
  }
  EXPECT_THAT(got, ElementsAre("ADDED demo 302", "ADDED scratch 317", "MODIFIED demo 318", "MODIFIED demo 319",
                               "DELETED scratch 326", "BOOKMARK  326"));
  std::vector<Seen> seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets");
  EXPECT_EQ(seen[0].params["watch"], "1");
  EXPECT_EQ(seen[0].params["resourceVersion"], "288");
  EXPECT_EQ(seen[0].params["allowWatchBookmarks"], "true");
  EXPECT_EQ(seen[0].params["timeoutSeconds"], "10");
}

TEST_F(HttpClientTest, WatchSplitAcrossOddChunks) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) { Stream(res, Fixture("watch-pods.jsonl"), 7); });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c->Watch(kPods, "default", WatchOptions{.resource_version = "300"}));
  absl::Status end;
  std::vector<WatchEvent> evs = DrainAll(*w, &end);
  ASSERT_EQ(evs.size(), 10u);
  EXPECT_EQ(evs[8].type, WatchEventType::kDeleted);
  EXPECT_EQ(evs[8].object.meta.name, "scratch-pod");
  EXPECT_EQ(evs[9].type, WatchEventType::kBookmark);
}

TEST_F(HttpClientTest, WatchExpiredIsAnErrorEvent) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) { Stream(res, Fixture("watch-jobsets-rv1-gone.jsonl")); });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c->Watch(kJobSets, "default", WatchOptions{.resource_version = "1"}));
  absl::Status end;
  std::vector<WatchEvent> evs = DrainAll(*w, &end);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, WatchEventType::kError);
  EXPECT_THAT(evs[0].error, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(evs[0].error.message(), "too old resource version: 1 (278)");
}

TEST_F(HttpClientTest, BrokenWatchStreamDeliversWholeEventsThenEnds) {
  std::string body = Fixture("watch-jobs-foreground-delete.jsonl");
  size_t second_line_end = body.find('\n', body.find('\n') + 1) + 1;
  server_.Handle([&](const httplib::Request&, httplib::Response& res, int) {
    Stream(res, body, 0, static_cast<long>(second_line_end + 40));  // cut inside the third event
  });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c->Watch(kJobs, "default", WatchOptions{.resource_version = "385"}));
  absl::Status end;
  std::vector<WatchEvent> evs = DrainAll(*w, &end);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_THAT(evs[0].object.meta.finalizers, ElementsAre("foregroundDeletion"));
  EXPECT_TRUE(evs[0].object.meta.deletion_timestamp.has_value());
  EXPECT_FALSE(end.ok());
  EXPECT_NE(end.code(), absl::StatusCode::kCancelled);
}

TEST_F(HttpClientTest, WatchRefusedIsAnError) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) {
    Json200(res, Fixture("err-403-forbidden.json"), 403);
  });
  auto c = MakeClient();
  EXPECT_THAT(c->Watch(kPods, "default", WatchOptions{}), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(HttpClientTest, WatchStopEndsAnIdleStream) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) {
    res.status = 200;
    res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
      absl::SleepFor(absl::Milliseconds(20));  // an idle watch: nothing to send
      return sink.is_writable();
    });
  });
  auto c = MakeClient();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c->Watch(kPods, "default", WatchOptions{}));
  EXPECT_THAT(w->Next(absl::Milliseconds(50)), StatusIs(absl::StatusCode::kDeadlineExceeded));
  w->Stop();
  EXPECT_THAT(w->Next(absl::Milliseconds(50)), StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(HttpClientTest, PatchesSendTheirContentTypes) {
  struct Case {
    PatchType type;
    std::string request;
    std::string response;
    std::string content_type;
  };
  std::vector<Case> cases = {
      {PatchType::kMerge, "patch-pod-remove-gate-merge", "", "application/merge-patch+json"},
      {PatchType::kJson, "patch-pod-remove-gate-jsonpatch", "", "application/json-patch+json"},
      {PatchType::kStrategicMerge, "patch-pod-remove-gate-strategic", "", "application/strategic-merge-patch+json"},
  };
  auto c = MakeClient();
  for (const Case& pc : cases) {
    SCOPED_TRACE(pc.request);
    server_.Handle([&](const httplib::Request&, httplib::Response& res, int) { Json200(res, Fixture(pc.request + ".json")); });
    std::string patch = Fixture(pc.request + ".request.json");
    Json resp = Json::parse(Fixture(pc.request + ".json"));
    std::string name = resp["metadata"]["name"];
    ASSERT_OK_AND_ASSIGN(Object o, c->Patch(kPods, "default", name, pc.type, patch));
    EXPECT_EQ(o.meta.name, name);
    Seen s = server_.requests().back();
    EXPECT_EQ(s.method, "PATCH");
    EXPECT_EQ(s.path, "/api/v1/namespaces/default/pods/" + name);
    EXPECT_EQ(s.content_type, pc.content_type);
    EXPECT_EQ(s.body, patch);
  }
}

TEST_F(HttpClientTest, DeleteSendsDeleteOptionsAndStatusPutsGoToStatus) {
  server_.Handle([](const httplib::Request& req, httplib::Response& res, int) {
    if (req.method == "DELETE") return Json200(res, Fixture("delete-job-foreground.json"));
    Json200(res, Fixture("put-jobset-status.json"));
  });
  auto c = MakeClient();
  DeleteOptions o;
  o.propagation = Propagation::kForeground;
  o.precondition_uid = "u-1";
  ASSERT_OK(c->Delete(kJobs, "default", "demo-workers-0", o));
  Seen del = server_.requests().back();
  EXPECT_EQ(del.path, "/apis/batch/v1/namespaces/default/jobs/demo-workers-0");
  Json body = Json::parse(del.body);
  Json want = Json::parse(Fixture("delete-job-foreground.request.json"));
  for (const auto& [k, v] : want.items()) EXPECT_EQ(body[k], v) << k;
  EXPECT_EQ(body["preconditions"]["uid"], "u-1");

  ASSERT_OK_AND_ASSIGN(Object js, c->UpdateStatus(kJobSets, "default", Fixture("put-jobset-status.request.json")));
  Seen put = server_.requests().back();
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.path, "/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets/demo/status");
  EXPECT_EQ(js.meta.name, "demo");
}

TEST_F(HttpClientTest, BindingPostsToThePodsSubresource) {
  server_.Handle([](const httplib::Request&, httplib::Response& res, int call) {
    if (call == 1) return Json200(res, Fixture("post-binding.json"), 201);
    Json200(res, Fixture("err-409-binding-already-bound.json"), 409);
  });
  auto c = MakeClient();
  std::string binding = Fixture("post-binding.request.json");
  ASSERT_OK_AND_ASSIGN(Object st, c->Create(kPodsBinding, "default", binding));
  EXPECT_EQ(st.kind, "Status");
  EXPECT_EQ(server_.requests().back().path, "/api/v1/namespaces/default/pods/unscheduled-pod/binding");
  EXPECT_THAT(c->Create(kPodsBinding, "default", binding), StatusIs(absl::StatusCode::kAborted));
}

TEST_F(HttpClientTest, TokenFileIsReReadWhenRotated) {
  std::string path = ::testing::TempDir() + "/kube-token";
  { std::ofstream(path) << "first\n"; }
  server_.Handle([](const httplib::Request&, httplib::Response& res, int) { Json200(res, Fixture("get-jobset.json")); });
  RestConfig cfg;
  cfg.token_file = path;
  auto c = MakeClient(cfg);
  ASSERT_OK(c->Get(kJobSets, "default", "demo").status());
  EXPECT_EQ(server_.requests().back().authorization, "Bearer first");
  absl::SleepFor(absl::Milliseconds(20));  // a distinct modification time
  { std::ofstream(path) << "second\n"; }
  ASSERT_OK(c->Get(kJobSets, "default", "demo").status());
  EXPECT_EQ(server_.requests().back().authorization, "Bearer second");
}

TEST(KubeConfigTest, LoadsContextClusterAndUser) {
  std::string dir = ::testing::TempDir();
  { std::ofstream(dir + "/client.crt") << "CERT"; }
  std::string kc = absl::StrCat(R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: )", absl::Base64Escape("CA-PEM"), R"(
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team}
- name: other
  context: {cluster: c1, user: u2}
users:
- name: u1
  user:
    token: abc
    client-certificate: client.crt
    client-key-data: )", absl::Base64Escape("KEY"), R"(
- name: u2
  user: {tokenFile: tok}
)");
  { std::ofstream(dir + "/kubeconfig") << kc; }
  ASSERT_OK_AND_ASSIGN(RestConfig cfg, LoadKubeconfig(dir + "/kubeconfig"));
  EXPECT_EQ(cfg.server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg.namespace_, "team");
  EXPECT_EQ(cfg.ca_pem, "CA-PEM");
  EXPECT_EQ(cfg.bearer_token, "abc");
  EXPECT_EQ(cfg.client_cert_pem, "CERT");
  EXPECT_EQ(cfg.client_key_pem, "KEY");
  EXPECT_EQ(cfg.qps, 500);
  EXPECT_EQ(cfg.burst, 500);
  ASSERT_OK_AND_ASSIGN(RestConfig other, LoadKubeconfig(dir + "/kubeconfig", "other"));
  EXPECT_EQ(other.token_file, dir + "/tok");
  EXPECT_THAT(LoadKubeconfig(dir + "/kubeconfig", "nope"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadKubeconfig(dir + "/missing"), StatusIs(absl::StatusCode::kNotFound));
  // Unreadable files say why.
  EXPECT_EQ(LoadKubeconfig(dir + "/missing").status().message(),
            "cannot open " + dir + "/missing: No such file or directory");
  EXPECT_EQ(LoadKubeconfig(dir).status().message(), "cannot open " + dir + ": Is a directory");
}

TEST(KubeConfigTest, InClusterFromServiceAccountDir) {
  std::string dir = ::testing::TempDir();
  { std::ofstream(dir + "/token") << "sa-token"; }
  { std::ofstream(dir + "/ca.crt") << "CA"; }
  { std::ofstream(dir + "/namespace") << "jobset-system\n"; }
  ASSERT_OK_AND_ASSIGN(RestConfig cfg, InClusterConfigFrom("10.96.0.1", "443", dir));
  EXPECT_EQ(cfg.server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg.token_file, dir + "/token");
  EXPECT_EQ(cfg.ca_pem, "CA");
  EXPECT_EQ(cfg.namespace_, "jobset-system");
  EXPECT_THAT(InClusterConfigFrom("", "", dir), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RateLimiterTest, BurstThenRefill) {
  RateLimiter rl(/*qps=*/0.001, /*burst=*/3);  // refills one token per ~17 minutes
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_FALSE(rl.TryAcquire());
  RateLimiter unlimited(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.TryAcquire());
}

// Found by fuzz/kubeconfig_fuzzer: a kubeconfig whose document is not a mapping (or whose lists hold
// scalars) made yaml-cpp throw from a subscript and ended the process.
TEST(KubeConfigTest, ShapesThatAreNotMappingsAreErrorsNotCrashes) {
  const std::string path = ::testing::TempDir() + "/kubeconfig-shapes-" + std::to_string(getpid());
  for (const char* text : {"just a scalar", "- a\n- b\n", "current-context: x\ncontexts: [1, [2], x]\n",
                           "current-context: x\ncontexts:\n- name: x\n  context: 5\nclusters: [3]\n"}) {
    { std::ofstream(path) << text; }
    EXPECT_THAT(LoadKubeconfig(path), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace phalanx::kube

namespace phalanx::kube {
namespace {

// HTTPS with a CA made at test time by certs/make-certs.sh: the client trusts the configured CA (as from
// a kubeconfig's certificate-authority-data) and refuses a server it cannot verify.
TEST(HttpClientTlsTest, VerifiesTheServerAgainstTheConfiguredCa) {
  std::string dir = ::testing::TempDir() + "/kube-tls";
  std::string cmd = absl::StrCat(::phalanx::testing::SourceDir(), "/certs/make-certs.sh --out ", dir,
                                 " --ip 127.0.0.1 --dns localhost > /dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  httplib::SSLServer svr((dir + "/tls.crt").c_str(), (dir + "/tls.key").c_str());
  ASSERT_TRUE(svr.is_valid());
  std::string auth;
  svr.Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    auth = req.get_header_value("Authorization");
    res.set_content(Fixture("get-jobset.json"), "application/json");
  });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&] { svr.listen_after_bind(); });
  while (!svr.is_running()) absl::SleepFor(absl::Milliseconds(1));

  RestConfig cfg;
  cfg.server = absl::StrCat("https://127.0.0.1:", port);
  cfg.ca_pem = ::phalanx::testing::ReadFileOrDie(dir + "/ca.crt");
  cfg.bearer_token = "tls-token";
  cfg.max_retries = 0;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> c, HttpClient::Create(cfg));
  ASSERT_OK_AND_ASSIGN(Object js, c->Get(kJobSets, "default", "demo"));
  EXPECT_EQ(js.meta.name, "demo");
  EXPECT_EQ(auth, "Bearer tls-token");

  RestConfig untrusted = cfg;
  untrusted.ca_pem.clear();  // system store: does not know our CA
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpClient> u, HttpClient::Create(untrusted));
  EXPECT_THAT(u->Get(kJobSets, "default", "demo"), StatusIs(absl::StatusCode::kUnavailable));
  RestConfig bad_ca = cfg;
  bad_ca.ca_pem = "not a certificate";
  EXPECT_THAT(HttpClient::Create(bad_ca), StatusIs(absl::StatusCode::kInvalidArgument));
  c.reset();  // close kept-alive connections so the server stops at once
  u.reset();
  svr.stop();
  t.join();
}

}  // namespace
}  // namespace phalanx::kube
