#include "common/log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::log {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(LogTest, FormatsKeyValuesAndQuotesWhenNeeded) {
  std::string line = FormatLine(Level::kWarning, "webhook started",
                                {{"port", 9443}, {"path", "/mutate"}, {"err", "a \"b\""}});
  EXPECT_THAT(line, HasSubstr("level=warning"));
  EXPECT_THAT(line, HasSubstr("msg=\"webhook started\""));
  EXPECT_THAT(line, HasSubstr(" port=9443"));
  EXPECT_THAT(line, HasSubstr(" path=/mutate"));
  EXPECT_THAT(line, HasSubstr(" err=\"a \\\"b\\\"\""));
  EXPECT_THAT(line, EndsWith("\n"));
}

TEST(LogTest, MinLevelFilters) {
  SetMinLevel(Level::kError);
  EXPECT_EQ(MinLevel(), Level::kError);
  SetMinLevel(Level::kInfo);
  EXPECT_EQ(MinLevel(), Level::kInfo);
}

}  // namespace
}  // namespace phalanx::log
