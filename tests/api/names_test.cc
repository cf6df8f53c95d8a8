#include "api/names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(NamesTest, Dns1035Label) {
  EXPECT_THAT(IsDns1035Label("my-name"), IsEmpty());
  EXPECT_THAT(IsDns1035Label(std::string(63, 'a')), IsEmpty());
  EXPECT_THAT(IsDns1035Label(std::string(64, 'a')), ElementsAre("must be no more than 63 characters"));
  EXPECT_THAT(IsDns1035Label("1abc"), SizeIs(1));
  EXPECT_THAT(IsDns1035Label("abc-"), SizeIs(1));
  EXPECT_THAT(IsDns1035Label("a.b"), SizeIs(1));
  EXPECT_THAT(IsDns1035Label(""), SizeIs(1));
  EXPECT_THAT(IsDns1035Label("-" + std::string(64, 'a')), SizeIs(2));
}

TEST(NamesTest, Dns1123Subdomain) {
  EXPECT_THAT(IsDns1123Subdomain("example.com"), IsEmpty());
  EXPECT_THAT(IsDns1123Subdomain("1a.b-c"), IsEmpty());
  EXPECT_THAT(IsDns1123Subdomain("a..b"), SizeIs(1));
  EXPECT_THAT(IsDns1123Subdomain(".a"), SizeIs(1));
  EXPECT_THAT(IsDns1123Subdomain("A"), SizeIs(1));
  EXPECT_THAT(IsDns1123Subdomain(std::string(254, 'a')), ElementsAre("must be no more than 253 characters"));
}

TEST(NamesTest, LabelValue) {
  EXPECT_THAT(IsValidLabelValue(""), IsEmpty());
  EXPECT_THAT(IsValidLabelValue("My_value.1-x"), IsEmpty());
  EXPECT_THAT(IsValidLabelValue("-x"), SizeIs(1));
  EXPECT_THAT(IsValidLabelValue("a/b"), SizeIs(1));
  EXPECT_THAT(IsValidLabelValue(std::string(64, 'a')), ElementsAre("must be no more than 63 characters"));
}

TEST(NamesTest, ChildNames) {
  EXPECT_EQ(ChildJobName("js", "rjob", 3), "js-rjob-3");
  EXPECT_EQ(ChildPodName("js", "rjob", "3", "7"), "js-rjob-3-7");
}

}  // namespace
}  // namespace phalanx::api
