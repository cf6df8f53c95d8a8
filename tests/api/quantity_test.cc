#include "api/quantity.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

TEST(QuantityTest, Table) {
  struct Case {
    const char* text;
    int64_t scale;
    int64_t want;
  };
  const Case cases[] = {
      {"8", 1, 8},          {"250m", 1000, 250},   {"1", 1000, 1000},     {"1.5", 1000, 1500},
      {"0.1", 1000, 100},   {"100m", 1, 1},        {"4Gi", 1, 4LL << 30}, {"1Ki", 1, 1024},
      {"2k", 1, 2000},      {"1M", 1, 1000000},    {"1e3", 1, 1000},      {"1.5e-3", 1000, 2},
      {"+3", 1, 3},         {"1n", 1000, 1},       {"0", 1, 0},           {"128974848", 1, 128974848},
      {"129e6", 1, 129000000}, {"123Mi", 1, 123LL << 20}, {"0.5Gi", 1, 1LL << 29},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    ASSERT_OK_AND_ASSIGN(int64_t v, ParseQuantity(c.text, c.scale));
    EXPECT_EQ(v, c.want);
  }
}

TEST(QuantityTest, Rejects) {
  for (const char* bad : {"", "abc", "1Qi", "1.2.3", "-1", "1e", "m", "1Xi", "99999999999E"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseQuantity(bad, 1), phalanx::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(QuantityTest, CpuIsMilli) {
  EXPECT_EQ(*ParseResource("cpu", "2"), 2000);
  EXPECT_EQ(*ParseResource("memory", "2"), 2);
  EXPECT_EQ(*ParseResource("google.com/tpu", "4"), 4);
}

}  // namespace
}  // namespace phalanx::api
