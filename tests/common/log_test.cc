#include "common/log.h"

#include "absl/status/status.h"
#include "absl/strings/cord.h"
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

TEST(LogTest, StatusPayloadsAndLongValuesStayOutOfTheLog) {
  absl::Status s = absl::InvalidArgumentError("pods \"p\" is invalid");
  s.SetPayload("phalanx.dev/kube-status", absl::Cord(R"({"kind":"Status","details":{"secret":"s3cr3t"}})"));
  std::string line = FormatLine(Level::kError, "patch failed", {{"error", s.ToString()}});
  EXPECT_THAT(line, HasSubstr("INVALID_ARGUMENT: pods \\\"p\\\" is invalid"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("kube-status")));
  // A bracket in an ordinary value is kept.
  EXPECT_THAT(FormatLine(Level::kInfo, "m", {{"k", "a [b='c'] d"}}), HasSubstr("a [b='c'] d"));

  const std::string body(100000, 'x');
  line = FormatLine(Level::kInfo, "m", {{"body", body}});
  EXPECT_LT(line.size(), kMaxValueBytes + 200);
  EXPECT_THAT(line, HasSubstr("(100000 bytes)"));
}

TEST(LogTest, MinLevelFilters) {
  SetMinLevel(Level::kError);
  EXPECT_EQ(MinLevel(), Level::kError);
  SetMinLevel(Level::kInfo);
  EXPECT_EQ(MinLevel(), Level::kInfo);
}

}  // namespace
}  // namespace phalanx::log
