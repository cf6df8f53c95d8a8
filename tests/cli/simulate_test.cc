// Tests of `phalanx simulate` as a user runs it: the bundled default, JSON for tools, the picture,
// the comparison, and one clear error line for every bad input.
#include "cli/simulate.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"

namespace phalanx::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

std::string Example(const std::string& name) { return phalanx::testing::SourceDir() + "/examples/" + name; }

struct Result {
  int code;
  std::string out, err;
};

Result Simulate(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  args.insert(args.begin(), "simulate");
  int code = Run(args, in, out, err);
  return {code, out.str(), err.str()};
}

// A file in a directory of this test's own, removed with it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/phalanx-simulate-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + dir_).c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

const std::vector<std::string> kDefault = {"--cluster", Example("sim-cluster-tpu.yaml"), "--workload",
                                           Example("sim-workload-tpu.yaml")};

TEST(SimulateCommandTest, SummaryOfTheBundledDefault) {
  Result r = Simulate(kDefault);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // not a terminal: no progress lines
  EXPECT_THAT(r.out, HasSubstr("mixed-tpu"));
  EXPECT_THAT(r.out, HasSubstr("Invariants checked"));
}

TEST(SimulateCommandTest, JsonForTools) {
  std::vector<std::string> args = kDefault;
  args.insert(args.end(), {"-o", "json"});
  Result r = Simulate(args);
  ASSERT_EQ(r.code, 0) << r.err;
  Json doc = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  ASSERT_TRUE(doc["jobsets"].is_array());
  ASSERT_FALSE(doc["jobsets"].empty());
  for (const Json& js : doc["jobsets"]) {
    for (const char* key : {"namespace", "name", "arrived_s", "started_s", "finished_s", "restarts", "domains"}) {
      EXPECT_TRUE(js.contains(key)) << key;
    }
  }
  EXPECT_GT(doc["invariants"]["checked"].get<int64_t>(), 0);
  EXPECT_EQ(doc["invariants"]["violations"].get<int64_t>(), 0);
  // Deterministic: the same run again is the same text.
  EXPECT_EQ(Simulate(args).out, r.out);
}

TEST(SimulateCommandTest, ComparisonWritesTwoPanels) {
  TempDir dir;
  std::vector<std::string> args = kDefault;
  args.insert(args.end(), {"--compare", "--svg", dir.Path("run.svg")});
  Result r = Simulate(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("picture: " + dir.Path("run.svg")));
  std::string svg = phalanx::testing::ReadFileOrDie(dir.Path("run.svg"));
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("</svg>"));
  EXPECT_THAT(svg, HasSubstr("with gangs"));
  EXPECT_THAT(svg, HasSubstr("without gangs"));
}

TEST(SimulateCommandTest, BadInputsAreOneErrorLine) {
  TempDir dir;
  const std::string cluster = Example("sim-cluster-tpu.yaml");
  const std::string workload = Example("sim-workload-tpu.yaml");
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"--cluster", dir.Path("missing.yaml"), "--workload", workload}, "missing.yaml"},
      {{"--cluster", dir.Write("garbage.yaml", "{{{ not yaml"), "--workload", workload}, "garbage.yaml"},
      {{"--cluster", dir.Write("shape.yaml",
                               "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Cluster\nspec:\n  nodePools:\n"
                               "  - {name: x, shape: tpu-v99, count: 1}\n"),
        "--workload", workload},
       "tpu-v99"},
      {{"--cluster", cluster, "--workload",
        dir.Write("arrival.yaml",
                  "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: a\n  annotations:\n"
                  "    sim.phalanx.dev/arrival: soon\nspec:\n  replicatedJobs: []\n")},
       "sim.phalanx.dev/arrival"},
      {{"--cluster", cluster, "--workload", dir.Write("empty.yaml", "")}, "empty.yaml"},
  };
  for (const Case& c : cases) {
    Result r = Simulate(c.args);
    EXPECT_EQ(r.code, kExitInvalid) << c.want << ": " << r.err;
    EXPECT_THAT(r.err, StartsWith("error: ")) << c.want;
    EXPECT_THAT(r.err, HasSubstr(c.want));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(SimulateCommandTest, UsageErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"--cluster", "c.yaml"},
           {"--cluster", "c.yaml", "--workload", "w.yaml", "-o", "xml"},
           {"--cluster", "c.yaml", "--workload", "w.yaml", "--compare", "--without-gangs"},
           {"--cluster", "c.yaml", "--workload", "w.yaml", "--seed", "-3"},
           {"--cluster", "c.yaml", "--workload", "w.yaml", "--max-time", "forever"},
           {"--cluster", "c.yaml", "--workload", "w.yaml", "extra"},
       }) {
    Result r = Simulate(args);
    EXPECT_EQ(r.code, kExitUsage) << r.err;
    EXPECT_THAT(r.err, StartsWith("error: "));
  }
  Result help = Simulate({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: phalanx simulate"));
}

}  // namespace
}  // namespace phalanx::cli
