// Label and field selector parsing and matching.
#include "kube/selector.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::kube {
namespace {

using ::phalanx::testing::StatusIs;

TEST(LabelSelectorTest, MatchesEveryOperator) {
  std::map<std::string, std::string> labels = {{"app", "x"}, {"tier", "1"}, {"jobset.sigs.k8s.io/jobset-name", "demo"}};
  struct Case {
    std::string sel;
    bool match;
  } cases[] = {
      {"", true},
      {"app=x", true},
      {"app==x", true},
      {"app=y", false},
      {"app!=y", true},
      {"missing!=y", true},
      {"app in (x, y)", true},
      {"app in (y)", false},
      {"app notin (y)", true},
      {"missing notin (y)", true},
      {"tier", true},
      {"!tier", false},
      {"!missing", true},
      {"jobset.sigs.k8s.io/jobset-name=demo,app=x", true},
      {"jobset.sigs.k8s.io/jobset-name=demo, app=y", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sel);
    ASSERT_OK_AND_ASSIGN(LabelSelector s, LabelSelector::Parse(c.sel));
    EXPECT_EQ(s.Matches(labels), c.match);
  }
}

TEST(LabelSelectorTest, RejectsBadSyntax) {
  for (const char* bad : {"a in b", "a in (b", ",", "a=b,", "a b", "a=(b)", "x notx (y)"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(LabelSelector::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(FieldSelectorTest, ParsesPaths) {
  ASSERT_OK_AND_ASSIGN(FieldSelector s, FieldSelector::Parse("spec.nodeName=n1,status.phase!=Failed"));
  ASSERT_EQ(s.requirements().size(), 2u);
  EXPECT_EQ(s.requirements()[0].path, (std::vector<std::string>{"spec", "nodeName"}));
  EXPECT_EQ(s.requirements()[0].value, "n1");
  EXPECT_TRUE(s.requirements()[1].negate);
  EXPECT_THAT(FieldSelector::Parse("nodeName"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace phalanx::kube
