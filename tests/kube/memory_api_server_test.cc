// MemoryApiServer's wire: the same paths, bodies and errors as the real API server's (fixtures), as seen
// by a plain HTTP client.
#include "kube/memory_api_server.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using Json = nlohmann::json;

std::string Fixture(const std::string& name) {
  return ::phalanx::testing::ReadFileOrDie(::phalanx::testing::FixturesDir() + "/api/" + name);
}

class MemoryApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(server_.Start());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
  }
  void TearDown() override {
    http_.reset();
    server_.Stop();
  }
  MemoryCluster cluster_;
  MemoryApiServer server_{cluster_};
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(MemoryApiServerTest, ServesTheRealRequestsWithTheRealShapes) {
  auto created = http_->Post("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets",
                             Fixture("create-jobset.request.json"), "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  Json js = Json::parse(created->body);
  EXPECT_EQ(js["kind"], "JobSet");
  EXPECT_EQ(js["metadata"]["generation"], 1);

  auto again = http_->Post("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets",
                           Fixture("create-jobset.request.json"), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  Json st = Json::parse(again->body);
  Json real = Json::parse(Fixture("err-409-already-exists.json"));
  for (const char* k : {"kind", "apiVersion", "status", "reason", "code"}) EXPECT_EQ(st[k].type(), real[k].type()) << k;
  EXPECT_EQ(st["reason"], "AlreadyExists");
  EXPECT_EQ(st["details"]["name"], "demo");

  auto patched = http_->Patch("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets/demo",
                              Fixture("patch-jobset-spec.request.json"), "application/merge-patch+json");
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->status, 200);
  EXPECT_EQ(Json::parse(patched->body)["metadata"]["generation"], 2);

  auto wrong_type = http_->Patch("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets/demo", "{}",
                                 "application/json");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 415);
  EXPECT_EQ(Json::parse(wrong_type->body)["reason"], "UnsupportedMediaType");

  auto list = http_->Get("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets?limit=1");
  ASSERT_TRUE(list);
  Json l = Json::parse(list->body);
  EXPECT_EQ(l["kind"], "JobSetList");
  EXPECT_EQ(l["apiVersion"], "jobset.x-k8s.io/v1alpha2");
  EXPECT_EQ(l["items"].size(), 1u);

  auto unknown = http_->Get("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/widgets");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body, Fixture("err-404-unknown-resource.txt"));

  auto post_named = http_->Post("/api/v1/namespaces/default/pods/x", "{}", "application/json");
  ASSERT_TRUE(post_named);
  EXPECT_EQ(post_named->status, 405);

  auto del = http_->Delete("/apis/jobset.x-k8s.io/v1alpha2/namespaces/default/jobsets/demo",
                           Fixture("delete-job-foreground.request.json"), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
}

TEST_F(MemoryApiServerTest, WatchStreamIsOneEventPerLineEndingWithBookmark) {
  ASSERT_OK(cluster_.Create(kNodes, "", R"({"metadata":{"name":"n1"}})").status());
  std::string body;
  auto res = http_->Get("/api/v1/nodes?watch=1&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1",
                        [&](const char* data, size_t n) {
                          body.append(data, n);
                          return true;
                        });
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Transfer-Encoding"), "chunked");
  std::vector<std::string> types;
  std::stringstream ss(body);
  for (std::string line; std::getline(ss, line);) types.push_back(Json::parse(line)["type"]);
  EXPECT_THAT(types, ::testing::ElementsAre("ADDED", "BOOKMARK"));
}

TEST_F(MemoryApiServerTest, DiscoveryAndVersion) {
  auto v = http_->Get("/version");
  ASSERT_TRUE(v);
  EXPECT_EQ(Json::parse(v->body)["minor"], "36");
  auto batch = http_->Get("/apis/batch/v1");
  ASSERT_TRUE(batch);
  Json doc = Json::parse(batch->body);
  EXPECT_EQ(doc["kind"], "APIResourceList");
  std::vector<std::string> names;
  for (const Json& r : doc["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("jobs", "jobs/status"));
  auto groups = http_->Get("/apis");
  ASSERT_TRUE(groups);
  EXPECT_NE(groups->body.find("jobset.x-k8s.io"), std::string::npos);
}

TEST_F(MemoryApiServerTest, AnOversizedBodyIsRefusedAndServingGoesOn) {
  std::string big = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":")";
  big.append(4 << 20, 'x');
  big += "\"}}";
  auto r = http_->Post("/api/v1/namespaces/default/configmaps", big, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("limit is 3145728"), std::string::npos) << r->body;
  auto v = http_->Get("/version");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200);
}

}  // namespace
}  // namespace phalanx::kube
