#include "scheduler-extender/topology_config.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "placement/topology.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

using ::phalanx::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBlock[] = "cloud.google.com/gce-topology-block";
constexpr char kSubblock[] = "cloud.google.com/gce-topology-subblock";
constexpr char kHost[] = "cloud.google.com/gce-topology-host";

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::string Kueue(const std::string& api_version, const std::string& name,
                  const std::vector<std::string>& labels) {
  std::string levels;
  for (const std::string& l : labels) {
    if (!levels.empty()) levels += ",";
    levels += "{\"nodeLabel\":\"" + l + "\"}";
  }
  return "{\"apiVersion\":\"" + api_version + "\",\"kind\":\"Topology\",\"metadata\":{\"name\":\"" + name +
         "\",\"resourceVersion\":\"7\"},\"spec\":{\"levels\":[" + levels + "]}}";
}

// ------------------------------------------------------------------------------------------ flag

TEST(TopologyConfigTest, FlagIsOneChainCoarseToFine) {
  ASSERT_OK_AND_ASSIGN(TopologyChain chain,
                       ParseTopologyFlag("cloud.google.com/gce-topology-block,cloud.google.com/"
                                         "gce-topology-subblock, cloud.google.com/gce-topology-host"));
  EXPECT_THAT(chain, ElementsAre(kBlock, kSubblock, kHost));
  ASSERT_OK_AND_ASSIGN(TopologyChain one, ParseTopologyFlag("rack"));
  EXPECT_THAT(one, ElementsAre("rack"));
}

TEST(TopologyConfigTest, MalformedFlagsNameTheValue) {
  struct Case {
    std::string value, want;
  } cases[] = {
      {"", "no keys"},
      {"  ", "no keys"},
      {"block,,rack", "empty key at position 2"},
      {"block,rack,", "empty key at position 3"},
      {"block,block", "key \"block\" appears twice"},
      {"block,-rack", "key \"-rack\": name must consist of alphanumerics"},
      {"Bad_Prefix!/rack", "key \"Bad_Prefix!/rack\": prefix"},
      {"example.com/", "has an empty name"},
      {"/rack", "has an empty prefix"},
      {std::string(64, 'a'), "no more than 63 characters"},
      {"k0,k1,k2,k3,k4,k5,k6,k7,k8,k9,k10,k11,k12,k13,k14,k15,k16", "at most 16 keys, this one has 17"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TopologyChain> r = ParseTopologyFlag(c.value);
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << c.value;
    EXPECT_THAT(Message(r.status()), HasSubstr("--topology=\"" + c.value + "\"")) << c.value;
    EXPECT_THAT(Message(r.status()), HasSubstr(c.want)) << c.value;
  }
}

// ------------------------------------------------------------------------------------------ file

TEST(TopologyConfigTest, FileInYamlOrJson) {
  ASSERT_OK_AND_ASSIGN(std::vector<TopologyChain> yaml,
                       ParseTopologyFile("# chains, coarse → fine\n"
                                         "chains:\n"
                                         "- [cloud.google.com/gce-topology-block, cloud.google.com/gce-topology-subblock]\n"
                                         "- - topology.k8s.aws/network-node-layer-1\n"
                                         "  - topology.k8s.aws/network-node-layer-2\n",
                                         "topology.yaml"));
  ASSERT_EQ(yaml.size(), 2u);
  EXPECT_THAT(yaml[0], ElementsAre(kBlock, kSubblock));
  EXPECT_THAT(yaml[1], ElementsAre("topology.k8s.aws/network-node-layer-1",
                                   "topology.k8s.aws/network-node-layer-2"));
  ASSERT_OK_AND_ASSIGN(std::vector<TopologyChain> json,
                       ParseTopologyFile(R"({"chains": [["block", "rack"], ["zone"]]})", "t.json"));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_THAT(json[0], ElementsAre("block", "rack"));
  ASSERT_OK_AND_ASSIGN(std::vector<TopologyChain> none, ParseTopologyFile("chains: []\n", "t.yaml"));
  EXPECT_TRUE(none.empty());
}

TEST(TopologyConfigTest, MalformedFilesNameTheFileAndThePlace) {
  struct Case {
    std::string text, want;
  } cases[] = {
      {"", "expected a mapping with a \"chains\" list"},
      {"- [a, b]\n", "expected a mapping"},
      {"chains: [[a, b]]\nlevels: [c]\n", "unknown field \"levels\""},
      {"chain: [[a, b]]\n", "unknown field \"chain\""},
      {"chains: a,b\n", "chains: expected a list of chains"},
      {"chains: [a, b]\n", "chains[0]: expected a list of label keys"},
      {"chains: [[a, [b]]]\n", "chains[0][1]: expected a label key"},
      {"chains: [[a, ~]]\n", "chains[0][1]: expected a label key"},
      {"chains: [[a, b], []]\n", "chains[1]: empty chain"},
      {"chains: [[a, a]]\n", "chains[0]: key \"a\" appears twice"},
      {"chains: [[a, 'b c']]\n", "chains[0]: key \"b c\""},
      {"chains: [[a, b]\n", "not YAML or JSON: line"},
      {"{\"chains\": [[\"a\", \"b\"]]", "not YAML or JSON"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<TopologyChain>> r = ParseTopologyFile(c.text, "/etc/phalanx/topology.yaml");
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << c.text;
    EXPECT_THAT(Message(r.status()), HasSubstr("/etc/phalanx/topology.yaml: ")) << c.text;
    EXPECT_THAT(Message(r.status()), HasSubstr(c.want)) << c.text;
  }
}

// ----------------------------------------------------------------------------------------- Kueue

TEST(TopologyConfigTest, KueueTopologyV1beta2AndV1beta1) {
  for (const char* version : {"kueue.x-k8s.io/v1beta2", "kueue.x-k8s.io/v1beta1"}) {
    ASSERT_OK_AND_ASSIGN(KueueTopology t,
                         ParseKueueTopology(Kueue(version, "gke-default",
                                                  {kBlock, kSubblock, "kubernetes.io/hostname"})));
    EXPECT_EQ(t.name, "gke-default");
    EXPECT_THAT(t.levels, ElementsAre(kBlock, kSubblock, "kubernetes.io/hostname"));
  }
}

TEST(TopologyConfigTest, MalformedKueueTopologiesNameTheObject) {
  const std::string v2 = "kueue.x-k8s.io/v1beta2";
  std::vector<std::string> seventeen;
  for (int i = 0; i < 17; ++i) seventeen.push_back("level-" + std::to_string(i));
  struct Case {
    std::string json, want;
  } cases[] = {
      {"{", "Kueue Topology: not JSON"},
      {"[]", "Kueue Topology: not a JSON object"},
      {Kueue("kueue.x-k8s.io/v1alpha1", "t", {"a"}), "Kueue Topology \"t\": apiVersion \"kueue.x-k8s.io/v1alpha1\""},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"ResourceFlavor","metadata":{"name":"t"}})",
       "Kueue Topology \"t\": kind \"ResourceFlavor\" is not Topology"},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"Topology","spec":{"levels":[{"nodeLabel":"a"}]}})",
       "metadata.name is required"},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"Topology","metadata":{"name":"t"}})",
       "Kueue Topology \"t\": spec: expected an object"},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"Topology","metadata":{"name":"t"},"spec":{"levels":{}}})",
       "spec.levels: expected a list"},
      {Kueue(v2, "t", {}), "spec.levels: must have 1 to 16 levels, has 0"},
      {Kueue(v2, "t", seventeen), "has 17"},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"Topology","metadata":{"name":"t"},"spec":{"levels":[{"nodeLabel":3}]}})",
       "spec.levels[0].nodeLabel: expected a string"},
      {R"({"apiVersion":"kueue.x-k8s.io/v1beta2","kind":"Topology","metadata":{"name":"t"},"spec":{"levels":["a"]}})",
       "spec.levels[0].nodeLabel: expected a string"},
      {Kueue(v2, "t", {"kubernetes.io/hostname", "rack"}), "kubernetes.io/hostname may only be the last level"},
      {Kueue(v2, "t", {"block", "block"}), "key \"block\" appears twice"},
      {Kueue(v2, "t", {"block", "rack!"}), "key \"rack!\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KueueTopology> r = ParseKueueTopology(c.json);
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << c.json;
    EXPECT_THAT(Message(r.status()), HasSubstr(c.want)) << c.json;
  }
}

// ----------------------------------------------------------------------------------------- merge

TEST(TopologyConfigTest, MergeDedupesDropsPrefixesAndSorts) {
  std::vector<TopologySource> sources = {
      {"--topology=zone,rack", {{"zone", "rack"}}},
      {"topology.yaml", {{kBlock, kSubblock}, {"zone", "rack"}, {"alone"}}},
      {"Kueue Topology \"gke\"", {{kBlock, kSubblock, kHost}}},
  };
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig config, MergeTopology(sources));
  EXPECT_THAT(config.chains, ElementsAre(ElementsAre(kBlock, kSubblock, kHost), ElementsAre("zone", "rack")));
  // Any order gives the same config.
  std::reverse(sources.begin(), sources.end());
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig reversed, MergeTopology(sources));
  EXPECT_EQ(reversed.chains, config.chains);
  // Branching chains share their coarse keys.
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig tree,
                       MergeTopology({{"a", {{"block", "rack"}}}, {"b", {{"block", "subblock"}}}}));
  EXPECT_EQ(tree.chains.size(), 2u);
  EXPECT_THAT(placement::PathKeys(tree, "subblock"), ElementsAre("block", "subblock"));
  EXPECT_THAT(placement::PathKeys(tree, "rack"), ElementsAre("block", "rack"));
}

TEST(TopologyConfigTest, ConflictingChainsAreRejectedNamingBothSources) {
  const std::vector<TopologySource> sources = {
      {"--topology=block,rack", {{"block", "rack"}}},
      {"Kueue Topology \"racks\"", {{"rack", "host"}}},
  };
  absl::StatusOr<placement::TopologyConfig> r = MergeTopology(sources);
  ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Message(r.status()),
            "topology chains conflict: key rack has coarser keys [block] in --topology=block,rack but "
            "none in Kueue Topology \"racks\"");
  EXPECT_THAT(MergeTopology({{"f", {{"zone", "rack"}, {"block", "rack"}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MergeTopology({{"f", {{"block", ""}}}}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TopologyConfigTest, MergeCanSkipABadSourceWhole) {
  const std::vector<TopologySource> sources = {
      {"--topology=block,rack", {{"block", "rack"}}},
      {"Kueue Topology \"racks\"", {{"rack", "host"}, {"zone", "pool"}}},  // conflicts: all of it goes
      {"Kueue Topology \"pools\"", {{"region", "pool"}}},
  };
  std::vector<absl::Status> skipped;
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig config, MergeTopology(sources, &skipped));
  EXPECT_THAT(config.chains, ElementsAre(ElementsAre("block", "rack"), ElementsAre("region", "pool")));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_THAT(Message(skipped[0]), HasSubstr("Kueue Topology \"racks\""));
}

// ----------------------------------------------------------------------------------------- build

TEST(TopologyConfigTest, BuildMergesFlagsFileAndKueueObjects) {
  TopologySources s;
  s.flags = {"zone,rack"};
  s.file = "inline.yaml";
  s.file_text = "chains: [[region, zone]]\n";
  s.kueue_topologies = {Kueue("kueue.x-k8s.io/v1beta2", "gke", {kBlock, kSubblock}),
                        Kueue("kueue.x-k8s.io/v1beta1", "old", {kBlock, kSubblock})};
  // region → zone and zone → rack disagree about zone's coarser keys.
  absl::StatusOr<placement::TopologyConfig> bad = BuildTopology(s);
  ASSERT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(bad.status()), HasSubstr("key zone has coarser keys none in --topology=zone,rack but "
                                               "[region] in inline.yaml"));
  s.flags = {"region,zone,rack"};
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig config, BuildTopology(s));
  EXPECT_THAT(config.chains, ElementsAre(ElementsAre(kBlock, kSubblock), ElementsAre("region", "zone", "rack")));
}

TEST(TopologyConfigTest, BuildReadsTheFileAndReportsErrorsBySource) {
  const std::string path = ::testing::TempDir() + "/topology-chains.yaml";
  std::ofstream(path) << "chains:\n- [block, rack]\n";
  TopologySources s;
  s.file = path;
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig config, BuildTopology(s));
  EXPECT_THAT(config.chains, ElementsAre(ElementsAre("block", "rack")));
  s.file = ::testing::TempDir() + "/no-such-file.yaml";
  EXPECT_THAT(BuildTopology(s), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Message(BuildTopology(s).status()), "cannot open " + s.file + ": No such file or directory");
  s.file = ::testing::TempDir();
  EXPECT_EQ(Message(BuildTopology(s).status()), "cannot open " + s.file + ": Is a directory");
  TopologySources flag;
  flag.flags = {"block,,rack"};
  EXPECT_THAT(Message(BuildTopology(flag).status()), HasSubstr("--topology=\"block,,rack\""));
  TopologySources kueue;
  kueue.kueue_topologies = {Kueue("kueue.x-k8s.io/v1beta2", "broken", {})};
  EXPECT_THAT(Message(BuildTopology(kueue).status()), HasSubstr("Kueue Topology \"broken\""));
  ASSERT_OK_AND_ASSIGN(placement::TopologyConfig empty, BuildTopology(TopologySources{}));
  EXPECT_TRUE(empty.chains.empty());
}

}  // namespace
}  // namespace phalanx::extender
