// One behaviour suite for kube::Client, run against MemoryCluster directly and through
// MemoryApiServer + HttpClient: both must show the API server's semantics.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/client.h"
#include "kube/errors.h"
#include "kube/memory_cluster.h"
#include "nlohmann/json.hpp"
#include "tests/kube/conformance_backends.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using ::phalanx::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;
using Json = nlohmann::json;

Json J(const std::string& s) { return Json::parse(s); }

std::string Pod(const std::string& name, const std::string& labels = "{}") {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name, R"(","labels":)", labels,
                      R"(},"spec":{"containers":[{"name":"c","image":"i"}]}})");
}

std::string JobSet(const std::string& name) {
  return absl::StrCat(R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","metadata":{"name":")", name,
                      R"("},"spec":{"replicatedJobs":[{"name":"w","replicas":1}]},"status":{"restarts":7}})");
}

std::string Owned(const std::string& kind_json, const std::string& name, const Object& owner, bool block) {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","ownerReferences":[{"apiVersion":")",
                      owner.api_version, R"(","kind":")", owner.kind, R"(","name":")", owner.meta.name,
                      R"(","uid":")", owner.meta.uid, R"(","controller":true,"blockOwnerDeletion":)",
                      block ? "true" : "false", "}]},", kind_json, "}");
}

enum class Kind { kMemory, kHttp };

class ClientConformanceTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    backend_ = GetParam() == Kind::kMemory ? testing::MakeMemoryBackend() : testing::MakeHttpBackend();
  }
  Client& c() { return backend_->client(); }
  MemoryCluster& cluster() { return backend_->cluster(); }

  std::unique_ptr<testing::Backend> backend_;
};

TEST_P(ClientConformanceTest, CreateGetAndAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(Object created, c().Create(kPods, "default", Pod("p1")));
  EXPECT_EQ(created.meta.name, "p1");
  EXPECT_EQ(created.meta.namespace_, "default");
  EXPECT_FALSE(created.meta.uid.empty());
  EXPECT_FALSE(created.meta.resource_version.empty());
  EXPECT_EQ(created.meta.generation, 1);
  EXPECT_EQ(J(created.json)["status"]["phase"], "Pending");
  ASSERT_OK_AND_ASSIGN(Object got, c().Get(kPods, "default", "p1"));
  EXPECT_EQ(got.meta.uid, created.meta.uid);
  EXPECT_EQ(got.meta.resource_version, created.meta.resource_version);
  absl::StatusOr<Object> again = c().Create(kPods, "default", Pod("p1"));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReasonOf(again.status()), "AlreadyExists");
  EXPECT_THAT(c().Get(kPods, "default", "nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c().Get(kPods, "other", "p1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, GenerateNameAndInvalidName) {
  ASSERT_OK_AND_ASSIGN(Object a, c().Create(kPods, "default", R"({"metadata":{"generateName":"w-"},"spec":{}})"));
  ASSERT_OK_AND_ASSIGN(Object b, c().Create(kPods, "default", R"({"metadata":{"generateName":"w-"},"spec":{}})"));
  EXPECT_THAT(a.meta.name, ::testing::MatchesRegex("w-[bcdfghjklmnpqrstvwxz2456789]{5}"));
  EXPECT_NE(a.meta.name, b.meta.name);
  absl::StatusOr<Object> bad = c().Create(kJobs, "default", R"({"metadata":{"name":"Bad_Name"},"spec":{}})");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ReasonOf(bad.status()), "Invalid");
}

TEST_P(ClientConformanceTest, UpdateConflictsOnStaleResourceVersion) {
  ASSERT_OK_AND_ASSIGN(Object v1, c().Create(kJobSets, "default", JobSet("js")));
  Json body = J(v1.json);
  body["metadata"]["labels"] = {{"a", "1"}};
  ASSERT_OK_AND_ASSIGN(Object v2, c().Update(kJobSets, "default", body.dump()));
  EXPECT_NE(v2.meta.resource_version, v1.meta.resource_version);
  EXPECT_EQ(v2.meta.generation, 1) << "metadata-only change keeps generation";
  body["metadata"]["labels"] = {{"a", "2"}};  // still carries v1's resourceVersion
  absl::StatusOr<Object> stale = c().Update(kJobSets, "default", body.dump());
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(ReasonOf(stale.status()), "Conflict");
  // A no-op update keeps the resourceVersion.
  ASSERT_OK_AND_ASSIGN(Object same, c().Update(kJobSets, "default", v2.json));
  EXPECT_EQ(same.meta.resource_version, v2.meta.resource_version);
}

TEST_P(ClientConformanceTest, StatusSubresourceAndGeneration) {
  ASSERT_OK_AND_ASSIGN(Object v1, c().Create(kJobSets, "default", JobSet("js")));
  EXPECT_FALSE(J(v1.json).contains("status")) << "status dropped on create";
  Json st = J(v1.json);
  st["status"] = {{"restarts", 1}};
  st["spec"]["suspend"] = true;  // ignored by a status write
  ASSERT_OK_AND_ASSIGN(Object v2, c().UpdateStatus(kJobSets, "default", st.dump()));
  EXPECT_EQ(J(v2.json)["status"]["restarts"], 1);
  EXPECT_FALSE(J(v2.json)["spec"].contains("suspend"));
  EXPECT_EQ(v2.meta.generation, 1);
  Json spec = J(v2.json);
  spec["spec"]["suspend"] = true;
  spec["status"] = {{"restarts", 99}};  // ignored by a main-resource write
  ASSERT_OK_AND_ASSIGN(Object v3, c().Update(kJobSets, "default", spec.dump()));
  EXPECT_EQ(v3.meta.generation, 2);
  EXPECT_EQ(J(v3.json)["status"]["restarts"], 1);
  ASSERT_OK_AND_ASSIGN(Object v4, c().Patch(kJobSetsStatus, "default", "js", PatchType::kMerge,
                                            R"({"status":{"restarts":2}})"));
  EXPECT_EQ(J(v4.json)["status"]["restarts"], 2);
  EXPECT_EQ(v4.meta.generation, 2);
}

TEST_P(ClientConformanceTest, ListWithLabelSelectorsAndPages) {
  ASSERT_OK(c().Create(kPods, "default", Pod("a", R"({"app":"x","tier":"1"})")).status());
  ASSERT_OK(c().Create(kPods, "default", Pod("b", R"({"app":"y"})")).status());
  ASSERT_OK(c().Create(kPods, "default", Pod("c", R"({"app":"x","tier":"2"})")).status());
  ASSERT_OK(c().Create(kPods, "other", Pod("d", R"({"app":"x"})")).status());
  auto names = [&](std::string ns, std::string sel) {
    std::vector<std::string> out;
    ListOptions o;
    o.label_selector = sel;
    absl::StatusOr<ObjectList> l = c().List(kPods, ns, o);
    EXPECT_OK(l);
    if (l.ok()) {
      for (const Object& i : l->items) out.push_back(i.meta.name);
    }
    return out;
  };
  EXPECT_THAT(names("default", ""), ElementsAre("a", "b", "c"));
  EXPECT_THAT(names("", "app=x"), ElementsAre("a", "c", "d"));
  EXPECT_THAT(names("default", "app==x,tier!=1"), ElementsAre("c"));
  EXPECT_THAT(names("default", "app in (x,y),!tier"), ElementsAre("b"));
  EXPECT_THAT(names("default", "tier notin (1)"), ElementsAre("b", "c"));
  EXPECT_THAT(names("default", "tier"), ElementsAre("a", "c"));
  ListOptions bad;
  bad.label_selector = "a in b";
  EXPECT_THAT(c().List(kPods, "", bad), StatusIs(absl::StatusCode::kInvalidArgument));

  ListOptions page;
  page.limit = 2;
  ASSERT_OK_AND_ASSIGN(ObjectList p1, c().List(kPods, "", page));
  EXPECT_THAT(p1.items, SizeIs(2));
  EXPECT_FALSE(p1.continue_token.empty());
  EXPECT_EQ(p1.remaining_item_count, 2);
  page.continue_token = p1.continue_token;
  ASSERT_OK_AND_ASSIGN(ObjectList p2, c().List(kPods, "", page));
  EXPECT_THAT(p2.items, SizeIs(2));
  EXPECT_TRUE(p2.continue_token.empty());
  EXPECT_EQ(p2.items[1].meta.name, "d");
  ASSERT_OK_AND_ASSIGN(ObjectList all, c().ListAll(kPods, "", ListOptions{.limit = 1}));
  EXPECT_THAT(all.items, SizeIs(4));

  ListOptions fields;
  fields.field_selector = "metadata.name=b";
  ASSERT_OK_AND_ASSIGN(ObjectList fl, c().List(kPods, "default", fields));
  ASSERT_THAT(fl.items, SizeIs(1));
  EXPECT_EQ(fl.items[0].meta.name, "b");

  // A continue token from before a compaction is too old.
  cluster().Compact();
  ASSERT_OK(c().Create(kPods, "default", Pod("e")).status());
  cluster().Compact();
  EXPECT_THAT(c().List(kPods, "", page), StatusIs(absl::StatusCode::kOutOfRange));
  ListOptions exact;
  exact.resource_version = p1.resource_version;
  exact.exact = true;
  EXPECT_THAT(c().List(kPods, "", exact), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_P(ClientConformanceTest, PatchesOfEachContentType) {
  ASSERT_OK(c().Create(kPods, "default",
                       R"({"metadata":{"name":"g"},"spec":{"schedulingGates":[{"name":"example.com/gate"},)"
                       R"({"name":"other"}],"containers":[{"name":"c","image":"i"}]}})")
                .status());
  ASSERT_OK_AND_ASSIGN(Object smp, c().Patch(kPods, "default", "g", PatchType::kStrategicMerge,
                                             R"({"spec":{"schedulingGates":[{"$patch":"delete","name":)"
                                             R"("example.com/gate"}],"nodeSelector":{"pool":"b"}}})"));
  EXPECT_EQ(J(smp.json)["spec"]["schedulingGates"], J(R"([{"name":"other"}])"));
  EXPECT_EQ(J(smp.json)["spec"]["nodeSelector"]["pool"], "b");
  ASSERT_OK_AND_ASSIGN(Object jp, c().Patch(kPods, "default", "g", PatchType::kJson,
                                            R"([{"op":"test","path":"/spec/schedulingGates/0/name","value":"other"},)"
                                            R"({"op":"remove","path":"/spec/schedulingGates"}])"));
  EXPECT_FALSE(J(jp.json)["spec"].contains("schedulingGates"));
  absl::StatusOr<Object> failed =
      c().Patch(kPods, "default", "g", PatchType::kJson, R"([{"op":"test","path":"/spec/nodeName","value":"x"}])");
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInvalidArgument));
  // Merge patch: null deletes a member.
  ASSERT_OK_AND_ASSIGN(Object mp, c().Patch(kPods, "default", "g", PatchType::kMerge,
                                            R"({"metadata":{"labels":{"k":"v"},"annotations":{"a":"b"}}})"));
  ASSERT_OK_AND_ASSIGN(mp, c().Patch(kPods, "default", "g", PatchType::kMerge, R"({"metadata":{"annotations":null}})"));
  EXPECT_EQ(mp.meta.labels.at("k"), "v");
  EXPECT_FALSE(J(mp.json)["metadata"].contains("annotations"));
  // The API server's pod update rules: a nodeSelector is never removed.
  EXPECT_THAT(c().Patch(kPods, "default", "g", PatchType::kMerge, R"({"spec":{"nodeSelector":null}})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A patch that names a stale resourceVersion conflicts.
  absl::StatusOr<Object> stale = c().Patch(kPods, "default", "g", PatchType::kMerge,
                                           absl::StrCat(R"({"metadata":{"resourceVersion":")",
                                                        smp.meta.resource_version, R"("}})"));
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(c().Patch(kPods, "default", "missing", PatchType::kMerge, "{}"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, FinalizersHoldDeletion) {
  ASSERT_OK(c().Create(kPods, "default", R"({"metadata":{"name":"f","finalizers":["x/y"]},"spec":{}})").status());
  ASSERT_OK(c().Delete(kPods, "default", "f"));
  ASSERT_OK_AND_ASSIGN(Object deleting, c().Get(kPods, "default", "f"));
  EXPECT_TRUE(deleting.meta.deletion_timestamp.has_value());
  Json body = J(deleting.json);
  body["metadata"]["finalizers"].push_back("new/one");
  EXPECT_THAT(c().Update(kPods, "default", body.dump()), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(c().Patch(kPods, "default", "f", PatchType::kMerge, R"({"metadata":{"finalizers":null}})").status());
  EXPECT_THAT(c().Get(kPods, "default", "f"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, DeletePreconditions) {
  ASSERT_OK_AND_ASSIGN(Object p, c().Create(kPods, "default", Pod("p")));
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  EXPECT_THAT(c().Delete(kPods, "default", "p", wrong_uid), StatusIs(absl::StatusCode::kAborted));
  DeleteOptions right;
  right.precondition_uid = p.meta.uid;
  right.precondition_resource_version = p.meta.resource_version;
  EXPECT_OK(c().Delete(kPods, "default", "p", right));
  EXPECT_THAT(c().Delete(kPods, "default", "p"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, GarbageCollectionBackgroundForegroundOrphan) {
  ASSERT_OK_AND_ASSIGN(Object js, c().Create(kJobSets, "default", JobSet("js")));
  ASSERT_OK_AND_ASSIGN(Object job, c().Create(kJobs, "default", Owned(R"("spec":{})", "js-w-0", js, true)));
  ASSERT_OK(c().Create(kPods, "default", Owned(R"("spec":{})", "js-w-0-0", job, true)).status());
  // Foreground: the owner waits, marked, until the blocking dependents are gone.
  DeleteOptions fg;
  fg.propagation = Propagation::kForeground;
  ASSERT_OK(c().Delete(kJobSets, "default", "js", fg));
  EXPECT_THAT(c().Get(kJobSets, "default", "js"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c().Get(kJobs, "default", "js-w-0"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c().Get(kPods, "default", "js-w-0-0"), StatusIs(absl::StatusCode::kNotFound));

  // A dependent holding a finalizer keeps a foreground-deleted owner in place with `foregroundDeletion`.
  ASSERT_OK_AND_ASSIGN(Object job2, c().Create(kJobs, "default", R"({"metadata":{"name":"j2"},"spec":{}})"));
  ASSERT_OK(c().Create(kPods, "default",
                       Owned(R"("spec":{})", "held", job2, true).replace(0, 13, R"({"metadata":{"finalizers":["x/y"],)"))
                .status());
  ASSERT_OK(c().Delete(kJobs, "default", "j2", fg));
  ASSERT_OK_AND_ASSIGN(Object waiting, c().Get(kJobs, "default", "j2"));
  EXPECT_TRUE(waiting.meta.deletion_timestamp.has_value());
  EXPECT_THAT(waiting.meta.finalizers, ElementsAre("foregroundDeletion"));
  ASSERT_OK_AND_ASSIGN(Object held, c().Get(kPods, "default", "held"));
  EXPECT_TRUE(held.meta.deletion_timestamp.has_value());
  ASSERT_OK(c().Patch(kPods, "default", "held", PatchType::kMerge, R"({"metadata":{"finalizers":null}})").status());
  EXPECT_THAT(c().Get(kPods, "default", "held"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c().Get(kJobs, "default", "j2"), StatusIs(absl::StatusCode::kNotFound));

  // Background removes the owner at once and then its dependents; Jobs orphan their pods by default.
  ASSERT_OK_AND_ASSIGN(Object job3, c().Create(kJobs, "default", R"({"metadata":{"name":"j3"},"spec":{}})"));
  ASSERT_OK(c().Create(kPods, "default", Owned(R"("spec":{})", "orphan", job3, false)).status());
  ASSERT_OK(c().Delete(kJobs, "default", "j3"));
  ASSERT_OK_AND_ASSIGN(Object orphan, c().Get(kPods, "default", "orphan"));
  EXPECT_TRUE(orphan.meta.owner_references.empty());
  ASSERT_OK_AND_ASSIGN(Object job4, c().Create(kJobs, "default", R"({"metadata":{"name":"j4"},"spec":{}})"));
  ASSERT_OK(c().Create(kPods, "default", Owned(R"("spec":{})", "child", job4, false)).status());
  DeleteOptions bg;
  bg.propagation = Propagation::kBackground;
  ASSERT_OK(c().Delete(kJobs, "default", "j4", bg));
  EXPECT_THAT(c().Get(kPods, "default", "child"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, BindingAndEviction) {
  ASSERT_OK(c().Create(kPods, "default", Pod("p")).status());
  std::string binding =
      R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"p","namespace":"default"},)"
      R"("target":{"apiVersion":"v1","kind":"Node","name":"node-b"}})";
  ASSERT_OK_AND_ASSIGN(Object st, c().Create(kPodsBinding, "default", binding));
  EXPECT_EQ(st.kind, "Status");
  ASSERT_OK_AND_ASSIGN(Object bound, c().Get(kPods, "default", "p"));
  EXPECT_EQ(J(bound.json)["spec"]["nodeName"], "node-b");
  EXPECT_EQ(J(bound.json)["status"]["conditions"][0]["type"], "PodScheduled");
  EXPECT_THAT(c().Create(kPodsBinding, "default", binding), StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(c().Create(kPodsEviction, "default",
                       R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"default"}})")
                .status());
  EXPECT_THAT(c().Get(kPods, "default", "p"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientConformanceTest, ClusterScopedNodes) {
  ASSERT_OK_AND_ASSIGN(Object n, c().Create(kNodes, "", R"({"metadata":{"name":"n1","labels":{"pool":"a"}}})"));
  EXPECT_EQ(n.meta.namespace_, "");
  ASSERT_OK_AND_ASSIGN(Object s, c().Patch(kNodesStatus, "", "n1", PatchType::kMerge,
                                           R"({"status":{"allocatable":{"cpu":"8"}}})"));
  EXPECT_EQ(J(s.json)["status"]["allocatable"]["cpu"], "8");
  ASSERT_OK_AND_ASSIGN(ObjectList l, c().List(kNodes, "", ListOptions{.label_selector = "pool=a"}));
  EXPECT_THAT(l.items, SizeIs(1));
}

std::vector<WatchEvent> Drain(WatchStream& w, size_t n) {
  std::vector<WatchEvent> out;
  while (out.size() < n) {
    absl::StatusOr<WatchEvent> ev = w.Next(absl::Seconds(5));
    if (!ev.ok()) break;
    out.push_back(*std::move(ev));
  }
  return out;
}

TEST_P(ClientConformanceTest, WatchFromResourceVersion) {
  ASSERT_OK_AND_ASSIGN(Object a, c().Create(kPods, "default", Pod("a", R"({"app":"x"})")));
  ASSERT_OK_AND_ASSIGN(Object b, c().Create(kPods, "default", Pod("b", R"({"app":"x"})")));
  WatchOptions o;
  o.resource_version = a.meta.resource_version;
  o.label_selector = "app=x";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c().Watch(kPods, "default", o));
  ASSERT_OK(c().Patch(kPods, "default", "a", PatchType::kMerge, R"({"metadata":{"labels":{"v":"2"}}})").status());
  ASSERT_OK(c().Patch(kPods, "default", "b", PatchType::kMerge, R"({"metadata":{"labels":{"app":"y"}}})").status());
  ASSERT_OK(c().Create(kPods, "default", Pod("ignored", R"({"app":"z"})")).status());
  ASSERT_OK(c().Delete(kPods, "default", "a"));
  std::vector<WatchEvent> evs = Drain(*w, 4);
  ASSERT_THAT(evs, SizeIs(4));
  EXPECT_EQ(evs[0].type, WatchEventType::kAdded);
  EXPECT_EQ(evs[0].object.meta.name, "b");
  EXPECT_EQ(evs[1].type, WatchEventType::kModified);
  EXPECT_EQ(evs[1].object.meta.labels.at("v"), "2");
  EXPECT_EQ(evs[2].type, WatchEventType::kDeleted) << "left the selector";
  EXPECT_EQ(evs[2].object.meta.name, "b");
  EXPECT_EQ(evs[3].type, WatchEventType::kDeleted);
  EXPECT_EQ(evs[3].object.meta.name, "a");
  EXPECT_GT(ResourceVersionNumber(evs[3].object.meta.resource_version),
            ResourceVersionNumber(evs[1].object.meta.resource_version));
  cluster().SendBookmarks();
  std::vector<WatchEvent> bm = Drain(*w, 1);
  ASSERT_THAT(bm, SizeIs(1));
  EXPECT_EQ(bm[0].type, WatchEventType::kBookmark);
  EXPECT_EQ(ResourceVersionNumber(bm[0].object.meta.resource_version), cluster().CurrentResourceVersion());
  w->Stop();
}

TEST_P(ClientConformanceTest, WatchInitialStateAndExpiredAfterCompaction) {
  ASSERT_OK_AND_ASSIGN(Object a, c().Create(kJobs, "default", R"({"metadata":{"name":"a"},"spec":{}})"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w0, c().Watch(kJobs, "default", WatchOptions{}));
  std::vector<WatchEvent> init = Drain(*w0, 1);
  ASSERT_THAT(init, SizeIs(1));
  EXPECT_EQ(init[0].type, WatchEventType::kAdded);
  w0->Stop();
  ASSERT_OK(c().Create(kJobs, "default", R"({"metadata":{"name":"b"},"spec":{}})").status());
  cluster().Compact();
  WatchOptions o;
  o.resource_version = a.meta.resource_version;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c().Watch(kJobs, "default", o));
  absl::StatusOr<WatchEvent> ev = w->Next(absl::Seconds(5));
  ASSERT_OK(ev);
  EXPECT_EQ(ev->type, WatchEventType::kError);
  EXPECT_THAT(ev->error, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(ReasonOf(ev->error), "Expired");
  EXPECT_THAT(w->Next(absl::Seconds(5)), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_P(ClientConformanceTest, WatchTimeoutEndsWithBookmark) {
  WatchOptions o;
  o.resource_version = absl::StrCat(cluster().CurrentResourceVersion());
  o.timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchStream> w, c().Watch(kNodes, "", o));
  absl::StatusOr<WatchEvent> ev = w->Next(absl::Seconds(10));
  ASSERT_OK(ev);
  EXPECT_EQ(ev->type, WatchEventType::kBookmark);
  EXPECT_THAT(w->Next(absl::Seconds(10)), StatusIs(absl::StatusCode::kUnavailable));
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientConformanceTest, ::testing::Values(Kind::kMemory, Kind::kHttp),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kMemory ? "Memory" : "Http";
                         });

}  // namespace
}  // namespace phalanx::kube
