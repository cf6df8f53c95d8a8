// Informer against MemoryCluster directly and through MemoryApiServer + HttpClient: initial sync, live
// events, resume after the stream ends, and relist after 410 Expired (compaction while disconnected).
#include "kube/informer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kube/conformance_backends.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using ::testing::UnorderedElementsAre;

std::string Pod(const std::string& name, const std::string& app) {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":{"app":")", app, R"("}},"spec":{}})");
}

// Records handler calls as "add:a", "update:a", "delete:a".
class Recorder {
 public:
  EventHandlers Handlers() {
    return EventHandlers{
        [this](const Object& o) { Push("add:" + o.meta.name); },
        [this](const Object&, const Object& o) { Push("update:" + o.meta.name); },
        [this](const Object& o) { Push("delete:" + o.meta.name); },
    };
  }
  // Waits (bounded) until `entry` has been seen.
  bool WaitFor(const std::string& entry) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::find(log_.begin(), log_.end(), entry) != log_.end();
    };
    mu_.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(10));
    return seen();
  }
  std::vector<std::string> Log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }

 private:
  void Push(std::string s) {
    absl::MutexLock lock(&mu_);
    log_.push_back(std::move(s));
  }
  absl::Mutex mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
};

std::vector<std::string> Names(const Informer& inf) {
  std::vector<std::string> out;
  for (const auto& o : inf.Snapshot()) out.push_back(o->meta.name);
  return out;
}

class InformerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { backend_ = GetParam() ? testing::MakeHttpBackend() : testing::MakeMemoryBackend(); }
  Client& c() { return backend_->client(); }
  MemoryCluster& cluster() { return backend_->cluster(); }
  std::unique_ptr<testing::Backend> backend_;
};

TEST_P(InformerTest, SyncsThenFollowsChanges) {
  ASSERT_OK(c().Create(kPods, "default", Pod("a", "x")).status());
  ASSERT_OK(c().Create(kPods, "default", Pod("b", "y")).status());
  ASSERT_OK(c().Create(kPods, "default", Pod("c", "x")).status());
  InformerOptions o;
  o.label_selector = "app=x";
  o.page_size = 1;
  Informer inf(c(), kPods, o);
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  EXPECT_THAT(Names(inf), UnorderedElementsAre("a", "c"));
  ASSERT_OK(c().Create(kPods, "default", Pod("d", "x")).status());
  ASSERT_OK(c().Patch(kPods, "default", "a", PatchType::kMerge, R"({"metadata":{"labels":{"v":"2"}}})").status());
  ASSERT_OK(c().Delete(kPods, "default", "c"));
  ASSERT_TRUE(rec.WaitFor("delete:c"));
  EXPECT_THAT(rec.Log(), ::testing::ElementsAre("add:a", "add:c", "add:d", "update:a", "delete:c"));
  EXPECT_THAT(Names(inf), UnorderedElementsAre("a", "d"));
  ASSERT_NE(inf.Get("default", "a"), nullptr);
  EXPECT_EQ(inf.Get("default", "a")->meta.labels.at("v"), "2");
  inf.Stop();
}

TEST_P(InformerTest, CacheTransformKeepsHandlersWholeAndTheCacheSmall) {
  ASSERT_OK(c().Create(kPods, "default", Pod("a", "x")).status());
  InformerOptions o;
  o.cache_transform = [](Object& obj) {
    obj.json.clear();
    obj.meta.labels.clear();
  };
  Informer inf(c(), kPods, o);
  absl::Mutex mu;
  std::vector<std::string> seen;  // json of added objects, then the old object's json of each update
  EventHandlers h;
  h.on_add = [&](const Object& obj) {
    absl::MutexLock lock(&mu);
    seen.push_back(obj.json.empty() ? "empty" : "whole");
  };
  h.on_update = [&](const Object& old_obj, const Object& new_obj) {
    absl::MutexLock lock(&mu);
    seen.push_back(absl::StrCat(old_obj.json.empty() ? "empty" : "whole", "->",
                                new_obj.json.empty() ? "empty" : "whole"));
  };
  inf.AddHandlers(h);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_OK(c().Create(kPods, "default", Pod("b", "x")).status());
  ASSERT_OK(c().Patch(kPods, "default", "a", PatchType::kMerge, R"({"metadata":{"labels":{"v":"2"}}})").status());
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return seen.size() == 3; };
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10)));
    EXPECT_THAT(seen, ::testing::ElementsAre("whole", "whole", "empty->whole"));
  }
  ASSERT_NE(inf.Get("default", "a"), nullptr);
  EXPECT_TRUE(inf.Get("default", "a")->json.empty());
  EXPECT_TRUE(inf.Get("default", "a")->meta.labels.empty());
  EXPECT_EQ(inf.Get("default", "a")->meta.name, "a");
  inf.Stop();
}

TEST_P(InformerTest, IndexesByControllerOwner) {
  ASSERT_OK_AND_ASSIGN(Object js, c().Create(kJobSets, "default", R"({"metadata":{"name":"js"},"spec":{}})"));
  auto owned = [&](const std::string& name, const std::string& uid) {
    return absl::StrCat(R"({"metadata":{"name":")", name, R"(","ownerReferences":[{"apiVersion":"v","kind":"JobSet",)",
                        R"("name":"js","uid":")", uid, R"(","controller":true}]},"spec":{}})");
  };
  ASSERT_OK(c().Create(kJobs, "default", owned("a", js.meta.uid)).status());
  ASSERT_OK(c().Create(kJobs, "default", owned("b", "someone-else")).status());
  Informer inf(c(), kJobs, InformerOptions{});
  inf.AddIndex("owner", Informer::ControllerUid);
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_EQ(inf.ByIndex("owner", js.meta.uid).size(), 1u);
  ASSERT_OK(c().Create(kJobs, "default", owned("c", js.meta.uid)).status());
  ASSERT_TRUE(rec.WaitFor("add:c"));
  EXPECT_EQ(inf.ByIndex("owner", js.meta.uid).size(), 2u);
  ASSERT_OK(c().Delete(kJobs, "default", "a", DeleteOptions{.propagation = Propagation::kBackground}));
  ASSERT_TRUE(rec.WaitFor("delete:a"));
  ASSERT_EQ(inf.ByIndex("owner", js.meta.uid).size(), 1u);
  EXPECT_EQ(inf.ByIndex("owner", js.meta.uid)[0]->meta.name, "c");
  EXPECT_TRUE(inf.ByIndex("nope", "x").empty());
  inf.Stop();
}

// Forwards to another client; Watch() waits while the gate is closed (a disconnected informer).
class GatedClient final : public Client {
 public:
  explicit GatedClient(Client& inner) : inner_(inner) {}
  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  // Waits until a Watch() call is blocked at the closed gate.
  bool WaitForWaiter() {
    absl::MutexLock lock(&mu_);
    auto waiting = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiters_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&waiting), absl::Seconds(10));
  }

  absl::StatusOr<Object> Create(const Resource& r, absl::string_view ns, absl::string_view b) override {
    return inner_.Create(r, ns, b);
  }
  absl::StatusOr<Object> Get(const Resource& r, absl::string_view ns, absl::string_view n) override {
    return inner_.Get(r, ns, n);
  }
  absl::StatusOr<ObjectList> List(const Resource& r, absl::string_view ns, const ListOptions& o) override {
    return inner_.List(r, ns, o);
  }
  absl::StatusOr<Object> Update(const Resource& r, absl::string_view ns, absl::string_view b) override {
    return inner_.Update(r, ns, b);
  }
  absl::StatusOr<Object> Patch(const Resource& r, absl::string_view ns, absl::string_view n, PatchType t,
                               absl::string_view p) override {
    return inner_.Patch(r, ns, n, t, p);
  }
  absl::Status Delete(const Resource& r, absl::string_view ns, absl::string_view n, const DeleteOptions& o) override {
    return inner_.Delete(r, ns, n, o);
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& r, absl::string_view ns,
                                                     const WatchOptions& o) override {
    {
      absl::MutexLock lock(&mu_);
      ++waiters_;
      mu_.Await(absl::Condition(&open_));
      --waiters_;
    }
    absl::StatusOr<std::unique_ptr<WatchStream>> w = inner_.Watch(r, ns, o);
    absl::MutexLock lock(&mu_);
    ++established_;
    return w;
  }
  // Waits until `n` watches have been established (the server has registered them).
  bool WaitForWatches(int n) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return established_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  }

 private:
  Client& inner_;
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  int established_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_P(InformerTest, ResumesAfterStreamEndsAndRelistsAfterExpiry) {
  ASSERT_OK(c().Create(kPods, "default", Pod("a", "x")).status());
  GatedClient gated(c());
  Informer inf(gated, kPods, InformerOptions{});
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  EXPECT_EQ(inf.ListCount(), 1);

  // The server drops every watch: the informer watches again from its resourceVersion, no relist.
  ASSERT_TRUE(gated.WaitForWatches(1));
  gated.Close();
  cluster().CloseWatches();
  ASSERT_TRUE(gated.WaitForWaiter());
  ASSERT_OK(c().Create(kPods, "default", Pod("b", "x")).status());
  gated.Open();
  ASSERT_TRUE(rec.WaitFor("add:b"));
  EXPECT_EQ(inf.ListCount(), 1);

  // Disconnected while the world changes and history is compacted: the resumed watch gets 410 Expired,
  // the informer relists and the handlers see the difference.
  ASSERT_TRUE(gated.WaitForWatches(2));
  gated.Close();
  cluster().CloseWatches();
  ASSERT_TRUE(gated.WaitForWaiter());
  ASSERT_OK(c().Delete(kPods, "default", "a"));
  ASSERT_OK(c().Create(kPods, "default", Pod("c", "x")).status());
  cluster().Compact();
  gated.Open();
  ASSERT_TRUE(rec.WaitFor("delete:a"));
  ASSERT_TRUE(rec.WaitFor("add:c"));
  EXPECT_EQ(inf.ListCount(), 2);
  EXPECT_THAT(Names(inf), UnorderedElementsAre("b", "c"));
  inf.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, InformerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Http" : "Memory"; });

}  // namespace
}  // namespace phalanx::kube
