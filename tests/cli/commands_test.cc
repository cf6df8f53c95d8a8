#include "cli/commands.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/read_file.h"
#include "common/strings.h"
#include "common/version.h"
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

TEST(CliTest, ValidateRefusesUnknownFieldsAsStrictFieldValidationDoes) {
  std::string js = phalanx::testing::ReadFileOrDie(Example());
  js.replace(js.find("\nspec:\n"), 7, "\nspec:\n  replicaJobs: []\n");
  Result r = RunCli({"validate", "-f", "-"}, js);
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.err, HasSubstr("strict decoding error: unknown field \"spec.replicaJobs\""));
  EXPECT_THAT(r.out, IsEmpty());
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
  EXPECT_EQ(r.err, "error: cannot open /nonexistent/js.yaml: No such file or directory\n");
}

// Every file a command reads says why it cannot be read; a directory is an error, not an abort.
TEST(CliTest, FileErrorsSayWhy) {
  const std::string dir = ::testing::TempDir();
  const std::string missing = dir + "/no-such-jobset.yaml";
  const std::string cluster = phalanx::testing::SourceDir() + "/examples/cluster-tpu.yaml";
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"validate", "-f", dir}, "error: cannot open " + dir + ": Is a directory\n"},
      {{"default", "-f", dir}, "error: cannot open " + dir + ": Is a directory\n"},
      {{"expand", "-f", missing}, "error: cannot open " + missing + ": No such file or directory\n"},
      {{"validate", "-f", Example(), "--old", dir}, "error: cannot open " + dir + ": Is a directory\n"},
      {{"plan", "--cluster", dir, "-f", Example()}, "error: cannot open " + dir + ": Is a directory\n"},
      {{"plan", "--cluster", cluster, "-f", missing},
       "error: cannot open " + missing + ": No such file or directory\n"},
      {{"plan", "--cluster", cluster, "-f", Example(), "--topology-file", missing},
       "error: cannot open " + missing + ": No such file or directory\n"},
      {{"validate", "-f", Example() + "/x"}, "error: cannot open " + Example() + "/x: Not a directory\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    Result r = RunCli(c.args);
    EXPECT_EQ(r.code, kExitInvalid);
    EXPECT_EQ(r.err, c.want);
    EXPECT_THAT(r.out, IsEmpty());
  }
}

TEST(CliTest, UnreadableFileSaysPermissionDenied) {
  // The reason comes from the system; the wording is shared by every binary (common/read_file.h).
  EXPECT_EQ(phalanx::ErrnoStatus(EACCES, "cannot open x.yaml").message(),
            "cannot open x.yaml: Permission denied");
  if (geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  const std::string path = ::testing::TempDir() + "/unreadable.yaml";
  std::ofstream(path) << "kind: JobSet\n";
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  Result r = RunCli({"validate", "-f", path});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_EQ(r.err, "error: cannot open " + path + ": Permission denied\n");
}

// Invalid UTF-8 in any string of the input is one clear error line and exit 1 on every command, from
// a file or standard input, in JSON or YAML (JSON encoders refuse such text; it used to abort).
TEST(CliTest, InvalidUtf8IsOneErrorLineOnEveryCommand) {
  const std::string jobset = phalanx::testing::ReadFileOrDie(Example());
  const std::string cluster =
      phalanx::testing::ReadFileOrDie(phalanx::testing::SourceDir() + "/examples/cluster-tpu.yaml");
  auto yaml_with = [](std::string text, const std::string& bad) {
    const size_t at = text.find("name: ");
    text.insert(at + 6, "x" + bad);
    return text;
  };
  const std::string bad_bytes[] = {"\xff", "\xc3(", "\xed\xa0\x80", "\xc0\xaf", "\x80"};
  struct Input {
    std::string name, text;
  };
  std::vector<Input> jobsets, clusters;
  for (const std::string& bad : bad_bytes) {
    jobsets.push_back({"yaml", yaml_with(jobset, bad)});
    jobsets.push_back({"json", "{\"apiVersion\":\"jobset.x-k8s.io/v1alpha2\",\"kind\":\"JobSet\","
                               "\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":\"v" + bad + "\"}}}"});
    jobsets.push_back({"yaml key", "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n"
                                   "  name: a\n  annotations:\n    k" + bad + ": v\n"});
    clusters.push_back({"cluster yaml", yaml_with(cluster, bad)});
  }
  const std::string dir = ::testing::TempDir();
  const std::string good_jobset = Example();
  const std::string good_cluster = phalanx::testing::SourceDir() + "/examples/cluster-tpu.yaml";
  int n = 0;
  auto check = [&](std::vector<std::string> args, const std::string& stdin_text) {
    SCOPED_TRACE(::testing::PrintToString(args));
    Result r = RunCli(args, stdin_text);
    EXPECT_EQ(r.code, kExitInvalid) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    ++n;
  };
  for (const Input& in : jobsets) {
    SCOPED_TRACE(in.name);
    const std::string file = dir + "/bad-utf8-" + std::to_string(n) + ".txt";
    std::ofstream(file, std::ios::binary) << in.text;
    for (const char* command : {"default", "validate", "expand"}) {
      check({command, "-f", file}, "");
      check({command, "-f", "-"}, in.text);
    }
    check({"validate", "-f", good_jobset, "--old", file}, "");
    check({"plan", "--cluster", good_cluster, "-f", file}, "");
    check({"plan", "--cluster", good_cluster, "-f", "-"}, in.text);
  }
  for (const Input& in : clusters) {
    const std::string file = dir + "/bad-utf8-" + std::to_string(n) + ".txt";
    std::ofstream(file, std::ios::binary) << in.text;
    check({"plan", "--cluster", file, "-f", good_jobset}, "");
    check({"plan", "--cluster", "-", "-f", good_jobset}, in.text);
  }
}

TEST(CliTest, InvalidUtf8InYamlNamesTheLine) {
  Result r = RunCli({"validate", "-f", "-"},
                    "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: a\xff\n");
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_EQ(r.err, "error: -: invalid UTF-8 in a string at line 4, column 9\n");
}

// `phalanx <command> --help` (or -h) prints that command's usage on stdout and exits 0, whatever
// else is on the line; `phalanx help <command>` too.
TEST(CliTest, CommandHelp) {
  for (const std::string command : {"default", "validate", "expand", "plan", "version"}) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {command, "--help"}, {command, "-h"}, {command, "-f", "x.yaml", "--bogus", "-h"},
             {"help", command}}) {
      SCOPED_TRACE(::testing::PrintToString(args));
      Result r = RunCli(args);
      EXPECT_EQ(r.code, kExitOk);
      EXPECT_EQ(r.out.rfind("usage: phalanx " + command, 0), 0u) << r.out;
      EXPECT_THAT(r.err, IsEmpty());
    }
  }
  EXPECT_THAT(RunCli({"plan", "--help"}).out, HasSubstr("--topology-file FILE"));
  EXPECT_THAT(RunCli({"expand", "-h"}).out, HasSubstr("--restarts N"));
  EXPECT_THAT(RunCli({"validate", "-h"}).out, HasSubstr("--old FILE"));
  // The top-level usage lists every command.
  Result top = RunCli({"--help"});
  EXPECT_EQ(top.code, kExitOk);
  for (const char* command : {"default", "validate", "expand", "plan", "version"}) {
    EXPECT_THAT(top.out, HasSubstr(std::string("\n  ") + command + " "));
  }
  EXPECT_EQ(RunCli({"frobnicate", "--help"}).code, kExitUsage);
}

TEST(CliTest, Version) {
  const std::string want =
      absl::StrCat("phalanx version ", AsAbsl(Version()), ", commit ", AsAbsl(GitCommit()), "\n");
  for (const std::string arg : {"--version", "version"}) {
    Result r = RunCli({arg});
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_EQ(r.out, want);
    EXPECT_THAT(r.err, IsEmpty());
  }
  EXPECT_EQ(RunCli({"version", "extra"}).code, kExitUsage);
  // A full commit hash (this test runs in a git checkout) or "unknown" when built without git.
  EXPECT_TRUE(std::regex_match(std::string(GitCommit()), std::regex("[0-9a-f]{40}(-dirty)?|unknown")))
      << GitCommit();
  EXPECT_TRUE(std::regex_match(std::string(Version()), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+.*")))
      << Version();
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
  // Never an abort (exit 134): a directory, invalid UTF-8.
  EXPECT_EQ(status("validate -f " + ::testing::TempDir()), 1);
  const std::string bad = ::testing::TempDir() + "/bad-utf8.yaml";
  std::ofstream(bad, std::ios::binary) << "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\n"
                                          "metadata:\n  name: a\xff\n";
  for (const char* command : {"default", "validate", "expand"}) {
    EXPECT_EQ(status(std::string(command) + " -f " + bad), 1) << command;
    EXPECT_EQ(status(std::string(command) + " -f - < " + bad), 1) << command;
  }
  EXPECT_EQ(status("plan --help"), 0);
  EXPECT_EQ(status("expand -h"), 0);
  EXPECT_EQ(status("--version"), 0);
}

// --version on every binary: one line naming the binary, the version and the commit; exit 0. (The
// commit is matched by form: a binary relinked after a new commit may be newer than this test.)
TEST(CliProcessTest, VersionOnEveryBinary) {
  const std::string dir = phalanx::testing::BinaryDir();
  const std::pair<std::string, std::string> binaries[] = {
      {"phalanx", "/cli/phalanx"},
      {"phalanx-webhook", "/webhook/phalanx-webhook"},
      {"phalanx-controller", "/controller/phalanx-controller"},
      {"phalanx-extender", "/scheduler-extender/phalanx-extender"},
      {"phalanx-memory-apiserver", "/kube/phalanx-memory-apiserver"},
  };
  for (const auto& [name, path] : binaries) {
    SCOPED_TRACE(name);
    const std::string out_file = ::testing::TempDir() + "/" + name + ".version";
    const int rc = std::system((dir + path + " --version >" + out_file + " 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 0);
    const std::string out = phalanx::testing::ReadFileOrDie(out_file);
    EXPECT_TRUE(std::regex_match(out, std::regex(name + " version " + std::string(Version()) +
                                                 ", commit ([0-9a-f]{40}(-dirty)?|unknown)\n")))
        << out;
  }
}

}  // namespace
}  // namespace phalanx::cli
