// The daemons' shared command-line parsing.
#include "common/command_line.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

absl::StatusOr<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "bin");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), {"port", "kubeconfig"}, {"leader-elect"});
}

TEST(CommandLineTest, ValuesBooleansAndTheCommonSwitches) {
  absl::StatusOr<CommandLine> c =
      Parse({"--port=8", "--kubeconfig", "k.yaml", "--leader-elect", "-v", "--leader-elect=false", "--port", "9"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->help);
  EXPECT_FALSE(c->version);
  EXPECT_TRUE(c->verbose);
  EXPECT_THAT(c->flags, ElementsAre(Pair("port", "8"), Pair("kubeconfig", "k.yaml"), Pair("leader-elect", "true"),
                                    Pair("leader-elect", "false"), Pair("port", "9")));
  EXPECT_TRUE(Parse({"-h"})->help);
  EXPECT_TRUE(Parse({"--help"})->help);
  EXPECT_TRUE(Parse({"--version"})->version);
  EXPECT_TRUE(Parse({"--v=4"})->verbose);
  EXPECT_TRUE(Parse({"-v=2"})->verbose);
  EXPECT_THAT(Parse({"--leader-elect=1"})->flags, ElementsAre(Pair("leader-elect", "true")));
}

TEST(CommandLineTest, ErrorsNameTheProblem) {
  EXPECT_THAT(std::string(Parse({"--nope"}).status().message()), HasSubstr("unknown flag --nope"));
  EXPECT_THAT(std::string(Parse({"--port"}).status().message()), HasSubstr("flag --port needs a value"));
  EXPECT_THAT(std::string(Parse({"--leader-elect=maybe"}).status().message()), HasSubstr("bad --leader-elect"));
  EXPECT_THAT(std::string(Parse({"extra"}).status().message()), HasSubstr("unexpected argument extra"));
  EXPECT_THAT(std::string(Parse({"--"}).status().message()), HasSubstr("unexpected argument --"));
}

}  // namespace
}  // namespace phalanx
