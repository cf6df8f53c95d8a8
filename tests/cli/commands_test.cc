#include "cli/commands.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"

namespace phalanx::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

struct Result {
  int code;
  std::string out, err;
};

Result RunCli(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int code = Run(args, in, out, err);
  return {code, out.str(), err.str()};
}

std::string Example() { return phalanx::testing::SourceDir() + "/examples/jobset-tpu.yaml"; }

constexpr char kBadJobSet[] = R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: Bad}
spec:
  managedBy: kueue
  replicatedJobs:
  - name: w
    groupName: G
)";

TEST(CliTest, ValidateAcceptsTheExample) {
  Result r = RunCli({"validate", "-f", Example()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "jobset llm-train is valid\n");
  EXPECT_THAT(r.err, IsEmpty());
}

TEST(CliTest, ValidatePrintsOneUpstreamErrorPerLine) {
  Result r = RunCli({"validate", "-f", "-"}, kBadJobSet);
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.out, IsEmpty());
  std::vector<std::string> lines;
  std::istringstream ss(r.err);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << r.err;
  EXPECT_THAT(lines[0], HasSubstr("metadata.name: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain"));
  EXPECT_THAT(lines[1], HasSubstr("spec.managedBy: Invalid value: \"kueue\": must be a domain-prefixed path"));
  EXPECT_THAT(lines[2], HasSubstr("spec.replicatedJobs[0].groupName: Invalid value: \"G\""));
  EXPECT_THAT(lines[3], HasSubstr("spec.replicatedJobs[0].name: Invalid value: \"Bad-w-0\""));
}

TEST(CliTest, ValidateUpdateWithOld) {
  std::string dir = ::testing::TempDir();
  std::string old_path = dir + "/old.yaml", new_path = dir + "/new.yaml";
  std::ifstream src(Example());
  std::stringstream text;
  text << src.rdbuf();
  std::ofstream(old_path) << text.str();
  std::string changed = text.str();
  changed.replace(changed.find("replicas: 2"), 11, "replicas: 3");
  std::ofstream(new_path) << changed;
  Result same = RunCli({"validate", "-f", old_path, "--old", old_path});
  EXPECT_EQ(same.code, kExitOk) << same.err;
  Result r = RunCli({"validate", "-f", new_path, "--old", old_path});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_EQ(r.err, "spec.replicatedJobs: Invalid value: \"array\": field is immutable\n");
}

TEST(CliTest, DefaultPrintsTheDefaultedJobSet) {
  Result r = RunCli({"default", "-f", Example(), "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  Json js = Json::parse(r.out);
  EXPECT_EQ(js["spec"]["successPolicy"]["operator"], "All");
  EXPECT_EQ(js["spec"]["network"]["enableDNSHostnames"], true);
  EXPECT_EQ(js["spec"]["failurePolicy"]["rules"][0]["name"], "failurePolicyRule0");
  EXPECT_EQ(js["spec"]["replicatedJobs"][1]["template"]["spec"]["template"]["spec"]["restartPolicy"],
            "OnFailure");
}

TEST(CliTest, ExpandPrintsAListOfJobsAndTheService) {
  Result r = RunCli({"expand", "-f", Example(), "--restarts", "2", "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  Json list = Json::parse(r.out);
  EXPECT_EQ(list["kind"], "List");
  ASSERT_EQ(list["items"].size(), 4u);
  EXPECT_EQ(list["items"][1]["metadata"]["name"], "llm-train-workers-0");
  EXPECT_EQ(list["items"][1]["metadata"]["labels"]["jobset.sigs.k8s.io/restart-attempt"], "2");
  EXPECT_EQ(list["items"][3]["kind"], "Service");
  // YAML output carries the same objects.
  Result y = RunCli({"expand", "-f", Example(), "--restarts", "2"});
  ASSERT_EQ(y.code, kExitOk);
  Result back = RunCli({"validate", "-f", "-"}, "");  // sanity: stdin works and is empty here
  EXPECT_EQ(back.code, kExitInvalid);
  EXPECT_THAT(back.err, HasSubstr("no document"));
}

TEST(CliTest, BadInputIsOneClearLine) {
  struct Case {
    std::string name, input, message;
  };
  const std::vector<Case> cases = {
      {"malformed yaml", "a: [", "malformed YAML"},
      {"malformed json", "{\"a\":", "malformed JSON"},
      {"not a jobset", "apiVersion: v1\nkind: Pod\n", "not a JobSet: kind is \"Pod\""},
      {"wrong version", "apiVersion: jobset.x-k8s.io/v1\nkind: JobSet\n", "unsupported apiVersion"},
      {"scalar document", "hello\n", "not an object"},
      {"deep nesting", std::string(10000, '[') + std::string(10000, ']'), "nested deeper"},
      {"wrong field type", "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nspec: {suspend: yes-please}\n",
       "spec.suspend: expected boolean, got string"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result r = RunCli({"expand", "-f", "-"}, c.input);
    EXPECT_EQ(r.code, kExitInvalid);
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(CliTest, UsageErrorsExitTwo) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"expand"}, {"expand", "-f"}, {"expand", "-f", "x", "-o", "xml"},
           {"expand", "-f", "x", "--restarts", "-1"}, {"validate", "-f", "x", "--bogus"},
           {"default", "-f", "x", "extra"}}) {
    Result r = RunCli(args);
    EXPECT_EQ(r.code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("usage: phalanx"));
  }
  EXPECT_EQ(RunCli({"--help"}).code, kExitOk);
}

TEST(CliTest, MissingFileIsInvalidInput) {
  Result r = RunCli({"validate", "-f", "/nonexistent/js.yaml"});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_EQ(r.err, "error: cannot open /nonexistent/js.yaml\n");
}

// The real binary, as a user runs it.
TEST(CliProcessTest, BinaryExitCodes) {
  std::string bin = phalanx::testing::BinaryDir() + "/cli/phalanx";
  auto status = [&](const std::string& args) {
    int rc = std::system((bin + " " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  EXPECT_EQ(status("validate -f " + Example()), 0);
  EXPECT_EQ(status("validate -f /dev/null"), 1);
  EXPECT_EQ(status("nope"), 2);
  EXPECT_EQ(status("expand -o json -f - < " + Example()), 0);
}

}  // namespace
}  // namespace phalanx::cli
