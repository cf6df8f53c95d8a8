#include "placement/resources.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace phalanx::placement {
namespace {

TEST(PlacementResourcesTest, PodsIsIdZeroAndImplicitlyRequested) {
  ResourceTable t;
  EXPECT_EQ(t.Find("pods"), ResourceId{0});
  const RequestVec r = ToRequest(t, {{"google.com/tpu", 4}, {"cpu", 1000}});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (Request{0, 1}));
  // Sorted by id; ids follow first sight (the list is name-ordered: cpu before google.com/tpu).
  EXPECT_EQ(t.name(r[1].id), "cpu");
  EXPECT_EQ(t.name(r[2].id), "google.com/tpu");
}

TEST(PlacementResourcesTest, CapacityWithoutPodsIsUnlimited) {
  ResourceTable t;
  const ResourceVec cap = ToCapacity(t, {{"cpu", 4000}});
  EXPECT_EQ(At(cap, 0), kUnlimitedPods);
  const ResourceVec cap2 = ToCapacity(t, {{"cpu", 4000}, {"pods", 3}});
  EXPECT_EQ(At(cap2, 0), 3);
}

TEST(PlacementResourcesTest, CountFitsTakesTheTightestResource) {
  ResourceTable t;
  const ResourceVec cap = ToCapacity(t, {{"cpu", 8000}, {"google.com/tpu", 4}, {"pods", 110}});
  ResourceVec used;
  const RequestVec one_tpu = ToRequest(t, {{"google.com/tpu", 1}, {"cpu", 1000}});
  EXPECT_EQ(CountFits(cap, used, one_tpu, 100), 4);
  EXPECT_EQ(CountFits(cap, used, one_tpu, 2), 2);
  Add(used, one_tpu, +3);
  EXPECT_EQ(CountFits(cap, used, one_tpu, 100), 1);
  Add(used, one_tpu, +1);
  EXPECT_EQ(CountFits(cap, used, one_tpu, 100), 0);
  EXPECT_EQ(t.name(*FirstShort(cap, used, one_tpu)), "google.com/tpu");
  Add(used, one_tpu, -4);
  EXPECT_FALSE(FirstShort(cap, used, one_tpu).has_value());
}

TEST(PlacementResourcesTest, UnknownResourceNeverFits) {
  ResourceTable t;
  const ResourceVec cap = ToCapacity(t, {{"cpu", 8000}});
  const RequestVec r = ToRequestReadOnly(t, {{"example.com/fpga", 1}});
  EXPECT_EQ(r.back().id, kUnknownResource);
  EXPECT_EQ(CountFits(cap, {}, r, 10), 0);
  EXPECT_EQ(FirstShort(cap, {}, r), kUnknownResource);
  EXPECT_EQ(t.name(kUnknownResource), "unknown resource");
}

TEST(PlacementResourcesTest, FormatRequestSkipsPods) {
  ResourceTable t;
  EXPECT_EQ(FormatRequest(t, ToRequest(t, {{"google.com/tpu", 4}, {"pods", 3}})), "google.com/tpu: 4");
  EXPECT_EQ(FormatRequest(t, ToRequest(t, {})), "");
}

// Names in order whatever order they were interned in; quantities in canonical form.
TEST(PlacementResourcesTest, FormatRequestIsCanonicalAndSortedByName) {
  ResourceTable t;
  t.Intern("memory");
  t.Intern("google.com/tpu");
  const RequestVec r =
      ToRequest(t, {{"cpu", 64000}, {"memory", int64_t{1000} << 30}, {"google.com/tpu", 4}});
  EXPECT_EQ(FormatRequest(t, r), "cpu: 64, google.com/tpu: 4, memory: 1000Gi");
}

TEST(PlacementResourcesTest, FormatQuantityCanonicalForm) {
  struct Case {
    std::string resource;
    int64_t qty;
    std::string want;
  };
  const std::vector<Case> cases = {
      // cpu is held in milli-units.
      {"cpu", 1000, "1"},
      {"cpu", 500, "500m"},
      {"cpu", 1500, "1500m"},
      {"cpu", 64000, "64"},
      {"cpu", 1, "1m"},
      {"cpu", 2000000, "2k"},
      {"cpu", 0, "0"},
      // Byte resources: binary when exact, else decimal.
      {"memory", int64_t{1000} << 30, "1000Gi"},
      {"memory", int64_t{1} << 30, "1Gi"},
      {"memory", int64_t{1536} << 20, "1536Mi"},
      {"memory", 1000000000, "1G"},
      {"memory", 2000000000, "2G"},  // not "1953125Ki"
      {"memory", 1024000, "1000Ki"},
      {"memory", 128974848, "123Mi"},
      {"memory", 129000000, "129M"},
      {"memory", 1000000001, "1000000001"},
      {"memory", 1024, "1Ki"},
      {"memory", 512, "512"},
      {"memory", 2000, "2k"},
      {"ephemeral-storage", int64_t{100} << 30, "100Gi"},
      {"hugepages-2Mi", int64_t{4} << 20, "4Mi"},
      {"memory", int64_t{1} << 40, "1Ti"},
      // Extended resources and the rest: plain decimal SI, never binary.
      {"google.com/tpu", 4, "4"},
      {"nvidia.com/gpu", 8, "8"},
      {"google.com/tpu", 1024, "1024"},
      {"example.com/widgets", 3000, "3k"},
      {"example.com/widgets", -5, "-5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.resource + " " + std::to_string(c.qty));
    EXPECT_EQ(FormatQuantity(c.resource, c.qty), c.want);
  }
}

}  // namespace
}  // namespace phalanx::placement
