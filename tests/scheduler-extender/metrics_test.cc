#include "scheduler-extender/metrics.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::extender {
namespace {

using ::testing::HasSubstr;

// The process gauges every binary carries: resident memory (a positive byte count) and start time.
TEST(ExtenderMetricsTest, ProcessGauges) {
  const std::string text = Metrics().Render();
  size_t at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stoll(text.substr(at + 31)), 0) << text;
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "));
  EXPECT_THAT(text, HasSubstr("# TYPE phalanx_extender_requests_total counter\n"));
}

}  // namespace
}  // namespace phalanx::extender
