#include "api/quantity.h"

#include <cstdint>
#include <limits>
#include <string>

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

namespace phalanx::api {
namespace {

TEST(QuantityFormatTest, CanonicalForm) {
  struct Case {
    int64_t value, scale;
    bool binary;
    std::string want;
  };
  const Case cases[] = {
      {0, 1, false, "0"},          {0, 1000, false, "0"},       {500, 1000, false, "500m"},
      {1000, 1000, false, "1"},    {1500, 1000, false, "1500m"}, {64000, 1000, false, "64"},
      {1, 1000, false, "1m"},      {1000, 1, false, "1k"},       {1500, 1, false, "1500"},
      {4, 1, false, "4"},          {1000000000, 1, false, "1G"}, {int64_t{5} * 1000000000000000000, 1, false, "5E"},
      {int64_t{1} << 30, 1, false, "1073741824"},                // binary only when asked
      {int64_t{1} << 30, 1, true, "1Gi"},                        {int64_t{1000} << 30, 1, true, "1000Gi"},
      {int64_t{1536} << 10, 1, true, "1536Ki"},                  {1536, 1, true, "1536"},
      {512, 1, true, "512"},       {1000000000, 1, true, "1G"},  {2000000000, 1, true, "2G"},
      {int64_t{1} << 30, 1, true, "1Gi"},  {int64_t{1} << 62, 1, true, "4Ei"},
      {-2000, 1000, false, "-2"},  {std::numeric_limits<int64_t>::min(), 1, false, "-9223372036854775808"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(FormatQuantity(c.value, c.scale, c.binary), c.want);
  }
}

TEST(QuantityFormatTest, ResourcesAsUsersWriteThem) {
  EXPECT_EQ(FormatResource("cpu", 1000), "1");
  EXPECT_EQ(FormatResource("cpu", 250), "250m");
  EXPECT_EQ(FormatResource("memory", int64_t{1000} << 30), "1000Gi");
  EXPECT_EQ(FormatResource("memory", 2000000000), "2G");
  EXPECT_EQ(FormatResource("ephemeral-storage", int64_t{10} << 30), "10Gi");
  EXPECT_EQ(FormatResource("hugepages-1Gi", int64_t{2} << 30), "2Gi");
  EXPECT_EQ(FormatResource("google.com/tpu", 4), "4");
  EXPECT_EQ(FormatResource("nvidia.com/gpu", 1024), "1024");
  EXPECT_TRUE(IsByteResource("memory"));
  EXPECT_FALSE(IsByteResource("google.com/tpu"));
}

// Printing then parsing gives the value back: the text is a valid quantity of the same amount.
TEST(QuantityFormatTest, RoundTripsThroughTheParser) {
  const char* resources[] = {"cpu", "memory", "google.com/tpu"};
  const char* texts[] = {"1",   "500m", "1.5",  "64",    "1000Gi", "1536Mi", "1G",   "4",
                         "1k",  "2e3",  "0.1",  "123Mi", "129M",   "7",      "3Ti",  "250m"};
  for (const char* resource : resources) {
    for (const char* text : texts) {
      absl::StatusOr<int64_t> v = ParseResource(resource, text);
      if (!v.ok()) continue;
      SCOPED_TRACE(std::string(resource) + " " + text);
      const std::string printed = FormatResource(resource, *v);
      absl::StatusOr<int64_t> back = ParseResource(resource, printed);
      ASSERT_TRUE(back.ok()) << printed;
      EXPECT_EQ(*back, *v) << printed;
    }
  }
}

}  // namespace
}  // namespace phalanx::api
