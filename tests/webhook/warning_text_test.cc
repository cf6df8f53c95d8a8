#include "webhook/warning_text.h"

#include "gtest/gtest.h"

namespace phalanx::webhook {
namespace {

TEST(QuoteForWarningTest, ShortPrintableAscii) {
  EXPECT_EQ(QuoteForWarning("Job"), "\"Job\"");
  EXPECT_EQ(QuoteForWarning(""), "\"\"");
  EXPECT_EQ(QuoteForWarning("a\"b\\c\nd"), "\"a?b?c?d\"");
  EXPECT_EQ(QuoteForWarning("gr\xc3\xbc\xc3\x9f"), "\"gr????\"");  // never splits UTF-8: no UTF-8 at all
  EXPECT_EQ(QuoteForWarning(std::string(40, 'x'), 4), "\"xxxx...\"");
}

}  // namespace
}  // namespace phalanx::webhook
