// The extender's wire codec against the real kube-scheduler 1.36 bodies in
// ../shared/fixtures/k8s-v1.36/{extender,pinning}, and the protocol rules of kube-scheduling.md §1:
// exact capitalised answer keys, NodeNames never null, names ⊆ input, both failure maps, both
// nodeCacheCapable forms, case-insensitive request keys, errors (not crashes) on malformed bodies.
#include "scheduler-extender/wire.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "api/labels.h"
#include "api/scheduling.h"
#include "placement/cluster.h"
#include "placement/filter.h"
#include "placement/reserve.h"
#include "scheduler-extender/to_placement.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace phalanx::extender {
namespace {

using ::phalanx::testing::StatusIs;
using placement::Verdict;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string Fixture(const std::string& rel) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/" + rel);
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << "not JSON: " << text.substr(0, 200);
  return d;
}

std::string Dump(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::vector<std::string> Strings(const rapidjson::Value& arr) {
  std::vector<std::string> out;
  for (const auto& v : arr.GetArray()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::vector<std::string> Names(const ExtenderArgs& args) {
  return std::vector<std::string>(args.node_names().begin(), args.node_names().end());
}

// Every fixture body that is an ExtenderArgs (a Filter or Prioritize request): found by content,
// so a newly captured one is covered without editing this list.
std::vector<std::string> ExtenderArgsFixtures() {
  std::vector<std::string> out;
  for (const char* dir : {"extender", "pinning"}) {
    const std::filesystem::path root = std::filesystem::path(phalanx::testing::FixturesDir()) / dir;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < 13 || name.substr(name.size() - 13) != ".request.json") continue;
      rapidjson::Document d;
      const std::string text = phalanx::testing::ReadFileOrDie(entry.path().string());
      d.Parse(text.c_str(), text.size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("Pod")) continue;
      if (!d.HasMember("NodeNames") && !d.HasMember("Nodes")) continue;
      out.push_back(absl::StrCat(dir, "/", name));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

placement::FilterResult Verdicts(std::vector<Verdict> verdicts,
                                 const std::vector<std::string>& reasons) {
  placement::FilterResult r;
  r.reasons = reasons;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    r.verdicts.push_back(verdicts[i]);
    r.reason_ids.push_back(static_cast<uint16_t>(reasons.empty() ? 0 : i % reasons.size()));
  }
  return r;
}

// ---- golden: the real request bodies ------------------------------------------------------------

TEST(WireGoldenTest, EveryExtenderArgsFixtureDecodesAsTheBodySays) {
  const std::vector<std::string> files = ExtenderArgsFixtures();
  ASSERT_GE(files.size(), 12u) << "fixtures missing";
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const std::string body = Fixture(file);
    const rapidjson::Document expected = Json(body);
    ASSERT_OK_AND_ASSIGN(ExtenderArgs args, ParseExtenderArgs(body));
    EXPECT_EQ(args.form(),
              NodeListForm::kNodeNames);  // the captures ran with nodeCacheCapable: true
    EXPECT_TRUE(args.node_cache_capable());
    EXPECT_EQ(Names(args), Strings(expected["NodeNames"]));
    const rapidjson::Value& meta = expected["Pod"]["metadata"];
    EXPECT_EQ(args.pod().metadata.uid, std::string(meta["uid"].GetString()));
    EXPECT_EQ(args.pod().metadata.name, std::string(meta["name"].GetString()));
    EXPECT_EQ(args.pod().metadata.namespace_, std::string(meta["namespace"].GetString()));
    EXPECT_EQ(args.pod().metadata.labels->size(), meta["labels"].MemberCount());
    EXPECT_EQ(args.pod().phase, "Pending");
    // Every capture is a TPU pod: 4 chips, 1 cpu, on an exclusive node pool.
    EXPECT_EQ(args.pod().scheduling.requests.at("google.com/tpu"), 4);
    EXPECT_EQ(args.pod().scheduling.requests.at("cpu"), 1000);
    const placement::PodDemand demand = ToPodDemand(args.pod());
    EXPECT_EQ(demand.exclusive_key, "cloud.google.com/gke-nodepool");
    EXPECT_EQ(demand.requests.at("google.com/tpu"), 4);
    ASSERT_TRUE(expected["Pod"]["spec"].HasMember("priority"));
    EXPECT_EQ(args.pod().scheduling.priority, expected["Pod"]["spec"]["priority"].GetInt());
  }
}

TEST(WireGoldenTest, NormalFilterRequestPodFields) {
  ASSERT_OK_AND_ASSIGN(ExtenderArgs args,
                       ParseExtenderArgs(Fixture("extender/normal.scheduler_filter.request.json")));
  EXPECT_THAT(Names(args), ElementsAre("tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"));
  const api::PodInfo& pod = args.pod();
  EXPECT_EQ(pod.metadata.uid, "2f17ed13-84b7-449e-aea8-bacb336eb8bc");
  EXPECT_EQ(pod.metadata.name, "demo-workers-0-0-j7mll");
  EXPECT_EQ(pod.metadata.resource_version, "545");
  EXPECT_EQ(pod.metadata.creation_timestamp, "2026-11-28T17:02:41Z");
  EXPECT_EQ(pod.metadata.Label(api::kJobSetUidKey), "5f76caf7-eb06-414b-92d2-b1ca3a6e1e46");
  EXPECT_EQ(pod.controller_kind, "Job");
  EXPECT_EQ(pod.node_name, "");
  EXPECT_THAT(pod.scheduling.requests, ElementsAre(Pair("cpu", 1000), Pair("google.com/tpu", 4),
                                                   Pair("memory", int64_t{1} << 30)));
  EXPECT_THAT(pod.scheduling.node_selector,
              ElementsAre(Pair("cloud.google.com/gke-tpu-topology", "2x2")));
  ASSERT_EQ(pod.scheduling.tolerations.size(), 3u);
  EXPECT_EQ(pod.scheduling.tolerations[0].key, "google.com/tpu");
  EXPECT_EQ(pod.scheduling.tolerations[0].op, "Exists");
  EXPECT_EQ(pod.scheduling.tolerations[0].effect, "NoSchedule");
  EXPECT_EQ(pod.scheduling.tolerations[1].effect, "NoExecute");
  EXPECT_THAT(pod.scheduling.required_terms, IsEmpty());
  EXPECT_THAT(pod.scheduling.scheduling_gates, IsEmpty());

  const placement::PodDemand demand = ToPodDemand(pod);
  ASSERT_TRUE(demand.job.has_value());
  EXPECT_EQ(*demand.job, (placement::JobKey{"5f76caf7-eb06-414b-92d2-b1ca3a6e1e46", "workers", 0}));
  EXPECT_FALSE(demand.daemonset);
  EXPECT_EQ(demand.eligibility.node_selector.at("cloud.google.com/gke-tpu-topology"), "2x2");
  ASSERT_EQ(demand.eligibility.tolerations.size(), 3u);
  EXPECT_EQ(demand.eligibility.tolerations[0].op, placement::TolerationOperator::kExists);
}

TEST(WireGoldenTest, PinnedPodRequestCarriesOnlyThePinnedNodesAndTheirTerms) {
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs args,
      ParseExtenderArgs(Fixture("pinning/ungate-pin.scheduler_filter.request.json")));
  // The scheduler's order, not sorted.
  EXPECT_THAT(Names(args), ElementsAre("tpu-b-1", "tpu-b-2", "tpu-b-3", "tpu-b-0"));
  const api::PodScheduling& s = args.pod().scheduling;
  EXPECT_THAT(s.node_selector, ElementsAre(Pair("cloud.google.com/gke-nodepool", "pool-b")));
  ASSERT_EQ(s.required_terms.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_THAT(s.required_terms[i].node_names, ElementsAre(absl::StrCat("tpu-b-", i)));
    EXPECT_THAT(s.required_terms[i].match_expressions, IsEmpty());
  }
  EXPECT_THAT(s.scheduling_gates, IsEmpty());  // ungated before the scheduler saw it
  const placement::PodDemand demand = ToPodDemand(args.pod());
  EXPECT_FALSE(demand.job.has_value());  // this pod has no jobset-uid label
  EXPECT_EQ(demand.exclusive_key, "cloud.google.com/gke-nodepool");
  ASSERT_EQ(demand.eligibility.required_terms.size(), 4u);
  EXPECT_THAT(demand.eligibility.required_terms[2].node_names, ElementsAre("tpu-b-2"));
}

TEST(WireGoldenTest, PinningPodsDecodeLikeTheClusterStateDecoder) {
  for (const char* file :
       {"pinning/gated-pod.request.json", "pinning/narrow-user-term.pod.request.json",
        "pinning/add-terms-to-user-affinity.pod.request.json",
        "pinning/two-node-names-in-one-requirement.pod.request.json",
        "pinning/change-nodeselector-value.pod.request.json"}) {
    SCOPED_TRACE(file);
    const std::string text = Fixture(file);
    ASSERT_OK_AND_ASSIGN(api::PodInfo pod, DecodePodInfo(text));
    ASSERT_OK_AND_ASSIGN(
        api::ClusterState state,
        api::DecodeClusterState(absl::StrCat("{\"kind\":\"PodList\",\"items\":[", text, "]}")));
    ASSERT_EQ(state.pods.size(), 1u);
    const api::PodInfo& want = state.pods[0];
    EXPECT_EQ(pod.metadata.name, want.metadata.name);
    EXPECT_EQ(pod.metadata.labels, want.metadata.labels);
    EXPECT_EQ(pod.metadata.annotations, want.metadata.annotations);
    EXPECT_EQ(pod.scheduling.requests, want.scheduling.requests);
    EXPECT_EQ(pod.scheduling.node_selector, want.scheduling.node_selector);
    EXPECT_EQ(pod.scheduling.scheduling_gates, want.scheduling.scheduling_gates);
    EXPECT_EQ(ToEligibility(pod.scheduling), ToEligibility(want.scheduling));
  }
  ASSERT_OK_AND_ASSIGN(api::PodInfo gated,
                       DecodePodInfo(Fixture("pinning/gated-pod.request.json")));
  EXPECT_THAT(gated.scheduling.scheduling_gates, ElementsAre(std::string(api::kPlacementGate)));
  ASSERT_OK_AND_ASSIGN(api::PodInfo narrow,
                       DecodePodInfo(Fixture("pinning/narrow-user-term.pod.request.json")));
  ASSERT_EQ(narrow.scheduling.required_terms.size(), 1u);
  ASSERT_EQ(narrow.scheduling.required_terms[0].match_expressions.size(), 1u);
  EXPECT_EQ(narrow.scheduling.required_terms[0].match_expressions[0].key,
            "cloud.google.com/gke-tpu-accelerator");
  EXPECT_EQ(narrow.scheduling.required_terms[0].match_expressions[0].op, "Exists");
}

// ---- Filter answers ---------------------------------------------------------------------------

TEST(WireFilterTest, NodeNamesFormAnswerHasExactKeysAndPartitionsTheInput) {
  ASSERT_OK_AND_ASSIGN(ExtenderArgs args,
                       ParseExtenderArgs(Fixture("extender/normal.scheduler_filter.request.json")));
  const std::string out =
      EncodeFilterResult(args, Verdicts({Verdict::kFail, Verdict::kPass, Verdict::kUnresolvable},
                                        {"node busy", "domain held"}));
  const rapidjson::Document d = Json(out);
  ASSERT_TRUE(d.IsObject());
  std::vector<std::string> keys;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
    keys.emplace_back(it->name.GetString());
  EXPECT_THAT(keys, ElementsAre("Nodes", "NodeNames", "FailedNodes", "FailedAndUnresolvableNodes",
                                "Error"));
  EXPECT_TRUE(d["Nodes"].IsNull());
  ASSERT_TRUE(d["NodeNames"].IsArray());
  EXPECT_THAT(Strings(d["NodeNames"]), ElementsAre("tpu-node-a-1"));
  ASSERT_TRUE(d["FailedNodes"].IsObject());
  EXPECT_EQ(Dump(d["FailedNodes"]), R"({"tpu-node-a-0":"node busy"})");
  EXPECT_EQ(Dump(d["FailedAndUnresolvableNodes"]), R"({"tpu-node-b-0":"node busy"})");
  EXPECT_EQ(std::string(d["Error"].GetString()), "");
}

TEST(WireFilterTest, NodeNamesNeverNullWhenNothingPasses) {
  ASSERT_OK_AND_ASSIGN(ExtenderArgs args,
                       ParseExtenderArgs(Fixture("extender/normal.scheduler_filter.request.json")));
  const rapidjson::Document d = Json(EncodeFilterResult(
      args,
      Verdicts({Verdict::kUnresolvable, Verdict::kUnresolvable, Verdict::kFail}, {"no room"})));
  ASSERT_TRUE(d["NodeNames"].IsArray());
  EXPECT_EQ(d["NodeNames"].Size(), 0u);
  EXPECT_EQ(d["FailedAndUnresolvableNodes"].MemberCount(), 2u);
  EXPECT_EQ(d["FailedNodes"].MemberCount(), 1u);
  EXPECT_STREQ(d["Error"].GetString(), "");  // no room is not an error

  // An empty candidate list answers with empty (not null) fields too.
  ASSERT_OK_AND_ASSIGN(ExtenderArgs none,
                       ParseExtenderArgs(R"({"Pod":{},"Nodes":null,"NodeNames":[]})"));
  EXPECT_EQ(
      EncodeFilterResult(none, placement::FilterResult{}),
      R"({"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""})");
}

// Runs the real engine on the fixture's three nodes: whatever it decides, the answer lists each
// input name exactly once, only input names, and never an Error.
TEST(WireFilterTest, EngineVerdictsOnTheFixtureRoundTrip) {
  placement::Cluster cluster;
  for (const auto& [name, pool] : std::vector<std::pair<std::string, std::string>>{
           {"tpu-node-a-0", "pool-a"}, {"tpu-node-a-1", "pool-a"}, {"tpu-node-b-0", "pool-b"}}) {
    placement::Node n;
    n.name = name;
    n.labels = {{"cloud.google.com/gke-nodepool", pool},
                {"cloud.google.com/gke-tpu-topology", "2x2"}};
    n.allocatable = {
        {"cpu", 8000}, {"memory", int64_t{32} << 30}, {"pods", 110}, {"google.com/tpu", 4}};
    n.taints = {{"google.com/tpu", "present", placement::TaintEffect::kNoSchedule}};
    cluster.UpsertNode(n);
  }
  cluster.EnsureLevel("cloud.google.com/gke-nodepool");
  placement::Reservations reservations;
  for (const char* file : {"extender/normal.scheduler_filter.request.json",
                           "extender/case-filter-all-unresolvable.scheduler_filter.request.json"}) {
    SCOPED_TRACE(file);
    ASSERT_OK_AND_ASSIGN(ExtenderArgs args, ParseExtenderArgs(Fixture(file)));
    const placement::FilterResult r =
        placement::Filter(cluster, reservations, ToPodDemand(args.pod()), args.node_names());
    const rapidjson::Document d = Json(EncodeFilterResult(args, r));
    std::multiset<std::string> seen;
    for (const std::string& n : Strings(d["NodeNames"])) seen.insert(n);
    for (const char* map : {"FailedNodes", "FailedAndUnresolvableNodes"}) {
      for (auto it = d[map].MemberBegin(); it != d[map].MemberEnd(); ++it) {
        seen.insert(it->name.GetString());
        EXPECT_GT(it->value.GetStringLength(), 0u) << "a failed node needs a reason";
      }
    }
    EXPECT_EQ(seen, std::multiset<std::string>(args.node_names().begin(), args.node_names().end()));
    EXPECT_STREQ(d["Error"].GetString(), "");
    EXPECT_EQ(d["NodeNames"].Size(), r.passed());
  }
}

// nodeCacheCapable: false — "Nodes" is a NodeList of full Node objects, and the answer returns the
// passing ones as they came (here the real Node objects from api/list-nodes.json).
TEST(WireFilterTest, FullNodeFormRoundTripsThePassingNodeObjects) {
  const rapidjson::Document pod_doc =
      Json(Fixture("extender/normal.scheduler_filter.request.json"));
  const rapidjson::Document nodes = Json(Fixture("api/list-nodes.json"));
  ASSERT_EQ(nodes["items"].Size(), 3u);
  const std::string body =
      absl::StrCat(R"({"Pod":)", Dump(pod_doc["Pod"]), R"(,"Nodes":{"metadata":{},"items":)",
                   Dump(nodes["items"]), R"(},"NodeNames":null})");
  ASSERT_OK_AND_ASSIGN(ExtenderArgs args, ParseExtenderArgs(body));
  EXPECT_EQ(args.form(), NodeListForm::kNodes);
  EXPECT_FALSE(args.node_cache_capable());
  EXPECT_THAT(Names(args), ElementsAre("tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"));
  EXPECT_EQ(args.pod().metadata.uid, "2f17ed13-84b7-449e-aea8-bacb336eb8bc");

  const rapidjson::Document d = Json(EncodeFilterResult(
      args, Verdicts({Verdict::kPass, Verdict::kFail, Verdict::kPass}, {"slice busy"})));
  EXPECT_TRUE(d["NodeNames"].IsNull());
  ASSERT_TRUE(d["Nodes"].IsObject());
  ASSERT_TRUE(d["Nodes"]["metadata"].IsObject());
  const rapidjson::Value& items = d["Nodes"]["items"];
  ASSERT_EQ(items.Size(), 2u);
  EXPECT_TRUE(items[0] == nodes["items"][0]) << Dump(items[0]);
  EXPECT_TRUE(items[1] == nodes["items"][2]) << Dump(items[1]);
  EXPECT_EQ(Dump(d["FailedNodes"]), R"({"tpu-node-a-1":"slice busy"})");
  EXPECT_EQ(d["FailedAndUnresolvableNodes"].MemberCount(), 0u);

  // Nothing passes: items is [] (not null), NodeNames stays null.
  const rapidjson::Document none = Json(EncodeFilterResult(
      args, Verdicts({Verdict::kFail, Verdict::kFail, Verdict::kUnresolvable}, {"busy"})));
  ASSERT_TRUE(none["Nodes"]["items"].IsArray());
  EXPECT_EQ(none["Nodes"]["items"].Size(), 0u);
  EXPECT_TRUE(none["NodeNames"].IsNull());
}

TEST(WireFilterTest, ErrorAnswerAndCallerBugs) {
  const rapidjson::Document d = Json(EncodeFilterError("cache not synced: \"nodes\"\n"));
  EXPECT_STREQ(d["Error"].GetString(), "cache not synced: \"nodes\"\n");
  EXPECT_TRUE(d["NodeNames"].IsNull());
  EXPECT_TRUE(d["Nodes"].IsNull());
  EXPECT_TRUE(d["FailedNodes"].IsNull());
  EXPECT_TRUE(d["FailedAndUnresolvableNodes"].IsNull());

  ASSERT_OK_AND_ASSIGN(ExtenderArgs args, ParseExtenderArgs(R"({"Pod":{},"NodeNames":["a","b"]})"));
  const rapidjson::Document bad = Json(EncodeFilterResult(args, Verdicts({Verdict::kPass}, {})));
  EXPECT_GT(bad["Error"].GetStringLength(), 0u);  // one verdict for two names: a fault, not a guess
  EXPECT_TRUE(bad["NodeNames"].IsNull());
  const rapidjson::Document no_reason =
      Json(EncodeFilterResult(args, Verdicts({Verdict::kPass, Verdict::kFail}, {})));
  EXPECT_GT(no_reason["Error"].GetStringLength(), 0u);  // a failed node needs its reason
}

TEST(WireFilterTest, NamesAndReasonsAreEscaped) {
  // Names with escapes in the request decode to their characters and are escaped again on output.
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs args,
      ParseExtenderArgs(
          R"({"Pod":{},"NodeNames":["q\"uote","back\\slash","tab\tnl\n","\u00e9t\u00e9","ctl\u0001\u0000x"]})"));
  ASSERT_EQ(args.node_names().size(), 5u);
  EXPECT_EQ(args.node_names()[0], "q\"uote");
  EXPECT_EQ(args.node_names()[3], "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(args.node_names()[4], std::string_view("ctl\x01\0x", 6));
  const std::string out =
      EncodeFilterResult(args, Verdicts({Verdict::kPass, Verdict::kFail, Verdict::kUnresolvable,
                                         Verdict::kPass, Verdict::kFail},
                                        {"reason \"quoted\"\\", "line\nbreak\x1f"}));
  const rapidjson::Document d = Json(out);
  ASSERT_TRUE(d.IsObject());
  ASSERT_EQ(d["NodeNames"].Size(), 2u);
  EXPECT_EQ(std::string(d["NodeNames"][0].GetString()), "q\"uote");
  EXPECT_EQ(std::string(d["NodeNames"][1].GetString()), "\xc3\xa9t\xc3\xa9");
  EXPECT_STREQ(d["FailedNodes"]["back\\slash"].GetString(), "line\nbreak\x1f");
  EXPECT_STREQ(d["FailedAndUnresolvableNodes"]["tab\tnl\n"].GetString(), "reason \"quoted\"\\");
  auto it = d["FailedNodes"].MemberBegin() + 1;
  EXPECT_EQ(std::string(it->name.GetString(), it->name.GetStringLength()),
            std::string("ctl\x01\0x", 6));
  const rapidjson::Document scores = Json(EncodePrioritizeResult(args, {1, 2, 3, 4, 5}));
  ASSERT_TRUE(scores.IsArray());
  ASSERT_EQ(scores.Size(), 5u);
  for (rapidjson::SizeType n = 0; n < 5; ++n) {
    const rapidjson::Value& host = scores[n]["Host"];
    EXPECT_EQ(std::string_view(host.GetString(), host.GetStringLength()), args.node_names()[n]);
    EXPECT_EQ(scores[n]["Score"].GetInt(), static_cast<int>(n) + 1);
  }
}

// ---- Prioritize answers -----------------------------------------------------------------------

TEST(WirePrioritizeTest, BareArrayInInputOrderClampedToZeroTen) {
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs args,
      ParseExtenderArgs(Fixture("pinning/ungate-pin.scheduler_prioritize.request.json")));
  const std::vector<int64_t> scores = {7, -3, 42, 10};
  const std::string out = EncodePrioritizeResult(args, scores);
  EXPECT_EQ(out, R"([{"Host":"tpu-b-1","Score":7},{"Host":"tpu-b-2","Score":0},)"
                 R"({"Host":"tpu-b-3","Score":10},{"Host":"tpu-b-0","Score":10}])");
  const rapidjson::Document d = Json(out);
  ASSERT_TRUE(d.IsArray());
  for (const auto& h : d.GetArray()) {
    EXPECT_TRUE(h["Host"].IsString());
    EXPECT_TRUE(h["Score"].IsInt64());
  }
  // Too few scores: the rest score 0. No names: [].
  EXPECT_EQ(EncodePrioritizeResult(args, std::vector<int64_t>{5}),
            R"([{"Host":"tpu-b-1","Score":5},{"Host":"tpu-b-2","Score":0},)"
            R"({"Host":"tpu-b-3","Score":0},{"Host":"tpu-b-0","Score":0}])");
  ASSERT_OK_AND_ASSIGN(ExtenderArgs none, ParseExtenderArgs(R"({"Pod":{},"NodeNames":[]})"));
  EXPECT_EQ(EncodePrioritizeResult(none, {}), "[]");
}

// ---- request keys -------------------------------------------------------------------------------

TEST(WireKeysTest, RequestKeysMatchCaseInsensitivelyLikeGo) {
  for (
      const char* body : {
          R"({"Pod":{"metadata":{"uid":"u1"}},"Nodes":null,"NodeNames":["n1","n2"]})",
          R"({"pod":{"metadata":{"uid":"u1"}},"nodes":null,"nodeNames":["n1","n2"]})",
          R"({"POD":{"metadata":{"uid":"u1"}},"nodenames":["n1","n2"]})",
          R"({"pOd":{"metadata":{"uid":"u1"}},"NODENAMES":["n1","n2"],"NoDeS":null})",
          // a repeated key: the last one wins, as in Go
          R"({"Pod":{"metadata":{"uid":"u0"}},"pod":{"metadata":{"uid":"u1"}},"NodeNames":["x"],"nodeNames":["n1","n2"]})",
      }) {
    SCOPED_TRACE(body);
    ASSERT_OK_AND_ASSIGN(ExtenderArgs args, ParseExtenderArgs(body));
    EXPECT_EQ(args.pod().metadata.uid, "u1");
    EXPECT_THAT(Names(args), ElementsAre("n1", "n2"));
    EXPECT_EQ(args.form(), NodeListForm::kNodeNames);
  }
  // Full-Node form with lower-case keys.
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs full,
      ParseExtenderArgs(
          R"({"pod":{},"nodes":{"items":[{"metadata":{"name":"n1"}},{"metadata":{"name":"n2"},"spec":{}}]},"nodeNames":null})"));
  EXPECT_EQ(full.form(), NodeListForm::kNodes);
  EXPECT_THAT(Names(full), ElementsAre("n1", "n2"));
  // Repeated node lists: the last value wins, even over an earlier malformed one or by null.
  ASSERT_OK_AND_ASSIGN(ExtenderArgs last,
                       ParseExtenderArgs(R"({"Pod":{},"NodeNames":[1,{}],"nodeNames":["z","y"]})"));
  EXPECT_THAT(Names(last), ElementsAre("z", "y"));
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs nulled,
      ParseExtenderArgs(
          R"({"Pod":{},"NodeNames":["a"],"Nodes":{"items":[{"metadata":{"name":"b"}}]},"nodenames":null})"));
  EXPECT_EQ(nulled.form(), NodeListForm::kNodes);
  EXPECT_THAT(Names(nulled), ElementsAre("b"));
  // A "NodeNames" key below the top level is not the node list.
  ASSERT_OK_AND_ASSIGN(
      ExtenderArgs nested,
      ParseExtenderArgs(R"({"Pod":{"metadata":{"labels":{"NodeNames":"x"}}},"NodeNames":["n"]})"));
  EXPECT_THAT(Names(nested), ElementsAre("n"));
  EXPECT_EQ(nested.pod().metadata.Label("NodeNames"), "x");
  // Unknown keys are ignored, as Go does.
  ASSERT_OK_AND_ASSIGN(ExtenderArgs extra,
                       ParseExtenderArgs(R"({"Pod":{},"NodeNames":["a"],"Future":[1,2]})"));
  EXPECT_THAT(Names(extra), ElementsAre("a"));
  // The answer always uses the Go field names.
  EXPECT_EQ(EncodeFilterResult(extra, Verdicts({Verdict::kPass}, {})).substr(0, 25),
            R"({"Nodes":null,"NodeNames")");
}

TEST(WireKeysTest, ArgsStayValidAfterMove) {
  ASSERT_OK_AND_ASSIGN(ExtenderArgs args,
                       ParseExtenderArgs(Fixture("extender/normal.scheduler_filter.request.json")));
  ExtenderArgs moved = std::move(args);
  std::vector<ExtenderArgs> many;
  many.push_back(std::move(moved));
  EXPECT_THAT(Names(many[0]), ElementsAre("tpu-node-a-0", "tpu-node-a-1", "tpu-node-b-0"));
}

// ---- pod requests -------------------------------------------------------------------------------

TEST(WirePodTest, RequestsFollowTheSchedulersRule) {
  ASSERT_OK_AND_ASSIGN(api::PodInfo pod, DecodePodInfo(R"({
    "metadata": {"name": "p", "ownerReferences": [
      {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "1"},
      {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "uid": "2", "controller": true}]},
    "spec": {
      "containers": [
        {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
        {"name": "b", "resources": {"requests": {"cpu": "250m"}, "limits": {"nvidia.com/gpu": "2", "cpu": "4"}}},
        {"name": "c"}],
      "initContainers": [
        {"name": "i1", "resources": {"requests": {"cpu": "2", "memory": "512Mi"}}},
        {"name": "s1", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m", "memory": "2Gi"}}},
        {"name": "i2", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
      "overhead": {"cpu": "10m", "memory": 1024}
    },
    "status": {"phase": "Pending"}})"));
  // cpu: containers 750m + sidecar 100m = 850m < init max(2, 1 + 100m sidecar) = 2000m; + 10m
  // overhead. memory: containers 1Gi + sidecar 2Gi = 3Gi > init max(512Mi, 2Gi, 1Gi + 2Gi = 3Gi); +
  // 1024 overhead. gpu: limits stand in for absent requests.
  EXPECT_THAT(pod.scheduling.requests,
              ElementsAre(Pair("cpu", 2010), Pair("memory", (int64_t{3} << 30) + 1024),
                          Pair("nvidia.com/gpu", 2)));
  EXPECT_EQ(pod.controller_kind, "DaemonSet");
  EXPECT_TRUE(ToPodDemand(pod).daemonset);
  EXPECT_FALSE(ToPodDemand(pod).job.has_value());

  // Pod-level resources replace the container sum for cpu and memory, not for extended resources.
  ASSERT_OK_AND_ASSIGN(api::PodInfo level, DecodePodInfo(R"({"spec": {
      "resources": {"requests": {"cpu": "4"}, "limits": {"memory": "8Gi"}},
      "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi", "google.com/tpu": 4}}}]}})"));
  EXPECT_THAT(level.scheduling.requests, ElementsAre(Pair("cpu", 4000), Pair("google.com/tpu", 4),
                                                     Pair("memory", int64_t{8} << 30)));
}

TEST(WirePodTest, JobKeyNeedsAllThreeLabelsAndAnIntegerIndex) {
  auto demand = [](const std::string& labels) {
    auto pod = DecodePodInfo(absl::StrCat(R"({"metadata":{"labels":)", labels, "}}"));
    EXPECT_OK(pod);
    return pod.ok() ? ToPodDemand(*pod) : placement::PodDemand{};
  };
  const std::string uid = R"("jobset.sigs.k8s.io/jobset-uid":"u")";
  const std::string rj = R"("jobset.sigs.k8s.io/replicatedjob-name":"w")";
  EXPECT_EQ(demand(absl::StrCat("{", uid, ",", rj, R"(,"jobset.sigs.k8s.io/job-index":"3"})")).job,
            (placement::JobKey{"u", "w", 3}));
  EXPECT_FALSE(
      demand(absl::StrCat("{", uid, ",", rj, R"(,"jobset.sigs.k8s.io/job-index":"x"})")).job);
  EXPECT_FALSE(demand(absl::StrCat("{", rj, R"(,"jobset.sigs.k8s.io/job-index":"3"})")).job);
  EXPECT_FALSE(demand(absl::StrCat("{", uid, R"(,"jobset.sigs.k8s.io/job-index":"3"})")).job);
}

TEST(WirePodTest, AffinityTolerationsGatesAndDefaults) {
  ASSERT_OK_AND_ASSIGN(api::PodInfo pod, DecodePodInfo(R"({"spec": {
      "nodeName": "n7",
      "schedulingGates": [{"name": "phalanx.dev/placement"}, {"name": "kueue.x-k8s.io/topology"}],
      "priority": -5,
      "tolerations": [{"key": "k", "value": "v"}, {"operator": "Exists"}],
      "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}],
         "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]},
                         {"key": "metadata.name", "operator": "NotIn", "values": ["n2"]}]},
        {}]}}}},
      "status": {"phase": "Running"}})"));
  EXPECT_EQ(pod.node_name, "n7");
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_EQ(pod.scheduling.priority, -5);
  EXPECT_THAT(pod.scheduling.scheduling_gates,
              ElementsAre("phalanx.dev/placement", "kueue.x-k8s.io/topology"));
  ASSERT_EQ(pod.scheduling.tolerations.size(), 2u);
  EXPECT_EQ(pod.scheduling.tolerations[0].op, "Equal");  // the API's default operator
  EXPECT_EQ(pod.scheduling.tolerations[1].op, "Exists");
  ASSERT_EQ(pod.scheduling.required_terms.size(), 2u);
  EXPECT_THAT(pod.scheduling.required_terms[0].node_names, ElementsAre("n1"));
  ASSERT_EQ(pod.scheduling.required_terms[0].match_expressions.size(), 1u);
  EXPECT_THAT(pod.scheduling.required_terms[0].match_expressions[0].values, ElementsAre("a", "b"));
  EXPECT_THAT(pod.scheduling.required_terms[1].node_names, IsEmpty());
}

// ---- malformed input ----------------------------------------------------------------------------

TEST(WireMalformedTest, BadBodiesAreInvalidArgumentNotCrashes) {
  static constexpr char kNulBody[] = "{\"Pod\":{},\"NodeNames\":[\"a\0b\"]}";
  static constexpr char kNulAfterBody[] = "{\"Pod\":{},\"NodeNames\":[\"a\"]}\0{}";
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  for (
      const std::string& body : std::vector<std::string>{
          "",
          "not json",
          "{",
          "[]",
          "null",
          "42",
          deep,
          absl::StrCat(R"({"Pod":)", deep, R"(,"NodeNames":[]})"),
          R"({"NodeNames":["a"]})",  // no Pod
          R"({"Pod":null,"NodeNames":["a"]})",
          R"({"Pod":"pod","NodeNames":["a"]})",
          R"({"Pod":[],"NodeNames":["a"]})",
          R"({"Pod":{}})",  // no node list at all
          R"({"Pod":{},"Nodes":null,"NodeNames":null})",
          R"({"Pod":{},"NodeNames":"a"})",
          R"({"Pod":{},"NodeNames":{"a":1}})",
          R"({"Pod":{},"NodeNames":[1]})",
          R"({"Pod":{},"NodeNames":[null]})",
          R"({"Pod":{},"NodeNames":["a",["b"]]})",
          R"({"Pod":{},"Nodes":"x"})",
          R"({"Pod":{},"Nodes":{"items":{}}})",
          R"({"Pod":{},"Nodes":{"items":[1]}})",
          R"({"Pod":{},"Nodes":{"items":[{"metadata":{}}]}})",
          R"({"Pod":{},"Nodes":{"items":[{"metadata":{"name":7}}]}})",
          R"({"Pod":{"metadata":[]},"NodeNames":[]})",
          R"({"Pod":{"metadata":{"labels":["a"]}},"NodeNames":[]})",
          R"({"Pod":{"metadata":{"labels":{"a":1}}},"NodeNames":[]})",
          R"({"Pod":{"metadata":{"uid":5}},"NodeNames":[]})",
          R"({"Pod":{"metadata":{"ownerReferences":{}}},"NodeNames":[]})",
          R"({"Pod":{"metadata":{"ownerReferences":[{"kind":"Job","controller":"yes"}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":[]},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":{}}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":true}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":"lots"}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":1.5}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"memory":"-1"}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"tolerations":{}}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"tolerations":[{"key":1}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"nodeSelector":{"a":null}}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"schedulingGates":["g"]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":{}}}}}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":[1]}]}]}}}},"NodeNames":[]})",
          R"({"Pod":{"status":"Pending"},"NodeNames":[]})",
          // huge numbers
          R"({"Pod":{"spec":{"priority":2147483648}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"priority":1e30}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"priority":1e400}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"google.com/tpu":99999999999999999999}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"google.com/tpu":"99999999999999999999"}}}]}},"NodeNames":[]})",
          R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"memory":"1e400"}}}]}},"NodeNames":[]})",
          std::string(kNulBody, sizeof(kNulBody) - 1),
          std::string(kNulAfterBody, sizeof(kNulAfterBody) - 1),
      }) {
    SCOPED_TRACE(body.substr(0, 160));
    auto args = ParseExtenderArgs(body);
    EXPECT_THAT(args, StatusIs(absl::StatusCode::kInvalidArgument));
    if (!args.ok()) {
      EXPECT_FALSE(args.status().message().empty());
    }
  }
}

TEST(WireMalformedTest, EveryTruncationOfARealBodyIsAnError) {
  const std::string body = Fixture("extender/normal.scheduler_filter.request.json");
  ASSERT_FALSE(body.empty());
  size_t end = body.find_last_not_of(" \r\n\t");
  ASSERT_NE(end, std::string::npos);
  for (size_t n = 0; n <= end; ++n) {
    auto args = ParseExtenderArgs(body.substr(0, n));
    ASSERT_THAT(args, StatusIs(absl::StatusCode::kInvalidArgument))
        << "prefix of " << n << " bytes";
  }
  EXPECT_OK(ParseExtenderArgs(body.substr(0, end + 1)));
}

TEST(WireMalformedTest, ErrorsNameTheField) {
  auto r = ParseExtenderArgs(
      R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":"lots"}}}]}},"NodeNames":[]})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("spec.containers[0].resources.requests.cpu"));
  r = ParseExtenderArgs(R"({"Pod":{},"NodeNames":["a",2]})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("NodeNames[1]"));
  r = ParseExtenderArgs(R"({"Pod":{},"NodeNames":["a","b",{"c":["d"]},null]})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::HasSubstr("NodeNames[2]: expected string, got object"));
  EXPECT_THAT(DecodePodInfo("{\"metadata\":"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WireMalformedTest, SaturatingSumsDoNotOverflow) {
  ASSERT_OK_AND_ASSIGN(api::PodInfo pod, DecodePodInfo(R"({"spec":{"containers":[
      {"resources":{"requests":{"google.com/tpu":"9223372036854775807"}}},
      {"resources":{"requests":{"google.com/tpu":"9223372036854775807"}}}]}})"));
  EXPECT_EQ(pod.scheduling.requests.at("google.com/tpu"), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace phalanx::extender
