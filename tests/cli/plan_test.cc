#include "cli/plan.h"

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"

namespace phalanx::cli {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string Example(const std::string& name) { return phalanx::testing::SourceDir() + "/examples/" + name; }

struct Result {
  int code;
  std::string out, err;
};

Result Plan(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  args.insert(args.begin(), "plan");
  int code = Run(args, in, out, err);
  return {code, out.str(), err.str()};
}

// A second JobSet wanting three more whole pools of the same shape.
std::string WriteBigJobSet() {
  std::ifstream src(Example("jobset-tpu.yaml"));
  std::stringstream ss;
  ss << src.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("name: llm-train"), 15, "name: big-train");
  text.replace(text.find("replicas: 2"), 11, "replicas: 3");
  std::string path = ::testing::TempDir() + "/big.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(PlanTest, ReservesWholeFreePoolsAndSkipsTheOccupiedOne) {
  Result r = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", Example("jobset-tpu.yaml"), "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["reservations"].size(), 2u);
  std::set<std::string> domains;
  for (const auto& res : j["reservations"]) domains.insert(res["domain"].get<std::string>());
  EXPECT_EQ(domains.size(), 2u);  // each Job alone on its pool
  EXPECT_FALSE(domains.count("cloud.google.com/gke-nodepool=pool-a"));  // a notebook runs there
  EXPECT_TRUE(j["unplaced"].empty());
}

TEST(PlanTest, LaterJobSetsSeeEarlierReservationsAndWaitAllOrNothing) {
  std::string big = WriteBigJobSet();
  Result r = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", Example("jobset-tpu.yaml"), "-f", big,
                   "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["reservations"].size(), 2u);  // nothing of big-train is half-placed
  ASSERT_EQ(j["unplaced"].size(), 1u);
  EXPECT_EQ(j["unplaced"][0]["gang"], "ml/big-train");
  EXPECT_THAT(j["unplaced"][0]["reason"].get<std::string>(), HasSubstr("reserved by ml/llm-train"));
  // Alone, big-train fits: pools b, c and d are free of other pods.
  Result alone = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", big});
  EXPECT_EQ(alone.code, kExitOk);
  EXPECT_THAT(alone.out, HasSubstr("big-train-workers-2"));
}

TEST(PlanTest, TextOutput) {
  Result r = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", Example("jobset-tpu.yaml")});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("llm-train-workers-0\tcloud.google.com/gke-nodepool=pool-"));
}

TEST(PlanTest, Errors) {
  EXPECT_EQ(Plan({"-f", Example("jobset-tpu.yaml")}).code, kExitUsage);
  EXPECT_EQ(Plan({"--cluster", Example("cluster-tpu.yaml")}).code, kExitUsage);
  EXPECT_EQ(Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", Example("jobset-tpu.yaml"), "-o", "yaml"}).code,
            kExitUsage);
  Result bad_cluster = Plan({"--cluster", "-", "-f", Example("jobset-tpu.yaml")}, "kind: Deployment\n");
  EXPECT_EQ(bad_cluster.code, kExitInvalid);
  EXPECT_THAT(bad_cluster.err, HasSubstr("expected a v1 List of Nodes and Pods"));
  Result bad_js = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", "-"},
                       "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: x\n"
                       "  annotations: {phalanx.dev/gang-policy: Everything}\n");
  EXPECT_EQ(bad_js.code, kExitInvalid);
  EXPECT_THAT(bad_js.err, HasSubstr("is not one of Job, ReplicatedJob, JobSet"));
}

}  // namespace
}  // namespace phalanx::cli
