#include "cli/plan.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "api/quantity.h"
#include "cli/commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "placement/resources.h"
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

// Why a gang waits, with one pod's request as Kubernetes users write it: canonical quantities
// (millicores, binary suffixes, extended resources), not the engine's internal units.
TEST(PlanTest, ExplanationsPrintQuantitiesInCanonicalForm) {
  std::ifstream src(Example("jobset-tpu.yaml"));
  std::stringstream ss;
  ss << src.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("replicas: 2"), 11, "replicas: 9");  // more slices than the cluster has pools
  const std::string cpu = "cpu: \"8\"";
  text.replace(text.find(cpu), cpu.size(), "cpu: 1500m\n                      memory: 1000Gi");
  std::string path = ::testing::TempDir() + "/quantities.yaml";
  std::ofstream(path) << text;
  for (const char* format : {"text", "json"}) {
    SCOPED_TRACE(format);
    std::vector<std::string> args = {"--cluster", Example("cluster-tpu.yaml"), "-f", path};
    if (std::string(format) == "json") args.insert(args.end(), {"-o", "json"});
    Result r = Plan(args);
    ASSERT_EQ(r.code, kExitOk) << r.err;
    EXPECT_THAT(r.out, HasSubstr("pods of {cpu: 1500m, google.com/tpu: 4, memory: 1000Gi}")) << r.out;
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr("1073741824000"))) << r.out;
  }
  // The example as it is: cpu "8" is printed "8", not 8000 milli-units.
  std::string big = WriteBigJobSet();
  Result r = Plan({"--cluster", Example("cluster-tpu.yaml"), "-f", Example("jobset-tpu.yaml"), "-f", big});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pods of {cpu: 8, google.com/tpu: 4}")) << r.out;
}

// placement/ keeps its own copy of the canonical quantity rules (it does not depend on api/): both
// copies print every value alike.
TEST(PlanTest, PlacementAndApiPrintQuantitiesAlike) {
  const int64_t values[] = {0,          1,           7,          500,        999,
                            1000,       1024,        1500,       2048,       64000,
                            1000000,    1048576,     1000000000, 1073741824, int64_t{1000} << 30,
                            int64_t{1536} << 20,     int64_t{3} << 40,       int64_t{1} << 62,
                            123456789,  4000000000000};
  for (const char* resource : {"cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "google.com/tpu",
                               "nvidia.com/gpu", "pods"}) {
    for (int64_t v : values) {
      SCOPED_TRACE(std::string(resource) + " " + std::to_string(v));
      EXPECT_EQ(placement::FormatQuantity(resource, v), api::FormatResource(resource, v));
    }
  }
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

// Rack names repeat in every block and no chain is configured: the JobSet's colocate key (block)
// and exclusive key (rack) form a chain by themselves, so its Jobs land on two racks of one block,
// printed by full path. block-2 runs a pod on one rack, so block-1 is the only block with two free.
TEST(PlanTest, RepeatedRackNamesArePlacedAndPrintedByFullPath) {
  Result r = Plan({"--cluster", Example("cluster-racks.yaml"), "-f", Example("jobset-racks.yaml"), "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_TRUE(j["unplaced"].empty()) << r.out;
  ASSERT_EQ(j["reservations"].size(), 2u) << r.out;
  EXPECT_EQ(j["reservations"][0]["job"], "rack-train-workers-0");
  EXPECT_EQ(j["reservations"][0]["domain"], "cloud.provider.com/topology-rack=block-1/rack-1");
  EXPECT_EQ(j["reservations"][1]["domain"], "cloud.provider.com/topology-rack=block-1/rack-2");
  // Every label of the full path, as a nodeSelector would carry it.
  EXPECT_EQ(j["reservations"][1]["labels"],
            Json({{"cloud.provider.com/topology-block", "block-1"}, {"cloud.provider.com/topology-rack", "rack-2"}}));
  Result text = Plan({"--cluster", Example("cluster-racks.yaml"), "-f", Example("jobset-racks.yaml")});
  ASSERT_EQ(text.code, kExitOk) << text.err;
  EXPECT_THAT(text.out, HasSubstr("rack-train-workers-1\tcloud.provider.com/topology-rack=block-1/rack-2\n"));
}

constexpr char kRackBlock[] = "cloud.provider.com/topology-block";
constexpr char kRackRack[] = "cloud.provider.com/topology-rack";

std::string ReadText(const std::string& path) {
  std::ifstream src(path);
  std::stringstream ss;
  ss << src.rdbuf();
  return ss.str();
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// jobset-racks.yaml without the colocate annotation: each Job exclusive on the rack key alone.
std::string WriteRackOnlyJobSet() {
  std::string text = ReadText(Example("jobset-racks.yaml"));
  const std::string line = "    phalanx.dev/colocate-topology: cloud.provider.com/topology-block\n";
  text.erase(text.find(line), line.size());
  return WriteTemp("rack-only.yaml", text);
}

std::set<std::string> DomainsOf(const Json& j) {
  std::set<std::string> out;
  for (const auto& res : j["reservations"]) out.insert(res["domain"].get<std::string>());
  return out;
}

// Without a chain, the rack key alone is a level of its own: rack-1 is one domain spanning both blocks
// and rack-2 is busy, so two Jobs wait. A configured chain (flag, file or Kueue Topology) splits racks
// by block, and the same JobSet gets two whole racks, printed by full path.
TEST(PlanTest, TopologyChainsFromFlagsFileAndKueueObjects) {
  const std::string js = WriteRackOnlyJobSet();
  Result alone = Plan({"--cluster", Example("cluster-racks.yaml"), "-f", js, "-o", "json"});
  ASSERT_EQ(alone.code, kExitOk) << alone.err;
  ASSERT_EQ(Json::parse(alone.out)["unplaced"].size(), 1u) << alone.out;

  const std::set<std::string> want = {"cloud.provider.com/topology-rack=block-1/rack-1",
                                      "cloud.provider.com/topology-rack=block-2/rack-1"};
  Result flag = Plan({"--cluster", Example("cluster-racks.yaml"), "-f", js, "-o", "json", "--topology",
                      std::string(kRackBlock) + "," + kRackRack});
  ASSERT_EQ(flag.code, kExitOk) << flag.err;
  EXPECT_TRUE(Json::parse(flag.out)["unplaced"].empty()) << flag.out;
  EXPECT_EQ(DomainsOf(Json::parse(flag.out)), want);

  const std::string file = WriteTemp("chains.yaml", std::string("chains:\n- [") + kRackBlock + ", " + kRackRack + "]\n");
  Result from_file = Plan({"--cluster", Example("cluster-racks.yaml"), "-f", js, "-o", "json", "--topology-file", file});
  ASSERT_EQ(from_file.code, kExitOk) << from_file.err;
  EXPECT_EQ(DomainsOf(Json::parse(from_file.out)), want);

  const std::string kueue_cluster = WriteTemp(
      "cluster-racks-kueue.yaml", ReadText(Example("cluster-racks.yaml")) +
                                      "- apiVersion: kueue.x-k8s.io/v1beta2\n"
                                      "  kind: Topology\n"
                                      "  metadata:\n"
                                      "    name: racks\n"
                                      "  spec:\n"
                                      "    levels:\n"
                                      "    - nodeLabel: cloud.provider.com/topology-block\n"
                                      "    - nodeLabel: cloud.provider.com/topology-rack\n"
                                      "    - nodeLabel: kubernetes.io/hostname\n");
  Result kueue = Plan({"--cluster", kueue_cluster, "-f", js, "-o", "json"});
  ASSERT_EQ(kueue.code, kExitOk) << kueue.err;
  EXPECT_EQ(DomainsOf(Json::parse(kueue.out)), want);
  // The colocated JobSet reads the same racks whether or not a chain is configured.
  Result colocated = Plan({"--cluster", kueue_cluster, "-f", Example("jobset-racks.yaml"), "-o", "json"});
  ASSERT_EQ(colocated.code, kExitOk) << colocated.err;
  EXPECT_EQ(DomainsOf(Json::parse(colocated.out)),
            std::set<std::string>({"cloud.provider.com/topology-rack=block-1/rack-1",
                                   "cloud.provider.com/topology-rack=block-1/rack-2"}));
}

TEST(PlanTest, BadTopologyChainsAreInvalidInputNamingTheSource) {
  const std::string cluster = Example("cluster-racks.yaml");
  const std::string js = Example("jobset-racks.yaml");
  Result empty_key = Plan({"--cluster", cluster, "-f", js, "--topology", "block,,rack"});
  EXPECT_EQ(empty_key.code, kExitInvalid);
  EXPECT_THAT(empty_key.err, HasSubstr("--topology=\"block,,rack\": empty key at position 2"));

  Result conflict = Plan({"--cluster", cluster, "-f", js, "--topology", "zone,cloud.provider.com/topology-rack",
                          "--topology", std::string(kRackBlock) + "," + kRackRack});
  EXPECT_EQ(conflict.code, kExitInvalid);
  EXPECT_THAT(conflict.err, HasSubstr("topology chains conflict: key cloud.provider.com/topology-rack"));

  const std::string bad_file = WriteTemp("bad-chains.yaml", "chains: [[a, b]]\nextra: 1\n");
  Result file = Plan({"--cluster", cluster, "-f", js, "--topology-file", bad_file});
  EXPECT_EQ(file.code, kExitInvalid);
  EXPECT_THAT(file.err, HasSubstr(bad_file + ": unknown field \"extra\""));
  EXPECT_EQ(Plan({"--cluster", cluster, "-f", js, "--topology-file", ::testing::TempDir() + "/none.yaml"}).code,
            kExitInvalid);
  EXPECT_EQ(Plan({"--cluster", cluster, "-f", js, "--topology-file", bad_file, "--topology-file", bad_file}).code,
            kExitUsage);

  const std::string bad_kueue = WriteTemp("cluster-bad-kueue.yaml", ReadText(cluster) +
                                                                        "- apiVersion: kueue.x-k8s.io/v1beta2\n"
                                                                        "  kind: Topology\n"
                                                                        "  metadata: {name: broken}\n"
                                                                        "  spec: {levels: []}\n");
  Result kueue = Plan({"--cluster", bad_kueue, "-f", js});
  EXPECT_EQ(kueue.code, kExitInvalid);
  EXPECT_THAT(kueue.err, HasSubstr("Kueue Topology \"broken\": spec.levels: must have 1 to 16 levels"));
}

TEST(PlanTest, UsageMentionsTopologyFlags) {
  Result r = Plan({"--cluster", Example("cluster-racks.yaml")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--topology KEY1,KEY2,..."));
  EXPECT_THAT(r.err, HasSubstr("--topology-file FILE"));
}

}  // namespace
}  // namespace phalanx::cli
