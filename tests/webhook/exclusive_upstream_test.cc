// Table and golden tests of upstream exclusive placement (--exclusive-placement=upstream) against
// reference/jobset.md §5.3–5.4: the leader's two terms, the follower's nodeSelector, the leader lookup
// rules and every refusal message — on the Pod CREATE reviews captured from a 1.36 API server.
#include "webhook/exclusive_upstream.h"

#include <map>
#include <string>
#include <vector>

#include "api/json_patch.h"
#include "api/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/memory_cluster.h"
#include "kube/object.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "webhook/cluster_view.h"
#include "webhook/handler.h"

namespace phalanx::webhook {
namespace {

using api::AdmissionOperation;
using ::testing::HasSubstr;
using phalanx::testing::StatusIs;

constexpr char kTopology[] = "cloud.google.com/gke-nodepool";

class TableLookup : public LeaderLookup {
 public:
  std::map<std::pair<std::string, std::string>, std::vector<PodSummary>> pods;
  std::map<std::string, std::map<std::string, std::string>> nodes;

  std::vector<PodSummary> PodsByIndexKey(std::string_view ns, std::string_view key) const override {
    auto it = pods.find({std::string(ns), std::string(key)});
    return it == pods.end() ? std::vector<PodSummary>{} : it->second;
  }
  std::optional<std::map<std::string, std::string>> NodeLabels(std::string_view name) const override {
    auto it = nodes.find(std::string(name));
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
};

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

std::string ObjectOf(const std::string& body) {
  auto review = api::DecodeAdmissionReview(body);
  EXPECT_TRUE(review.ok()) << review.status();
  return review.ok() ? *review->request.object : "{}";
}

// The captured pods: index 0 (leader) and index 1 (follower) of Job js-named-workers-0.
const std::string& LeaderJson() {
  static const std::string* json =
      new std::string(ObjectOf(Fixture("pod-create-from-job-controller.mutate-pod.request.json")));
  return *json;
}
const std::string& FollowerJson() {
  static const std::string* json =
      new std::string(ObjectOf(Fixture("pod-create-from-job-controller.mutate-pod.2.request.json")));
  return *json;
}

api::Pod Decode(const std::string& json) {
  auto pod = api::DecodePod(json);
  EXPECT_TRUE(pod.ok()) << pod.status();
  return pod.ok() ? *pod : api::Pod{};
}

constexpr char kJobUid[] = "5de2832b-e02c-419e-a94d-782aa2680f2e";  // the Job owning both pods

PodSummary LeaderSummary(std::string node = "node-a-0") {
  return PodSummary{"default", "js-named-workers-0-0-abcde", kJobUid, std::move(node), "Running", false};
}

TableLookup ScheduledLeader() {
  TableLookup t;
  t.pods[{"default", "js-named-workers-0-0"}] = {LeaderSummary()};
  t.nodes["node-a-0"] = {{kTopology, "pool-a"}, {"kubernetes.io/hostname", "node-a-0"}};
  return t;
}

TEST(ExclusivePlacementModeTest, Parse) {
  EXPECT_EQ(*ParseExclusivePlacementMode("phalanx"), ExclusivePlacementMode::kPhalanx);
  EXPECT_EQ(*ParseExclusivePlacementMode("upstream"), ExclusivePlacementMode::kUpstream);
  EXPECT_THAT(ParseExclusivePlacementMode("Upstream").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseExclusivePlacementMode("").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ExclusivePlacementModeName(ExclusivePlacementMode::kUpstream), "upstream");
}

TEST(LeaderIndexKeyTest, Table) {
  EXPECT_EQ(LeaderIndexKey("js-rjob-0-0-abcde", true), "js-rjob-0-0");
  EXPECT_EQ(LeaderIndexKey("my-js-workers-3-0-x1y2z", true), "my-js-workers-3-0");
  EXPECT_EQ(LeaderIndexKey("js-rjob-0-0", false), std::nullopt);  // no exclusive annotation
  EXPECT_EQ(LeaderIndexKey("rjob-0-0-abcde", true), std::nullopt);  // 4 parts
  EXPECT_EQ(LeaderIndexKey("plain", true), std::nullopt);
}

TEST(LeaderPodNameTest, FromLabelsAndMissingLabels) {
  api::Pod follower = Decode(FollowerJson());
  EXPECT_EQ(*LeaderPodName(follower), "js-named-workers-0-0");
  for (std::string_view key : {api::kJobSetNameKey, api::kReplicatedJobNameKey, api::kJobIndexKey}) {
    api::Pod p = follower;
    p.metadata.labels->erase(std::string(key));
    EXPECT_EQ(LeaderPodName(p).status().message(), "pod missing label: " + std::string(key));
  }
}

TEST(SelectLeaderTest, LookupRules) {
  api::Pod follower = Decode(FollowerJson());
  const std::string name = "js-named-workers-0-0";
  struct Case {
    std::string name;
    std::vector<PodSummary> candidates;
    std::string want_error;  // "" = found
  };
  PodSummary terminating = LeaderSummary();
  terminating.deleting = true;
  PodSummary failed = LeaderSummary();
  failed.phase = "Failed";
  PodSummary succeeded = LeaderSummary();
  succeeded.phase = "Succeeded";
  PodSummary other_job = LeaderSummary();
  other_job.owner_uid = "old-job-uid";
  PodSummary orphan = LeaderSummary();
  orphan.owner_uid = "";
  const std::string transient = ". this is an expected, transient error";
  std::vector<Case> cases = {
      {"one live leader", {LeaderSummary()}, ""},
      {"none", {}, "expected 1 leader pod (js-named-workers-0-0), but got 0" + transient},
      {"two", {LeaderSummary(), LeaderSummary("node-b")},
       "expected 1 leader pod (js-named-workers-0-0), but got 2" + transient},
      {"terminating dropped", {terminating}, "expected 1 leader pod (js-named-workers-0-0), but got 0" + transient},
      {"failed and succeeded dropped, retried leader wins", {failed, succeeded, LeaderSummary()}, ""},
      {"stale leader of another Job", {other_job},
       std::string("follower pod owner UID (") + kJobUid + ") != leader pod owner UID (old-job-uid)"},
      {"leader without owner", {orphan}, "leader pod \"js-named-workers-0-0-abcde\" has no owner reference"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<PodSummary> got = SelectLeader(follower, name, c.candidates);
    if (c.want_error.empty()) {
      ASSERT_OK(got);
      EXPECT_EQ(got->phase, "Running");
      EXPECT_FALSE(got->deleting);
    } else {
      EXPECT_EQ(got.status().message(), c.want_error);
    }
  }
  api::Pod no_owner = follower;
  no_owner.metadata.owner_references.reset();
  EXPECT_EQ(SelectLeader(no_owner, name, {LeaderSummary()}).status().message(),
            "follower pod has no owner reference");
}

// Leader: the pod after the patch carries exactly the two terms of reference §5.3.
TEST(UpstreamMutationTest, LeaderGetsAffinityAndAntiAffinityGolden) {
  api::Pod leader = Decode(LeaderJson());
  TableLookup none;
  UpstreamMutation m = DecideUpstreamMutation(leader, AdmissionOperation::kCreate, none);
  ASSERT_FALSE(m.error);
  EXPECT_EQ(m.priority_label, "0");
  ASSERT_OK_AND_ASSIGN(AffinityShape shape, ReadAffinityShape(LeaderJson()));
  EXPECT_FALSE(shape.has_affinity);
  api::JsonPatch patch = UpstreamMutationPatch(leader, shape, m);
  ASSERT_OK_AND_ASSIGN(std::string patched, api::ApplyJsonPatch(LeaderJson(), patch.ToJson()));
  nlohmann::json pod = nlohmann::json::parse(patched);
  EXPECT_EQ(pod["metadata"]["labels"]["jobset.sigs.k8s.io/priority"], "0");
  const std::string job_key = "86bcd45ec2450cd04a00a0fb02228b82fb7565b4";
  nlohmann::json want = nlohmann::json::parse(R"({
    "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
      "labelSelector": {"matchExpressions": [
        {"key": "jobset.sigs.k8s.io/job-key", "operator": "In", "values": [")" + job_key + R"("]}]},
      "topologyKey": "cloud.google.com/gke-nodepool", "namespaceSelector": {}}]},
    "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
      "labelSelector": {"matchExpressions": [
        {"key": "jobset.sigs.k8s.io/job-key", "operator": "Exists"},
        {"key": "jobset.sigs.k8s.io/job-key", "operator": "NotIn", "values": [")" + job_key + R"("]},
        {"key": "jobset.sigs.k8s.io/priority", "operator": "In", "values": ["0"]}]},
      "topologyKey": "cloud.google.com/gke-nodepool", "namespaceSelector": {}}]}})");
  EXPECT_EQ(pod["spec"]["affinity"], want) << pod["spec"]["affinity"].dump(2);
  // Nothing else of the spec changed.
  nlohmann::json before = nlohmann::json::parse(LeaderJson());
  pod["spec"].erase("affinity");
  EXPECT_EQ(pod["spec"], before["spec"]);
}

TEST(UpstreamMutationTest, LeaderKeepsUserTermsAndUsesItsPriority) {
  nlohmann::json obj = nlohmann::json::parse(LeaderJson());
  nlohmann::json user_term = {{"labelSelector", {{"matchLabels", {{"app", "x"}}}}}, {"topologyKey", "zone"}};
  obj["spec"]["affinity"] = {{"podAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", {user_term}}}},
                             {"nodeAffinity", {{"preferredDuringSchedulingIgnoredDuringExecution", nlohmann::json::array()}}}};
  obj["spec"]["priority"] = -5;
  const std::string json = obj.dump();
  api::Pod leader = Decode(json);
  TableLookup none;
  UpstreamMutation m = DecideUpstreamMutation(leader, AdmissionOperation::kCreate, none);
  ASSERT_OK_AND_ASSIGN(AffinityShape shape, ReadAffinityShape(json));
  EXPECT_TRUE(shape.has_pod_affinity_required);
  EXPECT_FALSE(shape.has_pod_anti_affinity);
  ASSERT_OK_AND_ASSIGN(std::string patched, api::ApplyJsonPatch(json, UpstreamMutationPatch(leader, shape, m).ToJson()));
  nlohmann::json a = nlohmann::json::parse(patched)["spec"]["affinity"];
  ASSERT_EQ(a["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].size(), 2u);
  EXPECT_EQ(a["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0], user_term);
  EXPECT_TRUE(a.contains("nodeAffinity"));
  auto anti = a["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
  ASSERT_EQ(anti.size(), 1u);
  EXPECT_EQ(anti[0]["labelSelector"]["matchExpressions"][2]["values"][0], "n5");
}

TEST(UpstreamMutationTest, FollowerTable) {
  api::Pod follower = Decode(FollowerJson());
  struct Case {
    std::string name;
    TableLookup lookup;
    std::optional<std::string> selector;
    std::string error;
  };
  TableLookup pending = ScheduledLeader();
  pending.pods.begin()->second[0].node_name = "";
  TableLookup node_gone = ScheduledLeader();
  node_gone.nodes.clear();
  TableLookup no_label = ScheduledLeader();
  no_label.nodes["node-a-0"].erase(kTopology);
  std::vector<Case> cases = {
      {"scheduled leader: its node's domain", ScheduledLeader(), "pool-a", ""},
      {"leader pending: unchanged (validation refuses)", pending, std::nullopt, ""},
      {"no leader: unchanged", TableLookup{}, std::nullopt, ""},
      {"leader's node unknown: refused", node_gone, std::nullopt, "nodes \"node-a-0\" not found"},
      {"node without the label: refused", no_label, std::nullopt,
       "node does not have topology label: cloud.google.com/gke-nodepool"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    UpstreamMutation m = DecideUpstreamMutation(follower, AdmissionOperation::kCreate, c.lookup);
    EXPECT_EQ(m.priority_label, "0");
    EXPECT_FALSE(m.leader_topology_key);
    EXPECT_EQ(m.error.value_or(""), c.error);
    if (c.selector) {
      ASSERT_TRUE(m.node_selector);
      EXPECT_EQ(m.node_selector->first, kTopology);
      EXPECT_EQ(m.node_selector->second, *c.selector);
      ASSERT_OK_AND_ASSIGN(std::string patched,
                           api::ApplyJsonPatch(FollowerJson(), UpstreamMutationPatch(follower, {}, m).ToJson()));
      nlohmann::json sel = nlohmann::json::parse(patched)["spec"]["nodeSelector"];
      EXPECT_EQ(sel[kTopology], *c.selector);
      EXPECT_EQ(sel["cloud.google.com/gke-tpu-topology"], "2x2");  // the template's entries stay
    } else {
      EXPECT_FALSE(m.node_selector);
    }
  }
}

TEST(UpstreamMutationTest, LeftAlone) {
  TableLookup lookup = ScheduledLeader();
  api::Pod plain = Decode(FollowerJson());
  plain.metadata.annotations->erase(std::string(api::kJobSetNameKey));
  EXPECT_TRUE(DecideUpstreamMutation(plain, AdmissionOperation::kCreate, lookup).empty());
  api::Pod strategy = Decode(FollowerJson());
  (*strategy.metadata.annotations)[std::string(api::kNodeSelectorStrategyKey)] = "true";
  EXPECT_TRUE(DecideUpstreamMutation(strategy, AdmissionOperation::kCreate, lookup).empty());
  EXPECT_TRUE(DecideUpstreamMutation(Decode(FollowerJson()), AdmissionOperation::kUpdate, lookup).empty());
  api::Pod not_exclusive = Decode(FollowerJson());
  not_exclusive.metadata.annotations->erase(std::string(api::kExclusiveKey));
  UpstreamMutation m = DecideUpstreamMutation(not_exclusive, AdmissionOperation::kCreate, lookup);
  EXPECT_EQ(m.priority_label, "0");  // every JobSet pod gets the label (#1077)
  EXPECT_FALSE(m.node_selector);
}

TEST(ValidatePodUpstreamTest, EveryMessage) {
  api::Pod follower = Decode(FollowerJson());  // nodeSelector without the topology key
  api::Pod selected = follower;
  (*selected.node_selector)[kTopology] = "pool-a";
  api::Pod no_selector = follower;
  no_selector.node_selector.reset();
  TableLookup pending = ScheduledLeader();
  pending.pods.begin()->second[0].node_name = "";
  struct Case {
    std::string name;
    api::Pod pod;
    TableLookup lookup;
    std::string denied;  // "" = allowed
  };
  std::vector<Case> cases = {
      {"leader allowed", Decode(LeaderJson()), TableLookup{}, ""},
      {"no nodeSelector", no_selector, ScheduledLeader(), "follower pod node selector not set"},
      {"nodeSelector without key", follower, ScheduledLeader(),
       "follower pod node selector for topology domain not found. missing selector: cloud.google.com/gke-nodepool"},
      {"no leader", selected, TableLookup{},
       "expected 1 leader pod (js-named-workers-0-0), but got 0. this is an expected, transient error"},
      {"leader pending", selected, pending,
       "leader pod not yet scheduled, not creating follower pod. this is an expected, transient error"},
      {"leader scheduled", selected, ScheduledLeader(), ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PodVerdict v = ValidatePodUpstream(c.pod, AdmissionOperation::kCreate, c.lookup);
    EXPECT_EQ(v.allowed, c.denied.empty());
    EXPECT_EQ(v.message, c.denied);
  }
  EXPECT_TRUE(ValidatePodUpstream(no_selector, AdmissionOperation::kUpdate, TableLookup{}).allowed);
}

// Through the handler, on the captured review bodies.
TEST(UpstreamHandlerTest, CapturedReviews) {
  TableLookup lookup = ScheduledLeader();
  PodWebhookOptions options;
  options.exclusive_placement = ExclusivePlacementMode::kUpstream;
  options.lookup = &lookup;
  // Leader: patched with the terms, no placement gate.
  HttpReply reply = HandleAdmission(kMutatePodPath, "application/json",
                                    Fixture("pod-create-from-job-controller.mutate-pod.request.json"), options);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto decoded = api::DecodeAdmissionResponseReview(reply.body);
  ASSERT_OK(decoded);
  ASSERT_TRUE(decoded->response.patch);
  EXPECT_THAT(*decoded->response.patch, HasSubstr("/spec/affinity"));
  EXPECT_THAT(*decoded->response.patch, ::testing::Not(HasSubstr("schedulingGates")));
  // Follower: nodeSelector from the leader's node.
  reply = HandleAdmission(kMutatePodPath, "application/json",
                          Fixture("pod-create-from-job-controller.mutate-pod.2.request.json"), options);
  decoded = api::DecodeAdmissionResponseReview(reply.body);
  ASSERT_OK(decoded);
  ASSERT_TRUE(decoded->response.patch);
  EXPECT_THAT(*decoded->response.patch,
              HasSubstr(R"({"op":"add","path":"/spec/nodeSelector/cloud.google.com~1gke-nodepool","value":"pool-a"})"));
  // The captured follower at the validating webhook lacks the topology key: refused with 403.
  reply = HandleAdmission(kValidatePodPath, "application/json",
                          Fixture("pod-create-from-job-controller.validate-pod.2.request.json"), options);
  decoded = api::DecodeAdmissionResponseReview(reply.body);
  ASSERT_OK(decoded);
  EXPECT_FALSE(decoded->response.allowed);
  ASSERT_TRUE(decoded->response.status);
  EXPECT_EQ(decoded->response.status->code, 403);
  EXPECT_THAT(decoded->response.status->message, HasSubstr("missing selector: cloud.google.com/gke-nodepool"));
  // Leader's node gone: the follower's creation is refused at the mutating webhook.
  lookup.nodes.clear();
  reply = HandleAdmission(kMutatePodPath, "application/json",
                          Fixture("pod-create-from-job-controller.mutate-pod.2.request.json"), options);
  decoded = api::DecodeAdmissionResponseReview(reply.body);
  ASSERT_OK(decoded);
  EXPECT_FALSE(decoded->response.allowed);
  EXPECT_EQ(decoded->response.status->message, "nodes \"node-a-0\" not found");
}

// The informer-fed view files pods as upstream's index does.
TEST(ClusterViewTest, SummarizesCapturedPod) {
  std::string json = phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/get-job-pod-index0.json");
  ASSERT_OK_AND_ASSIGN(kube::Object pod, kube::ParseObject(json));
  ASSERT_OK_AND_ASSIGN(PodSummary s, SummarizePod(pod));
  EXPECT_EQ(s.name, "demo-workers-0-0-dl2n9");
  EXPECT_EQ(s.node_name, "tpu-node-a-1");
  EXPECT_EQ(s.phase, "Running");
  EXPECT_FALSE(s.owner_uid.empty());
  kube::Object bad = pod;
  bad.json = R"({"spec":{"nodeName":3}})";
  EXPECT_THAT(SummarizePod(bad).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClusterViewTest, FollowsPodsAndNodesThroughInformers) {
  kube::MemoryCluster cluster;
  std::string json = phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/api/get-job-pod-index0.json");
  nlohmann::json pod = nlohmann::json::parse(json);
  for (const char* f : {"resourceVersion", "uid", "creationTimestamp", "managedFields"}) pod["metadata"].erase(f);
  pod.erase("status");
  pod["metadata"].erase("finalizers");  // so the deletion below removes it
  ASSERT_OK(cluster.Create(kube::kPods, "default", pod.dump()));
  nlohmann::json other = pod;  // not exclusive: never filed
  other["metadata"]["name"] = "demo-workers-0-0-other";
  other["metadata"]["annotations"].erase(std::string(api::kExclusiveKey));
  ASSERT_OK(cluster.Create(kube::kPods, "default", other.dump()));
  ASSERT_OK(cluster.Create(kube::kNodes, "",
                           R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"tpu-node-a-1","labels":{"pool":"a"}}})"));
  ClusterView view(cluster);
  view.Start();
  ASSERT_TRUE(view.WaitForSync(absl::Seconds(10)));
  std::vector<PodSummary> got = view.PodsByIndexKey("default", "demo-workers-0-0");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "demo-workers-0-0-dl2n9");
  EXPECT_EQ(got[0].node_name, "tpu-node-a-1");
  EXPECT_EQ(view.NodeLabels("tpu-node-a-1")->at("pool"), "a");
  EXPECT_FALSE(view.NodeLabels("nope"));
  ASSERT_OK(cluster.Delete(kube::kPods, "default", "demo-workers-0-0-dl2n9",
                           kube::DeleteOptions{.grace_period_seconds = 0}));
  ASSERT_OK(cluster.Delete(kube::kNodes, "", "tpu-node-a-1"));
  for (int i = 0; i < 500 && (!view.PodsByIndexKey("default", "demo-workers-0-0").empty() ||
                              view.NodeLabels("tpu-node-a-1")); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(view.PodsByIndexKey("default", "demo-workers-0-0").empty());
  EXPECT_FALSE(view.NodeLabels("tpu-node-a-1"));
  view.Stop();
}

}  // namespace
}  // namespace phalanx::webhook
