// sim/scenario: generated cluster shapes (node counts, names, labels, allocatable), real dumps
// (Nodes kept, bound unfinished Pods kept), workloads (annotations, defaults, ordering, Fault
// documents), and every refusal with its one-line message naming the file, the document and the
// field.
#include "sim/scenario.h"

#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::vector<json> Nodes(const ClusterSpec& c) {
  std::vector<json> out;
  for (const std::string& n : c.nodes) out.push_back(json::parse(n));
  return out;
}

std::string Label(const json& node, const std::string& key) {
  const json& labels = node["metadata"]["labels"];
  return labels.contains(key) ? labels[key].get<std::string>() : "";
}

std::set<std::string> Distinct(const std::vector<json>& nodes, const std::string& key) {
  std::set<std::string> out;
  for (const json& n : nodes) out.insert(Label(n, key));
  return out;
}

ClusterSpec MustCluster(const std::string& text) {
  auto c = ParseCluster("c.yaml", text);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : ClusterSpec{};
}

std::string Pools(const std::string& pools) {
  return absl::StrCat(
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Cluster\nmetadata: {name: test}\nspec:\n  "
      "nodePools:\n",
      pools);
}

// --- generated shapes
// --------------------------------------------------------------------------------

TEST(ParseClusterTest, TpuSlicesAreNodePoolsOfFourChipHosts) {
  const ClusterSpec c =
      MustCluster(Pools("  - {name: v5p, shape: tpu-v5p-slice, topology: 2x2x4, count: 2}\n"
                        "  - {name: v6e, shape: tpu-v6e-slice, topology: 4x4, count: 1}\n"
                        "  - {name: v5e, shape: tpu-v5-lite-podslice, topology: 2x2, count: 1}\n"));
  EXPECT_EQ(c.name, "test");
  const auto nodes = Nodes(c);
  // 2x2x4 = 16 chips = 4 hosts per slice; 4x4 = 4 hosts; 2x2 = one host.
  ASSERT_EQ(nodes.size(), 2 * 4 + 4 + 1u);
  std::map<std::string, int> per_pool;
  for (const json& n : nodes) {
    EXPECT_EQ(n["apiVersion"], "v1");
    EXPECT_EQ(n["kind"], "Node");
    const std::string name = n["metadata"]["name"];
    EXPECT_EQ(Label(n, "kubernetes.io/hostname"), name);
    const std::string pool = Label(n, "cloud.google.com/gke-nodepool");
    ++per_pool[pool];
    EXPECT_EQ(name.rfind(pool + "-", 0), 0u) << name << " not in pool " << pool;
    EXPECT_EQ(n["status"]["allocatable"]["google.com/tpu"], "4");
    EXPECT_EQ(n["status"]["allocatable"]["pods"], "110");
    EXPECT_TRUE(n["status"]["allocatable"].contains("cpu"));
    EXPECT_TRUE(n["status"]["allocatable"].contains("memory"));
    EXPECT_EQ(n["status"]["capacity"], n["status"]["allocatable"]);
    ASSERT_EQ(n["status"]["conditions"].size(), 1u);
    EXPECT_EQ(n["status"]["conditions"][0]["type"], "Ready");
    EXPECT_EQ(n["status"]["conditions"][0]["status"], "True");
  }
  EXPECT_EQ(per_pool,
            (std::map<std::string, int>{{"v5p-0", 4}, {"v5p-1", 4}, {"v6e-0", 4}, {"v5e-0", 1}}));
  // Ordered by name; accelerator and topology labels as GKE sets them.
  for (size_t i = 1; i < c.nodes.size(); ++i) {
    EXPECT_LT(nodes[i - 1]["metadata"]["name"].get<std::string>(),
              nodes[i]["metadata"]["name"].get<std::string>());
  }
  for (const json& n : nodes) {
    const std::string name = n["metadata"]["name"];
    if (name.rfind("v5p-", 0) == 0) {
      EXPECT_EQ(Label(n, "cloud.google.com/gke-tpu-accelerator"), "tpu-v5p-slice");
      EXPECT_EQ(Label(n, "cloud.google.com/gke-tpu-topology"), "2x2x4");
    } else if (name.rfind("v6e-", 0) == 0) {
      EXPECT_EQ(Label(n, "cloud.google.com/gke-tpu-accelerator"), "tpu-v6e-slice");
      EXPECT_EQ(Label(n, "cloud.google.com/gke-tpu-topology"), "4x4");
    } else {
      EXPECT_EQ(Label(n, "cloud.google.com/gke-tpu-accelerator"), "tpu-v5-lite-podslice");
    }
  }
  EXPECT_EQ(nodes[0]["metadata"]["name"], "v5e-0-0");
  EXPECT_TRUE(c.bound_pods.empty());
}

TEST(ParseClusterTest, Gb200RacksAreCliquesOfEighteenNodes) {
  const ClusterSpec c = MustCluster(Pools("  - {name: rack, shape: gb200-nvl72, count: 3}\n"));
  const auto nodes = Nodes(c);
  ASSERT_EQ(nodes.size(), 3 * 18u);
  std::map<std::string, int> per_clique;
  std::set<std::string> uuids;
  const std::regex clique(
      R"(^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9]+)$)");
  for (const json& n : nodes) {
    const std::string value = Label(n, "nvidia.com/gpu.clique");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(value, m, clique)) << value;
    uuids.insert(m[1]);
    ++per_clique[value];
    const std::string name = n["metadata"]["name"];
    // rack-<r>-<n> is in clique <uuid>.<r>
    EXPECT_EQ(name.substr(0, name.find('-', 5)), absl::StrCat("rack-", m[2].str()));
    EXPECT_EQ(n["status"]["allocatable"]["nvidia.com/gpu"], "4");
    EXPECT_EQ(Label(n, "kubernetes.io/hostname"), name);
  }
  EXPECT_EQ(uuids.size(), 1u);
  ASSERT_EQ(per_clique.size(), 3u);
  for (const auto& [value, count] : per_clique) EXPECT_EQ(count, 18) << value;
}

TEST(ParseClusterTest, GkeGpuBlocksSubblocksAndHosts) {
  const ClusterSpec c = MustCluster(
      Pools("  - {name: a4, shape: gke-gpu-block, blocks: 2, subblocks: 3, hosts: 4}\n"));
  const auto nodes = Nodes(c);
  ASSERT_EQ(nodes.size(), 2 * 3 * 4u);
  EXPECT_EQ(Distinct(nodes, "cloud.google.com/gce-topology-block").size(), 2u);
  EXPECT_EQ(Distinct(nodes, "cloud.google.com/gce-topology-subblock").size(), 6u);
  EXPECT_EQ(Distinct(nodes, "cloud.google.com/gce-topology-host").size(), 24u);
  for (const json& n : nodes) {
    EXPECT_EQ(n["status"]["allocatable"]["nvidia.com/gpu"], "8");
    // A sub-block belongs to one block.
    EXPECT_EQ(Label(n, "cloud.google.com/gce-topology-subblock")
                  .rfind(Label(n, "cloud.google.com/gce-topology-block"), 0),
              0u);
  }
}

TEST(ParseClusterTest, AwsNetworkNodeLayers) {
  const ClusterSpec c = MustCluster(
      Pools("  - {name: p5, shape: aws-gpu, layer1: 2, layer2: 2, layer3: 2, nodes: 3}\n"));
  const auto nodes = Nodes(c);
  ASSERT_EQ(nodes.size(), 2 * 2 * 2 * 3u);
  EXPECT_EQ(Distinct(nodes, "topology.k8s.aws/network-node-layer-1").size(), 2u);
  EXPECT_EQ(Distinct(nodes, "topology.k8s.aws/network-node-layer-2").size(), 4u);
  EXPECT_EQ(Distinct(nodes, "topology.k8s.aws/network-node-layer-3").size(), 8u);
  const std::regex id("^nn-[0-9a-f]{17}$");
  for (const json& n : nodes) {
    for (const char* key :
         {"topology.k8s.aws/network-node-layer-1", "topology.k8s.aws/network-node-layer-2",
          "topology.k8s.aws/network-node-layer-3"}) {
      EXPECT_TRUE(std::regex_match(Label(n, key), id)) << Label(n, key);
    }
    EXPECT_EQ(n["status"]["allocatable"]["nvidia.com/gpu"], "8");
  }
  // Deterministic: the same file gives the same nodes.
  EXPECT_EQ(
      MustCluster(
          Pools("  - {name: p5, shape: aws-gpu, layer1: 2, layer2: 2, layer3: 2, nodes: 3}\n"))
          .nodes,
      c.nodes);
}

TEST(ParseClusterTest, CpuPoolAndOverrides) {
  const ClusterSpec c = MustCluster(
      Pools("  - {name: cpu, shape: cpu, count: 3, cpu: \"96\", memory: 512Gi}\n"
            "  - {name: big, shape: tpu-v6e-slice, topology: 4x4, count: 1, chipsPerNode: 8}\n"
            "  - {name: g, shape: gb200-nvl72, count: 1, gpusPerNode: 2}\n"));
  const auto nodes = Nodes(c);
  ASSERT_EQ(nodes.size(), 3 + 2 + 18u);
  int cpu = 0, big = 0;
  for (const json& n : nodes) {
    const std::string name = n["metadata"]["name"];
    if (name.rfind("cpu-", 0) == 0) {
      ++cpu;
      EXPECT_EQ(n["status"]["allocatable"]["cpu"], "96");
      EXPECT_EQ(n["status"]["allocatable"]["memory"], "512Gi");
      EXPECT_FALSE(n["status"]["allocatable"].contains("google.com/tpu"));
      EXPECT_EQ(Label(n, "cloud.google.com/gke-nodepool"), "cpu");
    } else if (name.rfind("big-", 0) == 0) {
      ++big;
      EXPECT_EQ(n["status"]["allocatable"]["google.com/tpu"], "8");
    } else {
      EXPECT_EQ(n["status"]["allocatable"]["nvidia.com/gpu"], "2");
    }
  }
  EXPECT_EQ(cpu, 3);
  EXPECT_EQ(big, 2);
}

TEST(ParseClusterTest, NameDefaultsToTheFileBaseName) {
  auto c = ParseCluster("/some/dir/my-cluster.yaml",
                        "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Cluster\nspec:\n  nodePools:\n"
                        "  - {name: cpu, shape: cpu, count: 1}\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->name, "my-cluster");
}

TEST(ParseClusterTest, ManyGeneratedNodes) {
  // 65,536 nodes: 4,096 v5p slices of 16 hosts (4x4x4 = 64 chips).
  const ClusterSpec c =
      MustCluster(Pools("  - {name: v5p, shape: tpu-v5p-slice, topology: 4x4x4, count: 4096}\n"));
  ASSERT_EQ(c.nodes.size(), 65536u);
  const json last = json::parse(c.nodes.back());
  EXPECT_EQ(Label(last, "cloud.google.com/gke-nodepool"),
            "v5p-999");  // by name: "v5p-999-*" sorts last
}

// --- real dumps
// --------------------------------------------------------------------------------------

TEST(ParseClusterTest, DumpKeepsNodesAndBoundUnfinishedPods) {
  const json list = {
      {"apiVersion", "v1"},
      {"kind", "List"},
      {"items", json::array({
                    {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n2"}}}},
                    {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}},
                    {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", "running"}, {"namespace", "a"}}},
                     {"spec", {{"nodeName", "n1"}}},
                     {"status", {{"phase", "Running"}}}},
                    {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", "pending-bound"}}},
                     {"spec", {{"nodeName", "n2"}}},
                     {"status", {{"phase", "Pending"}}}},
                    {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", "unbound"}}},
                     {"spec", json::object()}},
                    {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", "done"}}},
                     {"spec", {{"nodeName", "n1"}}},
                     {"status", {{"phase", "Succeeded"}}}},
                    {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", "failed"}}},
                     {"spec", {{"nodeName", "n1"}}},
                     {"status", {{"phase", "Failed"}}}},
                    {{"apiVersion", "kueue.x-k8s.io/v1beta1"},
                     {"kind", "Topology"},
                     {"metadata", {{"name", "t"}}}},
                })}};
  auto c = ParseCluster("dump.json", list.dump());
  ASSERT_OK(c);
  ASSERT_EQ(c->nodes.size(), 2u);
  EXPECT_EQ(json::parse(c->nodes[0])["metadata"]["name"], "n1");
  EXPECT_EQ(json::parse(c->nodes[1])["metadata"]["name"], "n2");
  ASSERT_EQ(c->bound_pods.size(), 2u);
  EXPECT_EQ(json::parse(c->bound_pods[0])["metadata"]["name"], "running");
  EXPECT_EQ(json::parse(c->bound_pods[1])["metadata"]["name"], "pending-bound");
  EXPECT_EQ(c->name, "dump");
}

TEST(ParseClusterTest, DumpAsAStreamOfObjects) {
  auto c = ParseCluster("s.yaml",
                        "apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\n"
                        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeName: a}\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->nodes.size(), 1u);
  EXPECT_EQ(c->bound_pods.size(), 1u);
}

TEST(ParseClusterTest, BundledDumpExample) {
  const std::string path = testing::SourceDir() + "/examples/cluster-tpu.yaml";
  auto c = LoadCluster(path);
  ASSERT_OK(c);
  const std::string text = testing::ReadFileOrDie(path);
  size_t nodes = 0;
  for (size_t at = text.find("kind: Node\n"); at != std::string::npos;
       at = text.find("kind: Node\n", at + 1))
    ++nodes;
  EXPECT_EQ(c->nodes.size(), nodes);
  EXPECT_GE(c->bound_pods.size(), 1u);  // "one pod already running in pool-a"
  for (const std::string& p : c->bound_pods)
    EXPECT_FALSE(json::parse(p)["spec"]["nodeName"].get<std::string>().empty());
}

TEST(ParseClusterTest, BundledSimClusters) {
  auto tpu = LoadCluster(testing::SourceDir() + "/examples/sim-cluster-tpu.yaml");
  ASSERT_OK(tpu);
  EXPECT_EQ(tpu->name, "mixed-tpu");
  EXPECT_EQ(tpu->nodes.size(), 3 * 4 + 2 * 4 + 2u);
  auto gb200 = LoadCluster(testing::SourceDir() + "/examples/sim-cluster-gb200.yaml");
  ASSERT_OK(gb200);
  EXPECT_EQ(gb200->nodes.size(), 4 * 18u);
}

// --- cluster refusals
// --------------------------------------------------------------------------------

struct Refusal {
  std::string name;
  std::string text;
  std::vector<std::string> message;  // substrings of the one-line error
};

void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

class ClusterRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(ClusterRefusalTest, OneClearLine) {
  auto c = ParseCluster("bad.yaml", GetParam().text);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(c.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("bad.yaml: ", 0), 0u) << message;
  for (const std::string& part : GetParam().message) EXPECT_THAT(message, HasSubstr(part));
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, ClusterRefusalTest,
    ::testing::Values(
        Refusal{"UnknownKind",
                "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
                {"document 1", "kind", "\"Service\""}},
        Refusal{"UnknownShape",
                Pools("  - {name: x, shape: tpu-v9, count: 1}\n"),
                {"document 1", "spec.nodePools[0].shape", "\"tpu-v9\""}},
        Refusal{"ZeroCount",
                Pools("  - {name: x, shape: cpu, count: 0}\n"),
                {"spec.nodePools[0].count", "must be positive"}},
        Refusal{"NegativeCount",
                Pools("  - {name: c, shape: cpu, count: 1}\n  - {name: x, shape: gb200-nvl72, "
                      "count: -2}\n"),
                {"spec.nodePools[1].count", "must be positive"}},
        Refusal{"StringCount",
                Pools("  - {name: x, shape: cpu, count: \"4\"}\n"),
                {"spec.nodePools[0].count", "integer"}},
        Refusal{"MissingSize",
                Pools("  - {name: x, shape: gke-gpu-block, blocks: 1, hosts: 2}\n"),
                {"spec.nodePools[0].subblocks", "missing"}},
        Refusal{"TopologyDimensions",
                Pools("  - {name: x, shape: tpu-v5p-slice, topology: 4x4, count: 1}\n"),
                {"spec.nodePools[0].topology", "\"4x4\"", "dimension"}},
        Refusal{"TopologyGarbage",
                Pools("  - {name: x, shape: tpu-v6e-slice, topology: 4xx4, count: 1}\n"),
                {"spec.nodePools[0].topology", "\"4xx4\"", "not a topology"}},
        Refusal{"TopologyZero",
                Pools("  - {name: x, shape: tpu-v6e-slice, topology: \"0x4\", count: 1}\n"),
                {"spec.nodePools[0].topology", "\"0x4\""}},
        Refusal{"TopologyNotAString",
                Pools("  - {name: x, shape: tpu-v6e-slice, topology: 0x4, count: 1}\n"),
                {"spec.nodePools[0].topology", "must be a string", "got 4"}},
        Refusal{"TopologyNotWholeHosts",
                Pools("  - {name: x, shape: tpu-v6e-slice, topology: 2x3, count: 1}\n"),
                {"spec.nodePools[0].topology", "6 chips", "chipsPerNode 4"}},
        Refusal{"TopologyMissing",
                Pools("  - {name: x, shape: tpu-v6e-slice, count: 1}\n"),
                {"spec.nodePools[0].topology", "missing"}},
        Refusal{"UnknownPoolField",
                Pools("  - {name: x, shape: cpu, count: 1, topolgy: 4x4}\n"),
                {"spec.nodePools[0].topolgy", "unknown field"}},
        Refusal{"BadPoolName",
                Pools("  - {name: My_Pool, shape: cpu, count: 1}\n"),
                {"spec.nodePools[0].name", "\"My_Pool\""}},
        Refusal{"BadQuantity",
                Pools("  - {name: x, shape: cpu, count: 1, memory: lots}\n"),
                {"spec.nodePools[0].memory", "\"lots\""}},
        Refusal{"NoPools",
                "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Cluster\nspec: {nodePools: []}\n",
                {"document 1", "spec.nodePools"}},
        Refusal{"WrongApiVersion",
                "apiVersion: v1\nkind: Cluster\nspec: {nodePools: []}\n",
                {"document 1", "apiVersion", "sim.phalanx.dev/v1alpha1"}},
        Refusal{"NoNodes", "apiVersion: v1\nkind: List\nitems: []\n", {"no nodes"}},
        Refusal{"DuplicatePools",
                Pools("  - {name: x, shape: cpu, count: 2}\n") + "---\n" +
                    Pools("  - {name: x, shape: cpu, count: 1}\n"),
                {"document 2", "spec.nodePools[0]", "duplicate node name \"x-0\"", "document 1"}},
        Refusal{"DuplicateDumpNodes",
                "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: "
                "{name: a}}\n"
                "- {apiVersion: v1, kind: Node, metadata: {name: a}}\n",
                {"document 1, items[1]", "duplicate node name \"a\""}},
        Refusal{"TooManyNodes",
                Pools("  - {name: x, shape: aws-gpu, layer1: 100, layer2: 100, layer3: 100, nodes: "
                      "100}\n"),
                {"spec.nodePools[0]", "more than 200000 nodes"}},
        Refusal{"TooManyNodesInTotal",
                Pools("  - {name: x, shape: cpu, count: 150000}\n  - {name: y, shape: cpu, count: "
                      "50001}\n"),
                {"spec.nodePools[1]", "more than 200000 nodes"}},
        Refusal{"NodeWithoutName",
                "apiVersion: v1\nkind: Node\nmetadata: {}\n",
                {"document 1", "metadata.name"}},
        Refusal{"NotYaml", "a: [b\n", {"bad.yaml"}},
        Refusal{"NotAnObject", "- 1\n- 2\n", {"document 1"}}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

TEST(LoadClusterTest, MissingFileNamesIt) {
  auto c = LoadCluster("/nonexistent/cluster.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("/nonexistent/cluster.yaml"));
}

// --- workloads
// ---------------------------------------------------------------------------------------

std::string JobSetDoc(
    const std::string& name, const std::string& extra_metadata = "",
    const std::string& rjobs =
        "  - {name: w, replicas: 2, template: {spec: {parallelism: 4, completions: 4}}}\n") {
  return absl::StrCat("apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: ",
                      name, "\n", extra_metadata, "spec:\n  replicatedJobs:\n", rjobs);
}

TEST(ParseWorkloadTest, AnnotationsDefaultsAndOrder) {
  const std::string text =
      JobSetDoc("late",
                "  namespace: ml\n  annotations:\n    sim.phalanx.dev/arrival: 1h30m\n"
                "    sim.phalanx.dev/duration: 90s\n    keep: me\n") +
      "---\n" + JobSetDoc("first") + "---\n" +
      JobSetDoc("second", "  annotations: {sim.phalanx.dev/arrival: 5m}\n");
  auto w = ParseWorkload("dir/work.yaml", text);
  ASSERT_OK(w);
  EXPECT_EQ(w->name, "work");
  ASSERT_EQ(w->jobsets.size(), 3u);
  EXPECT_EQ(w->jobsets[0].name, "first");
  EXPECT_EQ(w->jobsets[0].namespace_, "default");
  EXPECT_EQ(w->jobsets[0].arrival, absl::ZeroDuration());
  EXPECT_EQ(w->jobsets[0].pod_duration, kDefaultPodDuration);
  EXPECT_EQ(w->jobsets[1].name, "second");
  EXPECT_EQ(w->jobsets[1].arrival, absl::Minutes(5));
  EXPECT_EQ(w->jobsets[2].name, "late");
  EXPECT_EQ(w->jobsets[2].namespace_, "ml");
  EXPECT_EQ(w->jobsets[2].arrival, absl::Minutes(90));
  EXPECT_EQ(w->jobsets[2].pod_duration, absl::Seconds(90));
  // The manifest as written, annotations kept.
  const json late = json::parse(w->jobsets[2].json);
  EXPECT_EQ(late["metadata"]["annotations"]["keep"], "me");
  EXPECT_EQ(late["metadata"]["annotations"]["sim.phalanx.dev/duration"], "90s");
  EXPECT_TRUE(w->faults.empty());
}

TEST(ParseWorkloadTest, EqualArrivalsKeepTheirOrder) {
  auto w =
      ParseWorkload("w.yaml", JobSetDoc("b") + "---\n" + JobSetDoc("a") + "---\n" + JobSetDoc("c"));
  ASSERT_OK(w);
  ASSERT_EQ(w->jobsets.size(), 3u);
  EXPECT_EQ(w->jobsets[0].name, "b");
  EXPECT_EQ(w->jobsets[1].name, "a");
  EXPECT_EQ(w->jobsets[2].name, "c");
}

TEST(ParseWorkloadTest, ListIsFlattened) {
  const json list = {{"apiVersion", "v1"},
                     {"kind", "List"},
                     {"items", json::array({{{"apiVersion", "jobset.x-k8s.io/v1alpha2"},
                                             {"kind", "JobSet"},
                                             {"metadata", {{"name", "x"}, {"namespace", "n"}}}},
                                            {{"apiVersion", "sim.phalanx.dev/v1alpha1"},
                                             {"kind", "Fault"},
                                             {"spec", {{"at", "1m"}, {"node", "n-0"}}}}})}};
  auto w = ParseWorkload("l.json", list.dump());
  ASSERT_OK(w);
  ASSERT_EQ(w->jobsets.size(), 1u);
  EXPECT_EQ(w->jobsets[0].namespace_, "n");
  ASSERT_EQ(w->faults.size(), 1u);
}

TEST(ParseWorkloadTest, Faults) {
  const std::string text =
      JobSetDoc("llm", "  namespace: ml\n") + "---\n" +
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\nspec: {at: 25m, node: v5p-1-2, "
      "recoverAfter: 30m}\n---\n"
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\nspec:\n  at: 12m\n"
      "  pod: {jobSet: llm, replicatedJob: w, jobIndex: 1, podIndex: 3}\n  exitCode: 137\n  "
      "reason: OOMKilled\n---\n"
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\nspec: {at: 12m, node: other}\n---\n"
      "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\nspec: {at: 2m, pod: {jobSet: llm, "
      "replicatedJob: w}}\n";
  auto w = ParseWorkload("f.yaml", text);
  ASSERT_OK(w);
  ASSERT_EQ(w->faults.size(), 4u);
  // By time, then as written.
  const Fault& f0 = w->faults[0];
  EXPECT_EQ(f0.at, absl::Minutes(2));
  ASSERT_TRUE(f0.pod.has_value());
  EXPECT_FALSE(f0.node.has_value());
  EXPECT_EQ(f0.pod->namespace_, "ml");  // the JobSet's
  EXPECT_EQ(f0.pod->jobset, "llm");
  EXPECT_EQ(f0.pod->replicated_job, "w");
  EXPECT_EQ(f0.pod->job_index, 0);
  EXPECT_EQ(f0.pod->pod_index, 0);
  EXPECT_EQ(f0.pod->exit_code, 1);
  EXPECT_EQ(f0.pod->reason, "Error");
  const Fault& f1 = w->faults[1];
  EXPECT_EQ(f1.at, absl::Minutes(12));
  ASSERT_TRUE(f1.pod.has_value());
  EXPECT_EQ(f1.pod->job_index, 1);
  EXPECT_EQ(f1.pod->pod_index, 3);
  EXPECT_EQ(f1.pod->exit_code, 137);
  EXPECT_EQ(f1.pod->reason, "OOMKilled");
  const Fault& f2 = w->faults[2];
  ASSERT_TRUE(f2.node.has_value());
  EXPECT_EQ(f2.node->node, "other");
  EXPECT_FALSE(f2.node->recover_after.has_value());
  const Fault& f3 = w->faults[3];
  EXPECT_EQ(f3.at, absl::Minutes(25));
  ASSERT_TRUE(f3.node.has_value());
  EXPECT_EQ(f3.node->node, "v5p-1-2");
  EXPECT_EQ(f3.node->recover_after, absl::Minutes(30));
}

TEST(ParseWorkloadTest, PodFaultPrefersTheDefaultNamespaceWhenTheNameRepeats) {
  const std::string text = JobSetDoc("x", "  namespace: a\n") + "---\n" + JobSetDoc("x") + "---\n" +
                           "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\nspec: {at: 1m, pod: "
                           "{jobSet: x, replicatedJob: w}}\n";
  auto w = ParseWorkload("w.yaml", text);
  ASSERT_OK(w);
  EXPECT_EQ(w->faults[0].pod->namespace_, "default");
}

TEST(ParseWorkloadTest, BundledWorkloads) {
  for (const char* name : {"sim-workload-tpu.yaml", "sim-workload-gb200.yaml"}) {
    auto w = LoadWorkload(testing::SourceDir() + "/examples/" + name);
    ASSERT_OK(w);
    EXPECT_GE(w->jobsets.size(), 3u) << name;
    bool node_fault = false;
    for (const Fault& f : w->faults) node_fault = node_fault || f.node.has_value();
    EXPECT_TRUE(node_fault) << name;
  }
  auto tpu = LoadWorkload(testing::SourceDir() + "/examples/sim-workload-tpu.yaml");
  ASSERT_OK(tpu);
  bool pod_fault = false;
  for (const Fault& f : tpu->faults) pod_fault = pod_fault || f.pod.has_value();
  EXPECT_TRUE(pod_fault);
  // Every node a fault names exists in the bundled cluster.
  auto cluster = LoadCluster(testing::SourceDir() + "/examples/sim-cluster-tpu.yaml");
  ASSERT_OK(cluster);
  for (const Fault& f : tpu->faults) {
    if (!f.node) continue;
    bool found = false;
    for (const std::string& n : cluster->nodes)
      found = found || json::parse(n)["metadata"]["name"] == f.node->node;
    EXPECT_TRUE(found) << f.node->node;
  }
}

TEST(CheckFaultsTest, NodeFaultsNameNodesOfTheCluster) {
  const ClusterSpec cluster = MustCluster(Pools("  - {name: cpu, shape: cpu, count: 2}\n"));
  const std::string fault = "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\n";
  auto ok =
      ParseWorkload("w.yaml", JobSetDoc("a") + "---\n" + fault + "spec: {at: 1m, node: cpu-1}\n");
  ASSERT_OK(ok);
  EXPECT_OK(CheckFaults(cluster, *ok));
  // "cpu" is a label value of every node, but no node's name.
  auto bad = ParseWorkload("w.yaml", JobSetDoc("a") + "---\n" + fault +
                                         "spec: {at: 1m, node: cpu-0}\n---\n" + fault +
                                         "spec: {at: 2m, node: cpu}\n");
  ASSERT_OK(bad);
  const absl::Status s = CheckFaults(cluster, *bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()),
            "w.yaml: document 3: spec.node: no node \"cpu\" in cluster test");
}

class WorkloadRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(WorkloadRefusalTest, OneClearLine) {
  auto w = ParseWorkload("w.yaml", GetParam().text);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(w.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("w.yaml: ", 0), 0u) << message;
  for (const std::string& part : GetParam().message) EXPECT_THAT(message, HasSubstr(part));
}

const char kFault[] = "apiVersion: sim.phalanx.dev/v1alpha1\nkind: Fault\n";

INSTANTIATE_TEST_SUITE_P(
    Refusals, WorkloadRefusalTest,
    ::testing::Values(
        Refusal{"NegativeArrival",
                JobSetDoc("a", "  annotations: {sim.phalanx.dev/arrival: -5m}\n"),
                {"document 1", "sim.phalanx.dev/arrival", "negative"}},
        Refusal{"GarbageArrival",
                JobSetDoc("a", "  annotations: {sim.phalanx.dev/arrival: soon}\n"),
                {"document 1", "sim.phalanx.dev/arrival", "\"soon\" is not a duration"}},
        Refusal{"UnitlessDuration",
                JobSetDoc("a", "  annotations: {sim.phalanx.dev/duration: \"10\"}\n"),
                {"sim.phalanx.dev/duration", "\"10\""}},
        Refusal{"ZeroDuration",
                JobSetDoc("a", "  annotations: {sim.phalanx.dev/duration: 0s}\n"),
                {"sim.phalanx.dev/duration", "longer than 0s"}},
        Refusal{"NoName",
                "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {namespace: x}\n",
                {"document 1", "metadata.name", "missing"}},
        Refusal{"Duplicate",
                JobSetDoc("a") + "---\n" + JobSetDoc("a"),
                {"document 2", "metadata.name", "default/a appears twice"}},
        Refusal{"InvalidJobSet",
                JobSetDoc("a", "", "  - {name: Bad_Name, replicas: 1}\n"),
                {"document 1", "JobSet default/a is invalid: ", "spec.replicatedJobs[0].name"}},
        Refusal{"UnknownJobSetField",
                JobSetDoc("a", "", "  - {name: w}\n  foo: 1\n"),
                {"document 1", "JobSet default/a is invalid: ",
                 "strict decoding error: unknown field \"spec.foo\""}},
        Refusal{"WrongJobSetVersion",
                "apiVersion: jobset.x-k8s.io/v1\nkind: JobSet\nmetadata: {name: a}\n",
                {"apiVersion", "jobset.x-k8s.io/v1alpha2"}},
        Refusal{"UnknownKind",
                JobSetDoc("a") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
                {"document 2", "kind", "\"Pod\""}},
        Refusal{"PodFaultUnknownJobSet",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, pod: {jobSet: b, replicatedJob: w}}\n",
                {"document 2", "spec.pod.jobSet", "no JobSet b"}},
        Refusal{"PodFaultWrongNamespace",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, pod: {jobSet: a, namespace: ml, replicatedJob: w}}\n",
                {"spec.pod.jobSet", "no JobSet ml/a"}},
        Refusal{"PodFaultUnknownReplicatedJob",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, pod: {jobSet: a, replicatedJob: x}}\n",
                {"spec.pod.replicatedJob", "\"x\""}},
        Refusal{"PodFaultJobIndex",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, pod: {jobSet: a, replicatedJob: w, jobIndex: 2}}\n",
                {"spec.pod.jobIndex", "out of range"}},
        Refusal{"PodFaultPodIndex",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, pod: {jobSet: a, replicatedJob: w, podIndex: 4}}\n",
                {"spec.pod.podIndex", "out of range"}},
        Refusal{"AmbiguousNamespace",
                JobSetDoc("a", "  namespace: x\n") + "---\n" + JobSetDoc("a", "  namespace: y\n") +
                    "---\n" + kFault + "spec: {at: 1m, pod: {jobSet: a, replicatedJob: w}}\n",
                {"document 3", "spec.pod.namespace", "several namespaces"}},
        Refusal{"FaultBothKinds",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, node: n, pod: {jobSet: a, replicatedJob: w}}\n",
                {"document 2", "exactly one of node"}},
        Refusal{"FaultNeither",
                JobSetDoc("a") + "---\n" + kFault + "spec: {at: 1m}\n",
                {"exactly one of node"}},
        Refusal{"FaultNoTime",
                JobSetDoc("a") + "---\n" + kFault + "spec: {node: n}\n",
                {"spec.at", "missing"}},
        Refusal{"FaultBadTime",
                JobSetDoc("a") + "---\n" + kFault + "spec: {at: later, node: n}\n",
                {"spec.at", "\"later\""}},
        Refusal{"FaultNegativeRecovery",
                JobSetDoc("a") + "---\n" + kFault + "spec: {at: 1m, node: n, recoverAfter: -1m}\n",
                {"spec.recoverAfter", "negative"}},
        Refusal{"RecoveryOnPodFault",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, recoverAfter: 1m, pod: {jobSet: a, replicatedJob: w}}\n",
                {"spec.recoverAfter", "node faults only"}},
        Refusal{"ExitCodeOnNodeFault",
                JobSetDoc("a") + "---\n" + kFault + "spec: {at: 1m, node: n, exitCode: 3}\n",
                {"spec.exitCode", "pod faults only"}},
        Refusal{"ExitCodeZero",
                JobSetDoc("a") + "---\n" + kFault +
                    "spec: {at: 1m, exitCode: 0, pod: {jobSet: a, replicatedJob: w}}\n",
                {"spec.exitCode", "positive"}},
        Refusal{"FaultUnknownField",
                JobSetDoc("a") + "---\n" + kFault + "spec: {at: 1m, node: n, when: now}\n",
                {"spec.when", "unknown field"}},
        Refusal{"FaultWrongVersion",
                JobSetDoc("a") + "---\napiVersion: v1\nkind: Fault\nspec: {at: 1m, node: n}\n",
                {"document 2", "apiVersion", "sim.phalanx.dev/v1alpha1"}},
        Refusal{"NoJobSets", std::string(kFault) + "spec: {at: 1m, node: n}\n", {"no JobSets"}},
        Refusal{"ListItem",
                "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: jobset.x-k8s.io/v1alpha2, "
                "kind: JobSet, metadata: {}}\n",
                {"document 1, items[0]", "metadata.name"}}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

}  // namespace
}  // namespace phalanx::sim
