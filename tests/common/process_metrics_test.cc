#include "common/process_metrics.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx {
namespace {

using ::testing::HasSubstr;

TEST(ProcessMetricsTest, StatmResidentIsSecondFieldTimesPageSize) {
  int64_t bytes = -1;
  ASSERT_TRUE(ParseStatmResidentBytes("2619 771 640 187 0 317 0\n", 4096, &bytes));
  EXPECT_EQ(bytes, 771 * 4096);
}

TEST(ProcessMetricsTest, StatmRefusesShortOrNonNumericText) {
  int64_t bytes = 7;
  EXPECT_FALSE(ParseStatmResidentBytes("", 4096, &bytes));
  EXPECT_FALSE(ParseStatmResidentBytes("2619", 4096, &bytes));
  EXPECT_FALSE(ParseStatmResidentBytes("2619 abc 640", 4096, &bytes));
  EXPECT_FALSE(ParseStatmResidentBytes("2619 771 640", 0, &bytes));
  EXPECT_EQ(bytes, 7);
}

TEST(ProcessMetricsTest, StatStartTimeCountsFieldsAfterTheLastParenthesis) {
  // comm "a) b (c" holds spaces and parentheses; starttime (field 22) is 98765.
  std::string stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 3 1 0 0 20 0 1 0 98765 1000 200";
  int64_t ticks = 0;
  ASSERT_TRUE(ParseStatStartTicks(stat, &ticks));
  EXPECT_EQ(ticks, 98765);
}

TEST(ProcessMetricsTest, StatRefusesTruncatedText) {
  int64_t ticks = 3;
  EXPECT_FALSE(ParseStatStartTicks("4242 (x) S 1 2 3", &ticks));
  EXPECT_FALSE(ParseStatStartTicks("no parenthesis here", &ticks));
  EXPECT_EQ(ticks, 3);
}

TEST(ProcessMetricsTest, BootTimeLine) {
  int64_t boot = 0;
  ASSERT_TRUE(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n", &boot));
  EXPECT_EQ(boot, 1700000000);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n", &boot));
}

TEST(ProcessMetricsTest, ResidentMemoryGrowsWhenPagesAreTouched) {
  int64_t before = ResidentMemoryBytes();
  ASSERT_GT(before, 0);
  std::vector<char> block(64 << 20);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  int64_t after = ResidentMemoryBytes();
  EXPECT_GE(after - before, 32 << 20);
  asm volatile("" : : "r"(block.data()) : "memory");  // the touched block stays
}

TEST(ProcessMetricsTest, TextCarriesBothGaugesInPrometheusFormat) {
  std::string text = ProcessMetricsText();
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "));
  EXPECT_GT(ProcessStartTimeSeconds(), 1.0e9);  // after 2001
}

}  // namespace
}  // namespace phalanx
