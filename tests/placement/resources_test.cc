#include "placement/resources.h"

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
  EXPECT_EQ(FormatRequest(t, ToRequest(t, {{"google.com/tpu", 4}})), "4 google.com/tpu");
  EXPECT_EQ(FormatRequest(t, ToRequest(t, {})), "no resources");
}

}  // namespace
}  // namespace phalanx::placement
