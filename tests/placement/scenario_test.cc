// Scenario tests: deterministic synthetic clusters with the real topology label keys of TPU node
// pools, GB200 NVLink cliques, GKE block/sub-block/host and AWS network layers, driven the way the
// extender drives the engine (Reserve, then per-pod Filter + Prioritize, then a bound pod).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "placement/cluster.h"
#include "placement/filter.h"
#include "placement/gang.h"
#include "placement/queue.h"
#include "placement/reserve.h"
#include "tests/placement/builders.h"
#include "tests/placement/invariants.h"

namespace phalanx::placement {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::AddAll;
using testing::Domains;
using testing::kAwsL1;
using testing::kAwsL2;
using testing::kAwsL3;
using testing::kBlock;
using testing::kClique;
using testing::kGpu;
using testing::kHost;
using testing::kNodePool;
using testing::kSubblock;
using testing::kTpu;
using testing::MemberPod;
using testing::NodeBuilder;

constexpr char kAccel[] = "cloud.google.com/gke-tpu-accelerator";
constexpr char kTopo[] = "cloud.google.com/gke-tpu-topology";

std::vector<std::string> SortedNames(const Cluster& c) {
  std::vector<std::string> names = testing::AllNodeNames(c);
  std::sort(names.begin(), names.end());
  return names;
}

// What kube-scheduler does with the extender's answers: the best-scored passing node, lowest name
// on ties; the pod is then bound. Returns the node, or "" if none passed.
std::string Schedule(Cluster& c, const Reservations& r, const PodDemand& p,
                     const std::string& uid) {
  const std::vector<std::string> names = SortedNames(c);
  const FilterResult f = Filter(c, r, p, names);
  const std::vector<int64_t> s = Prioritize(c, r, p, names);
  int best = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (f.verdicts[i] != Verdict::kPass) continue;
    if (best < 0 || s[i] > s[best]) best = static_cast<int>(i);
  }
  if (best < 0) return "";
  c.UpsertPod({uid, names[best], p.requests, p.job, p.daemonset});
  return names[best];
}

// GKE TPU v6e 4x4 slices: node pools of `per` nodes with 4 chips each, tainted like GKE does.
void TpuPools(Cluster& c, int pools, int per, const std::string& prefix = "tpu-v6e-") {
  for (int p = 0; p < pools; ++p) {
    for (int i = 0; i < per; ++i) {
      c.UpsertNode(NodeBuilder(absl::StrCat("gke-c1-", prefix, p, "-", i))
                       .Label(kNodePool, absl::StrCat(prefix, p))
                       .Label(kAccel, "tpu-v6e-slice")
                       .Label(kTopo, "4x4")
                       .Alloc(kTpu, 4)
                       .Taint(kTpu, "present"));
    }
  }
}

ReplicatedJobDemand TpuWorkers(int replicas, int parallelism) {
  ReplicatedJobDemand rj;
  rj.name = "workers";
  rj.replicas = replicas;
  rj.pods_per_job = parallelism;
  rj.requests = {{kTpu, 4}};
  rj.eligibility.node_selector = {{kAccel, "tpu-v6e-slice"}, {kTopo, "4x4"}};
  rj.eligibility.tolerations.push_back({kTpu, TolerationOperator::kExists, "", std::nullopt});
  return rj;
}

JobSetDemand TpuJobSet(const std::string& name, int replicas, int parallelism,
                       GangPolicy policy = GangPolicy::kJobSet) {
  JobSetDemand js;
  js.uid = name + "-uid";
  js.namespace_name = "ml";
  js.name = name;
  js.policy = policy;
  js.exclusive_key = kNodePool;
  js.replicated_jobs.push_back(TpuWorkers(replicas, parallelism));
  return js;
}

std::set<std::string> PoolsOf(const Cluster& c, const std::vector<std::string>& nodes) {
  std::set<std::string> out;
  const LevelId l = *c.FindLevel(kNodePool);
  for (const std::string& n : nodes) out.insert(c.domain(c.NodeDomain(*c.FindNode(n), l)).path);
  return out;
}

// §6.3 item 1: each Job on its own pool, no pool shared, every pod filters to exactly its pool.
TEST(PlacementScenarioTest, ExactFitTpuSlices) {
  Cluster c;
  TpuPools(c, 8, 4);
  Reservations r;
  const GangDemand g = MakeGangs(TpuJobSet("train", 4, 4)).front();
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  const std::vector<std::string> d = Domains(c, *res.reservation);
  EXPECT_EQ(std::set<std::string>(d.begin(), d.end()).size(), 4u);
  const std::vector<std::string> names = SortedNames(c);
  for (int j = 0; j < 4; ++j) {
    std::vector<std::string> bound;
    for (int k = 0; k < 4; ++k) {
      const PodDemand pod = MemberPod(g, j);
      EXPECT_EQ(Filter(c, r, pod, names).passed(), static_cast<size_t>(4 - k));
      bound.push_back(Schedule(c, r, pod, absl::StrCat("train-", j, "-", k)));
    }
    EXPECT_EQ(PoolsOf(c, bound).size(), 1u);
    EXPECT_EQ(absl::StrCat(kNodePool, "=", *PoolsOf(c, bound).begin()), d[j]);
    EXPECT_EQ(std::set<std::string>(bound.begin(), bound.end()).size(), 4u);
  }
  testing::ExpectConsistent(c);
}

// §6.3 item 2: a 4-pod Job takes a whole 16-node pool; nobody else enters; non-JobSet pods are
// blocked by default and allowed by option.
TEST(PlacementScenarioTest, OversizedDomainStaysExclusive) {
  Cluster c;
  TpuPools(c, 2, 16);
  Reservations r;
  const GangDemand a = MakeGangs(TpuJobSet("a", 1, 4)).front();
  const GangDemand b = MakeGangs(TpuJobSet("b", 1, 4)).front();
  ASSERT_THAT(Domains(c, *r.Reserve(c, a).reservation),
              ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-0"));
  ASSERT_THAT(Domains(c, *r.Reserve(c, b).reservation),
              ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-1"));
  const std::vector<std::string> names = SortedNames(c);
  const FilterResult fb = Filter(c, r, MemberPod(b, 0), names);
  EXPECT_EQ(fb.passed(), 16u);
  // Reasons name the pod's own domain.
  EXPECT_EQ(fb.reason(0), "outside reserved domain cloud.google.com/gke-nodepool=tpu-v6e-1");
  PodDemand plain;
  plain.requests = {{kTpu, 1}};
  plain.eligibility.tolerations.push_back({"", TolerationOperator::kExists, "", std::nullopt});
  EXPECT_EQ(Filter(c, r, plain, names).passed(), 0u);
  EXPECT_EQ(Filter(c, r, plain, names).reason(0),
            "domain cloud.google.com/gke-nodepool=tpu-v6e-0 reserved by ml/a job a-workers-0");
  FilterOptions allow;
  allow.allow_non_jobset_pods_in_reserved_domains = true;
  EXPECT_EQ(Filter(c, r, plain, names, allow).passed(), 32u);
  PodDemand other_jobset = plain;
  other_jobset.job = JobKey{"x", "w", 0};
  EXPECT_EQ(Filter(c, r, other_jobset, names, allow).passed(), 0u);
  const ReserveResult no = r.Reserve(c, MakeGangs(TpuJobSet("c", 1, 4)).front());
  EXPECT_EQ(no.reason,
            "gang needs 1 domain of cloud.google.com/gke-nodepool with 4 pods of {google.com/tpu: 4}; "
            "0 free, 2 reserved by ml/a (1), ml/b (1)");
}

// §6.3 item 3: a Job of 5 nodes' worth never fits 4-node pools: every node unresolvable.
TEST(PlacementScenarioTest, NoFit) {
  Cluster c;
  TpuPools(c, 4, 4);
  Reservations r;
  const GangDemand g = MakeGangs(TpuJobSet("big", 1, 5)).front();
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_FALSE(res.placed());
  EXPECT_EQ(res.reason,
            "gang needs 1 domain of cloud.google.com/gke-nodepool with 5 pods of {google.com/tpu: 4}; "
            "0 free, 4 too small or unhealthy");
  const std::vector<std::string> names = SortedNames(c);
  const FilterResult f = Filter(c, r, MemberPod(g, 0), names);
  EXPECT_EQ(f.passed(), 0u);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(f.verdicts[i], Verdict::kUnresolvable);
    EXPECT_EQ(f.reason(i), "gang not placed yet");
  }
}

// §6.3 item 4: one unhealthy node excludes its pool for a full-size Job; recovery brings it back.
TEST(PlacementScenarioTest, PartialDomainExcludedUntilRecovery) {
  struct Case {
    std::string name;
    std::function<void(NodeBuilder&)> spoil;
  };
  const std::vector<Case> cases = {
      {"not ready", [](NodeBuilder& b) { b.NotReady(); }},
      {"cordoned", [](NodeBuilder& b) { b.Cordoned(); }},
      {"tainted NoSchedule", [](NodeBuilder& b) { b.Taint("maintenance", "true"); }},
      {"tainted NoExecute",
       [](NodeBuilder& b) { b.Taint("node.kubernetes.io/unreachable", "", TaintEffect::kNoExecute); }},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Cluster c;
    TpuPools(c, 2, 4);
    auto node = [](bool spoiled, const Case& tc) {
      NodeBuilder b("gke-c1-tpu-v6e-0-2");
      b.Label(kNodePool, "tpu-v6e-0").Label(kAccel, "tpu-v6e-slice").Label(kTopo, "4x4");
      b.Alloc(kTpu, 4).Taint(kTpu, "present");
      if (spoiled) tc.spoil(b);
      return b.Build();
    };
    c.UpsertNode(node(true, tc));
    Reservations r;
    const GangDemand a = MakeGangs(TpuJobSet("a", 1, 4)).front();
    EXPECT_THAT(Domains(c, *r.Reserve(c, a).reservation),
                ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-1"));
    const GangDemand b = MakeGangs(TpuJobSet("b", 1, 4)).front();
    const ReserveResult blocked = r.Reserve(c, b);
    EXPECT_FALSE(blocked.placed());
    EXPECT_THAT(blocked.reason, HasSubstr("1 too small or unhealthy"));
    c.UpsertNode(node(false, tc));
    EXPECT_THAT(Domains(c, *r.Reserve(c, b).reservation),
                ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-0"));
    testing::ExpectConsistent(c);
  }
}

// §6.3 item 5: two 2-Job JobSets race for 3 pools: one is placed whole, the other holds nothing.
TEST(PlacementScenarioTest, RaceForTheLastDomain) {
  Cluster c;
  TpuPools(c, 3, 4);
  Reservations r;
  PlanQueue q;
  JobSetDemand a = TpuJobSet("a", 2, 4);
  JobSetDemand b = TpuJobSet("b", 2, 4);
  b.created = a.created + absl::Seconds(1);
  q.Upsert(MakeGangs(b).front());
  q.Upsert(MakeGangs(a).front());
  const PlanRound round = q.Plan(c, r, absl::UnixEpoch());
  ASSERT_EQ(round.placed.size(), 1u);
  EXPECT_EQ(round.placed[0].jobset_uid, "a-uid");
  ASSERT_EQ(round.waiting.size(), 1u);
  EXPECT_THAT(round.waiting[0].reason, HasSubstr("1 free, 2 reserved by ml/a"));
  int owned = 0;
  for (DomainId d : c.level(*c.FindLevel(kNodePool)).domains) owned += c.domain(d).owner != kNoOwner;
  EXPECT_EQ(owned, 2);
  EXPECT_EQ(r.Find(MakeGangs(b).front().id), nullptr);
  // With per-Job gangs (upstream default) each Job is its own gang: b's first Job gets the last pool.
  Cluster c2;
  TpuPools(c2, 3, 4);
  Reservations r2;
  PlanQueue q2;
  for (const GangDemand& g : MakeGangs(TpuJobSet("a", 2, 4, GangPolicy::kJob))) q2.Upsert(g);
  for (GangDemand g : MakeGangs(TpuJobSet("b", 2, 4, GangPolicy::kJob))) {
    g.created += absl::Seconds(1);
    q2.Upsert(g);
  }
  EXPECT_EQ(q2.Plan(c2, r2, absl::UnixEpoch()).placed.size(), 3u);
}

// §6.3 item 6 (planner side): the higher-priority JobSet is planned first; an equal-priority
// JobSet never displaces a reservation.
TEST(PlacementScenarioTest, PriorityOrdersPlanningAndNeverStealsAtEqualPriority) {
  Cluster c;
  TpuPools(c, 1, 4);
  Reservations r;
  PlanQueue q;
  JobSetDemand low = TpuJobSet("low", 1, 4);
  JobSetDemand high = TpuJobSet("high", 1, 4);
  high.priority = 100;
  high.created = low.created + absl::Hours(1);
  q.Upsert(MakeGangs(low).front());
  q.Upsert(MakeGangs(high).front());
  PlanRound round = q.Plan(c, r, absl::UnixEpoch());
  ASSERT_EQ(round.placed.size(), 1u);
  EXPECT_EQ(round.placed[0].jobset_uid, "high-uid");
  JobSetDemand same = TpuJobSet("same", 1, 4);
  same.priority = 100;
  EXPECT_FALSE(r.Reserve(c, MakeGangs(same).front()).placed());
  EXPECT_EQ(r.Find(MakeGangs(high).front().id)->jobs[0].domain,
            *c.FindDomain(kNodePool, "tpu-v6e-0"));
}

// §6.3 item 7: a restart attempt keeps its domains; while old pods terminate, new pods wait on
// capacity (resolvable), are never sent elsewhere, and nobody else takes the domain.
TEST(PlacementScenarioTest, RestartAttemptKeepsDomains) {
  Cluster c;
  TpuPools(c, 3, 4);
  Reservations r;
  const GangDemand g = MakeGangs(TpuJobSet("train", 2, 4)).front();
  const std::vector<std::string> before = Domains(c, *r.Reserve(c, g).reservation);
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 4; ++k) {
      ASSERT_NE(Schedule(c, r, MemberPod(g, j), absl::StrCat("old-", j, "-", k)), "");
    }
  }
  // Attempt 1: same JobKeys (restart attempt is not part of the key); old pods still bound.
  const ReserveResult again = r.Reserve(c, g);
  EXPECT_EQ(again.outcome, ReserveResult::Outcome::kKept);
  EXPECT_EQ(Domains(c, *again.reservation), before);
  EXPECT_TRUE(again.moved.empty());
  EXPECT_TRUE(again.stranded.empty());
  const std::vector<std::string> names = SortedNames(c);
  const FilterResult f = Filter(c, r, MemberPod(g, 0), names);
  EXPECT_EQ(f.passed(), 0u);
  size_t capacity = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (f.verdicts[i] == Verdict::kFail) {
      ++capacity;
      EXPECT_EQ(f.reason(i), "insufficient google.com/tpu");
    }
  }
  EXPECT_EQ(capacity, 4u);
  EXPECT_FALSE(r.Reserve(c, MakeGangs(TpuJobSet("other", 2, 4)).front()).placed());
  for (int k = 0; k < 4; ++k) c.RemovePod(absl::StrCat("old-0-", k));
  EXPECT_EQ(Filter(c, r, MemberPod(g, 0), names).passed(), 4u);
  EXPECT_EQ(PoolsOf(c, {Schedule(c, r, MemberPod(g, 0), "new-0-0")}).size(), 1u);
}

// §6.3 item 8: a CPU leader and exclusive TPU workers, one JobSet gang; exclusivity only on workers.
TEST(PlacementScenarioTest, LeaderAndWorkers) {
  Cluster c;
  TpuPools(c, 3, 4);
  c.UpsertNode(NodeBuilder("cpu-0").Label(kNodePool, "default-pool").Alloc("cpu", 8000));
  Reservations r;
  JobSetDemand js;
  js.uid = "u";
  js.namespace_name = "ml";
  js.name = "lw";
  js.policy = GangPolicy::kJobSet;
  ReplicatedJobDemand leader;
  leader.name = "leader";
  leader.requests = {{"cpu", 4000}};
  ReplicatedJobDemand workers = TpuWorkers(2, 4);
  workers.exclusive_key = kNodePool;
  js.replicated_jobs = {leader, workers};
  const GangDemand g = MakeGangs(js).front();
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  EXPECT_THAT(Domains(c, *res.reservation),
              ElementsAre("", "cloud.google.com/gke-nodepool=tpu-v6e-0",
                          "cloud.google.com/gke-nodepool=tpu-v6e-1"));
  const std::vector<std::string> names = SortedNames(c);
  const FilterResult lf = Filter(c, r, MemberPod(g, 0), names);
  // The leader is kept out of its own workers' pools (exclusive) and out of the free pool (it
  // does not tolerate the TPU taint): only the CPU node is left.
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(lf.verdicts[i] == Verdict::kPass, names[i] == "cpu-0") << names[i];
    if (names[i].find("tpu-v6e-2") != std::string::npos) {
      EXPECT_EQ(lf.reason(i), "node has a taint the pod does not tolerate");
    } else if (names[i].find("tpu-v6e-") != std::string::npos) {
      EXPECT_EQ(lf.reason(i).rfind("domain cloud.google.com/gke-nodepool=tpu-v6e-", 0), 0u);
    }
  }
  EXPECT_EQ(Schedule(c, r, MemberPod(g, 0), "leader"), "cpu-0");
}

// GB200 NVL72 racks: 18 nodes × 4 GPUs, clique label <ClusterUUID>.<CliqueID>.
void Gb200(Cluster& c, int racks) {
  for (int k = 0; k < racks; ++k) {
    for (int i = 0; i < 18; ++i) {
      c.UpsertNode(NodeBuilder(absl::StrCat("gb200-r", k, "-n", i < 10 ? "0" : "", i))
                       .Label(kClique, absl::StrCat("2f6c3a1e-0d4b-4f7e-9a51-7c2d9e0b1a44.", k))
                       .Alloc(kGpu, 4));
    }
  }
}

// §6.3 item 9: single-GPU pods pack into one rack; the other racks stay whole for 16 × 4-GPU Jobs;
// a rack with 2 bad nodes (16 left) still holds one, with 3 it does not.
TEST(PlacementScenarioTest, NvlinkCliquesPackSmallPodsAndKeepRacksWhole) {
  Cluster c;
  Gb200(c, 10);
  c.EnsureLevel(kClique);
  Reservations r;
  PodDemand small;
  small.requests = {{kGpu, 1}};
  std::set<std::string> racks;
  const LevelId l = *c.FindLevel(kClique);
  for (int i = 0; i < 40; ++i) {
    const std::string node = Schedule(c, r, small, absl::StrCat("small-", i));
    ASSERT_NE(node, "");
    racks.insert(c.domain(c.NodeDomain(*c.FindNode(node), l)).path);
  }
  EXPECT_EQ(racks.size(), 1u) << "small pods spread over racks";
  for (int i = 0; i < 2; ++i) {
    c.UpsertNode(NodeBuilder(absl::StrCat("gb200-r3-n0", i))
                     .Label(kClique, "2f6c3a1e-0d4b-4f7e-9a51-7c2d9e0b1a44.3")
                     .Alloc(kGpu, 4)
                     .NotReady());
  }
  const GangDemand big = testing::Gang("big", kClique, 9, 16, {{kGpu, 4}});
  const ReserveResult res = r.Reserve(c, big);
  ASSERT_TRUE(res.placed()) << res.reason;
  const std::vector<std::string> d = Domains(c, *res.reservation);
  EXPECT_EQ(std::set<std::string>(d.begin(), d.end()).size(), 9u);
  r.Release(c, big.id);
  c.UpsertNode(NodeBuilder("gb200-r3-n02")
                   .Label(kClique, "2f6c3a1e-0d4b-4f7e-9a51-7c2d9e0b1a44.3")
                   .Alloc(kGpu, 4)
                   .NotReady());
  const ReserveResult no = r.Reserve(c, big);
  ASSERT_FALSE(no.placed());
  EXPECT_EQ(no.reason,
            "gang needs 9 domains of nvidia.com/gpu.clique with 16 pods of {nvidia.com/gpu: 4}; 8 "
            "free, 1 in use by other pods, 1 too small or unhealthy");
}

// GKE AI Hypercomputer: blocks → sub-blocks → hosts, 8 GPUs per node.
void GkeBlocks(Cluster& c, int blocks, int subblocks, int hosts) {
  for (int b = 0; b < blocks; ++b) {
    for (int s = 0; s < subblocks; ++s) {
      for (int h = 0; h < hosts; ++h) {
        c.UpsertNode(NodeBuilder(absl::StrCat("a4-b", b, "-s", s, "-h", h))
                         .Label(kBlock, absl::StrCat("block-", b))
                         .Label(kSubblock, absl::StrCat("sb-", s))
                         .Label(kHost, absl::StrCat("host-", h))
                         .Alloc(kGpu, 8));
      }
    }
  }
}

// §6.3 item 10: all Jobs in one block, each Job alone on a sub-block.
TEST(PlacementScenarioTest, TwoLevelBlockAndSubblock) {
  Cluster c(TopologyConfig{{{kBlock, kSubblock, kHost}}});
  GkeBlocks(c, 2, 4, 4);
  Reservations r;
  auto gang = [](const std::string& uid, int jobs) {
    GangDemand g = testing::Gang(uid, kSubblock, jobs, 4, {{kGpu, 8}});
    g.colocate_key = kBlock;
    return g;
  };
  const ReserveResult a = r.Reserve(c, gang("a", 3));
  ASSERT_TRUE(a.placed()) << a.reason;
  EXPECT_THAT(Domains(c, *a.reservation),
              ElementsAre("cloud.google.com/gce-topology-subblock=block-0/sb-0",
                          "cloud.google.com/gce-topology-subblock=block-0/sb-1",
                          "cloud.google.com/gce-topology-subblock=block-0/sb-2"));
  const ReserveResult b = r.Reserve(c, gang("b", 3));
  ASSERT_TRUE(b.placed()) << b.reason;
  EXPECT_EQ(b.reservation->colocate, *c.FindDomain(kBlock, "block-1"));
  // One sub-block left in each block: a 2-Job gang fits the cluster but not one block.
  const ReserveResult no = r.Reserve(c, gang("c", 2));
  ASSERT_FALSE(no.placed());
  EXPECT_EQ(no.reason,
            "gang needs 2 domains of cloud.google.com/gce-topology-subblock within one "
            "cloud.google.com/gce-topology-block; best cloud.google.com/gce-topology-block=block-0 "
            "has 1 free");
  // A 1-Job gang goes to the partly used block first (whole blocks stay free).
  r.Release(c, GangId{"b", "", -1});
  const ReserveResult d = r.Reserve(c, gang("d", 1));
  EXPECT_THAT(Domains(c, *d.reservation),
              ElementsAre("cloud.google.com/gce-topology-subblock=block-0/sb-3"));
  testing::ExpectConsistent(c);
}

// §6.3 item 11: AWS network layers; each Job within one layer-3 node, even when layer-3 values
// repeat under different layer-2 parents.
TEST(PlacementScenarioTest, AwsNetworkLayers) {
  Cluster c(TopologyConfig{{{kAwsL1, kAwsL2, kAwsL3}}});
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      for (int n3 = 0; n3 < 3; ++n3) {
        for (int i = 0; i < 2; ++i) {
          c.UpsertNode(NodeBuilder(absl::StrCat("ip-10-", a, "-", b, "-", n3, "-", i))
                           .Label(kAwsL1, absl::StrCat("nn-e50490a237cb0f0", a))
                           .Label(kAwsL2, absl::StrCat("nn-2b7c11d0a9e3f41", b))
                           .Label(kAwsL3, absl::StrCat("nn-77a0c3d2e1f4b5", n3))  // reused values
                           .Alloc(kGpu, 8));
        }
      }
    }
  }
  EXPECT_EQ(c.level(c.EnsureLevel(kAwsL3)).domains.size(), 12u);
  Reservations r;
  const GangDemand g = testing::Gang("p5", kAwsL3, 12, 2, {{kGpu, 8}});
  const ReserveResult res = r.Reserve(c, g);
  ASSERT_TRUE(res.placed()) << res.reason;
  const std::vector<std::string> d = Domains(c, *res.reservation);
  EXPECT_EQ(std::set<std::string>(d.begin(), d.end()).size(), 12u);
  for (int j = 0; j < 12; ++j) {
    std::set<std::string> l3;
    for (int k = 0; k < 2; ++k) {
      const std::string node = Schedule(c, r, MemberPod(g, j), absl::StrCat("p-", j, "-", k));
      ASSERT_NE(node, "");
      const NodeId n = *c.FindNode(node);
      l3.insert(c.domain(c.NodeDomain(n, *c.FindLevel(kAwsL3))).path);
    }
    EXPECT_EQ(l3.size(), 1u);
  }
  EXPECT_FALSE(r.Reserve(c, testing::Gang("more", kAwsL3, 1, 1, {{kGpu, 8}})).placed());
}

// §6.3 item 12: nodes without the key are in no domain; a rack value under two blocks is two racks.
TEST(PlacementScenarioTest, MissingAndInconsistentLabels) {
  constexpr char kRack[] = "cloud.provider.com/topology-rack";
  constexpr char kKBlock[] = "cloud.provider.com/topology-block";
  Cluster c(TopologyConfig{{{kKBlock, kRack}}});
  for (int b = 1; b <= 2; ++b) {
    for (int i = 0; i < 4; ++i) {
      c.UpsertNode(NodeBuilder(absl::StrCat("b", b, "-r1-", i))
                       .Label(kKBlock, absl::StrCat("b", b))
                       .Label(kRack, "r1")
                       .Alloc(kGpu, 8));
    }
  }
  for (int i = 0; i < 8; ++i) {
    c.UpsertNode(NodeBuilder(absl::StrCat("loose-", i)).Label(kRack, "r9").Alloc(kGpu, 8));
  }
  Reservations r;
  const ReserveResult no = r.Reserve(c, testing::Gang("g", kRack, 1, 8, {{kGpu, 8}}));
  ASSERT_FALSE(no.placed());
  EXPECT_THAT(no.reason, HasSubstr("0 free, 2 too small"));
  const ReserveResult yes = r.Reserve(c, testing::Gang("h", kRack, 1, 4, {{kGpu, 8}}));
  EXPECT_THAT(Domains(c, *yes.reservation),
              ElementsAre("cloud.provider.com/topology-rack=b1/r1"));
  // A key no node carries explains itself.
  const ReserveResult typo = r.Reserve(c, testing::Gang("t", "cloud.provider.com/topology-rak", 1,
                                                        1, {{kGpu, 8}}));
  EXPECT_THAT(typo.reason, HasSubstr("(no node has label cloud.provider.com/topology-rak)"));
}

// §6.3 item 16 (functional half; timing is in bench/placement): thousands of nodes in domains of
// 4–72 nodes and a stream of multi-Job JobSets; placements are disjoint and members filter to
// their domain only.
TEST(PlacementScenarioTest, ScaleStream) {
  Cluster c;
  const int sizes[] = {4, 8, 16, 18, 32, 64, 72};
  int nodes = 0;
  for (int d = 0; nodes < 15000; ++d) {
    const int size = sizes[d % 7];
    for (int i = 0; i < size; ++i, ++nodes) {
      c.UpsertNode(NodeBuilder(absl::StrCat("n", d, "-", i))
                       .Label(kNodePool, absl::StrCat("pool-", d))
                       .Alloc(kGpu, 8));
    }
  }
  Reservations r;
  int placed = 0;
  std::set<DomainId> used;
  for (int js = 0; js < 1000; ++js) {
    const int jobs = 4 + js % 61;
    const int pods = sizes[js % 7] / 2;
    const GangDemand g = testing::Gang(absl::StrCat("js", js), kNodePool, jobs, pods, {{kGpu, 8}});
    const ReserveResult res = r.Reserve(c, g);
    if (!res.placed()) continue;
    ++placed;
    for (const JobSlot& s : res.reservation->jobs) {
      EXPECT_TRUE(used.insert(s.domain).second) << "domain reserved twice";
      EXPECT_GE(c.domain(s.domain).healthy_nodes, pods);
    }
  }
  EXPECT_GT(placed, 5);
  const std::vector<std::string> names = SortedNames(c);
  const GangId first = r.Gangs().front();
  const Reservation* res = r.Find(first);
  PodDemand pod;
  pod.job = res->jobs[0].job;
  pod.requests = {{kGpu, 8}};
  pod.exclusive_key = kNodePool;
  EXPECT_EQ(Filter(c, r, pod, names).passed(), c.domain(res->jobs[0].domain).nodes.size());
  testing::ExpectConsistent(c);
}

// §6.3 item 17: churn while a gang is half bound; DaemonSet pods consume but do not occupy.
TEST(PlacementScenarioTest, ChurnAndDaemonSets) {
  Cluster c;
  TpuPools(c, 4, 4);
  Reservations r;
  const GangDemand g = MakeGangs(TpuJobSet("train", 2, 4)).front();
  ASSERT_THAT(Domains(c, *r.Reserve(c, g).reservation),
              ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-0",
                          "cloud.google.com/gke-nodepool=tpu-v6e-1"));
  // Job 0 is half bound; job 1 has no pods yet.
  ASSERT_NE(Schedule(c, r, MemberPod(g, 0), "j0-0"), "");
  ASSERT_NE(Schedule(c, r, MemberPod(g, 0), "j0-1"), "");
  // A node of job 1's pool is deleted and one of job 0's pool is relabelled into another pool.
  c.RemoveNode("gke-c1-tpu-v6e-1-3");
  c.UpsertNode(NodeBuilder("gke-c1-tpu-v6e-0-3")
                   .Label(kNodePool, "tpu-v6e-3")
                   .Label(kAccel, "tpu-v6e-slice")
                   .Label(kTopo, "4x4")
                   .Alloc(kTpu, 4)
                   .Taint(kTpu, "present"));
  testing::ExpectConsistent(c);
  const ReserveResult res = r.Reserve(c, g);
  EXPECT_THAT(res.moved, ElementsAre(g.jobs[1].key));
  EXPECT_THAT(res.stranded, ElementsAre(g.jobs[0].key));
  EXPECT_THAT(Domains(c, *res.reservation),
              ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-0",
                          "cloud.google.com/gke-nodepool=tpu-v6e-2"));
  // The relabelled node left job 0's domain, so job 0's pods no longer pass on it.
  const std::vector<std::string> names = {"gke-c1-tpu-v6e-0-3"};
  EXPECT_EQ(Filter(c, r, MemberPod(g, 0), names).passed(), 0u);
  // DaemonSet pods use resources (a pool whose nodes they fill is too small) but do not occupy.
  Cluster d;
  TpuPools(d, 2, 2);
  d.UpsertPod({"ds-0", "gke-c1-tpu-v6e-0-0", {{kTpu, 1}}, std::nullopt, true});
  d.UpsertPod({"ds-1", "gke-c1-tpu-v6e-1-0", {{"cpu", 500}}, std::nullopt, true});
  Reservations rd;
  const GangDemand h = MakeGangs(TpuJobSet("h", 1, 2)).front();
  EXPECT_THAT(Domains(d, *rd.Reserve(d, h).reservation),
              ElementsAre("cloud.google.com/gke-nodepool=tpu-v6e-1"));
  testing::ExpectConsistent(d);
}

}  // namespace
}  // namespace phalanx::placement
