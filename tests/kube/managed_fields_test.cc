// metadata.managedFields is dropped on the way into every informer (the default), kept on request.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "kube/informer.h"
#include "kube/memory_cluster.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

constexpr char kPod[] =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"app":"x"},)"
    R"("managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1",)"
    R"("fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}}]},"spec":{"containers":[{"name":"c"}]}})";

TEST(DropManagedFieldsTest, RemovesOnlyManagedFields) {
  absl::StatusOr<Object> obj = ParseObject(kPod);
  ASSERT_OK(obj.status());
  DropManagedFields(*obj);
  nlohmann::json got = nlohmann::json::parse(obj->json);
  nlohmann::json want = nlohmann::json::parse(kPod);
  want["metadata"].erase("managedFields");
  EXPECT_EQ(got, want);
  EXPECT_EQ(obj->meta.name, "p");
  EXPECT_EQ(obj->meta.labels.at("app"), "x");
}

TEST(DropManagedFieldsTest, CapturedJobLosesItsManagedFieldsAndNothingElse) {
  const std::string text = testing::ReadFileOrDie(testing::FixturesDir() + "/api/get-job-owned-by-jobset.json");
  absl::StatusOr<Object> obj = ParseObject(text);
  ASSERT_OK(obj.status());
  ASSERT_TRUE(absl::StrContains(obj->json, "\"managedFields\""));
  DropManagedFields(*obj);
  EXPECT_FALSE(absl::StrContains(obj->json, "\"managedFields\""));
  nlohmann::json want = nlohmann::json::parse(text);
  want["metadata"].erase("managedFields");
  EXPECT_EQ(nlohmann::json::parse(obj->json), want);
  EXPECT_LT(obj->json.size(), text.size());
}

TEST(DropManagedFieldsTest, LeavesOtherTextAlone) {
  // No managedFields, a managedFields key outside metadata, and text that does not parse.
  for (std::string text : {std::string(R"({"metadata":{"name":"a"},"spec":{"x":1}})"),
                           std::string(R"({"metadata":{"name":"a"},"spec":{"managedFields":[1]}})"),
                           std::string(R"({"metadata":{"managedFields":[)")}) {
    Object obj;
    obj.json = text;
    DropManagedFields(obj);
    EXPECT_EQ(obj.json, text);
  }
}

TEST(InformerManagedFieldsTest, HandlersAndCacheSeeObjectsWithoutManagedFieldsByDefault) {
  MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kPods, "default", kPod).status());
  ASSERT_TRUE(absl::StrContains(cluster.Get(kPods, "default", "p")->json, "managedFields"));
  Informer informer(cluster, kPods);
  std::string added;
  informer.AddHandlers({[&](const Object& o) { added = o.json; }, nullptr, nullptr});
  informer.Pump();
  ASSERT_FALSE(added.empty());
  EXPECT_FALSE(absl::StrContains(added, "managedFields"));
  auto cached = informer.Get("default", "p");
  ASSERT_NE(cached, nullptr);
  EXPECT_FALSE(absl::StrContains(cached->json, "managedFields"));
  EXPECT_TRUE(absl::StrContains(cached->json, "\"containers\""));

  // Watch events too.
  ASSERT_OK(cluster.Patch(kPods, "default", "p", PatchType::kMerge, R"({"metadata":{"labels":{"app":"y"}}})").status());
  informer.Pump();
  cached = informer.Get("default", "p");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->meta.labels.at("app"), "y");
  EXPECT_FALSE(absl::StrContains(cached->json, "managedFields"));
}

TEST(InformerManagedFieldsTest, KeptOnRequest) {
  MemoryCluster cluster;
  ASSERT_OK(cluster.Create(kPods, "default", kPod).status());
  InformerOptions options;
  options.keep_managed_fields = true;
  Informer informer(cluster, kPods, options);
  informer.Pump();
  auto cached = informer.Get("default", "p");
  ASSERT_NE(cached, nullptr);
  EXPECT_TRUE(absl::StrContains(cached->json, "managedFields"));
}

}  // namespace
}  // namespace phalanx::kube
