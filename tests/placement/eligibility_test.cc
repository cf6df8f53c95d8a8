#include "placement/eligibility.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace phalanx::placement {
namespace {

struct Case {
  std::string name;
  Eligibility eligibility;
  std::vector<Taint> taints;
  EligibilityResult want;
};

TEST(PlacementEligibilityTest, Table) {
  LabelPool pool;
  const LabelSet labels = InternLabels(pool, {{"pool", "a"}, {"zone", "z1"}, {"gen", "5"}});
  const NodeSelectorRequirement in_a{"pool", SelectorOperator::kIn, {"a", "b"}};
  const NodeSelectorRequirement in_c{"pool", SelectorOperator::kIn, {"c"}};
  const NodeSelectorRequirement notin_a{"pool", SelectorOperator::kNotIn, {"a"}};
  const NodeSelectorRequirement exists{"zone", SelectorOperator::kExists, {}};
  const NodeSelectorRequirement absent{"zone", SelectorOperator::kDoesNotExist, {}};
  const NodeSelectorRequirement missing_absent{"rack", SelectorOperator::kDoesNotExist, {}};
  const NodeSelectorRequirement gt4{"gen", SelectorOperator::kGt, {"4"}};
  const NodeSelectorRequirement lt4{"gen", SelectorOperator::kLt, {"4"}};
  const Taint tpu{"google.com/tpu", "present", TaintEffect::kNoSchedule};
  const Taint soft{"x", "y", TaintEffect::kPreferNoSchedule};
  const Taint evict{"maint", "", TaintEffect::kNoExecute};
  const Toleration tol_tpu{"google.com/tpu", TolerationOperator::kExists, "", std::nullopt};
  const Toleration tol_all{"", TolerationOperator::kExists, "", std::nullopt};
  const Toleration tol_wrong_value{"google.com/tpu", TolerationOperator::kEqual, "absent",
                                   std::nullopt};
  const Toleration tol_wrong_effect{"google.com/tpu", TolerationOperator::kExists, "",
                                    TaintEffect::kNoExecute};
  auto term = [](std::vector<NodeSelectorRequirement> r) {
    return NodeSelectorTerm{std::move(r), {}};
  };
  const std::vector<Case> cases = {
      {"empty", {}, {}, EligibilityResult::kOk},
      {"selector match", {{{"pool", "a"}}, {}, {}}, {}, EligibilityResult::kOk},
      {"selector mismatch", {{{"pool", "b"}}, {}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"selector unknown key", {{{"rack", "a"}}, {}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"in", {{}, {term({in_a})}, {}}, {}, EligibilityResult::kOk},
      {"in miss", {{}, {term({in_c})}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"notin", {{}, {term({notin_a})}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"exists", {{}, {term({exists})}, {}}, {}, EligibilityResult::kOk},
      {"doesnotexist", {{}, {term({absent})}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"doesnotexist missing", {{}, {term({missing_absent})}, {}}, {}, EligibilityResult::kOk},
      {"gt", {{}, {term({gt4})}, {}}, {}, EligibilityResult::kOk},
      {"lt", {{}, {term({lt4})}, {}}, {}, EligibilityResult::kSelectorMismatch},
      {"terms are ORed", {{}, {term({in_c}), term({exists})}, {}}, {}, EligibilityResult::kOk},
      {"requirements are ANDed", {{}, {term({in_a, absent})}, {}}, {},
       EligibilityResult::kSelectorMismatch},
      {"node name term", {{}, {NodeSelectorTerm{{}, {"n1"}}}, {}}, {}, EligibilityResult::kOk},
      {"node name term miss", {{}, {NodeSelectorTerm{{}, {"n2"}}}, {}}, {},
       EligibilityResult::kSelectorMismatch},
      {"empty term matches nothing", {{}, {NodeSelectorTerm{}}, {}}, {},
       EligibilityResult::kSelectorMismatch},
      {"untolerated taint", {}, {tpu}, EligibilityResult::kUntoleratedTaint},
      {"prefer no schedule ignored", {}, {soft}, EligibilityResult::kOk},
      {"tolerated by key", {{}, {}, {tol_tpu}}, {tpu}, EligibilityResult::kOk},
      {"tolerate everything", {{}, {}, {tol_all}}, {tpu, evict}, EligibilityResult::kOk},
      {"wrong value", {{}, {}, {tol_wrong_value}}, {tpu}, EligibilityResult::kUntoleratedTaint},
      {"wrong effect", {{}, {}, {tol_wrong_effect}}, {tpu}, EligibilityResult::kUntoleratedTaint},
      {"noexecute needs toleration", {{}, {}, {tol_tpu}}, {tpu, evict},
       EligibilityResult::kUntoleratedTaint},
      {"selector checked before taints", {{{"pool", "b"}}, {}, {}}, {tpu},
       EligibilityResult::kSelectorMismatch},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CompiledEligibility e(pool, c.eligibility);
    EXPECT_EQ(e.Check(pool, "n1", labels, c.taints), c.want);
  }
}

TEST(PlacementEligibilityTest, LabelValueLookup) {
  LabelPool pool;
  const LabelSet labels = InternLabels(pool, {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(pool.str(LabelValue(labels, pool.Find("a"))), "1");
  EXPECT_EQ(pool.str(LabelValue(labels, pool.Find("b"))), "2");
  EXPECT_EQ(LabelValue(labels, pool.Find("c")), kNoLabel);
}

}  // namespace
}  // namespace phalanx::placement
