// Property tests on random clusters and gang streams (fixed seeds): no domain ever holds two
// gangs' Jobs, a gang is placed whole or not at all, reserved capacity is real (every member pod of
// a placed gang is then scheduled inside its domain, and no node is overcommitted), equal inputs
// give equal outputs (also with nodes inserted in another order), and best fit compared with the
// exhaustive optimum on small instances.
#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "placement/cluster.h"
#include "placement/filter.h"
#include "placement/reserve.h"
#include "tests/placement/builders.h"
#include "tests/placement/invariants.h"

namespace phalanx::placement {
namespace {

using testing::NodeBuilder;

constexpr char kBlockKey[] = "cloud.provider.com/topology-block";
constexpr char kRackKey[] = "cloud.provider.com/topology-rack";
constexpr char kGpu[] = "nvidia.com/gpu";

class Rng {
 public:
  explicit Rng(uint32_t seed) : g_(seed) {}
  int In(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  bool Chance(int percent) { return In(0, 99) < percent; }
  std::mt19937& engine() { return g_; }

 private:
  std::mt19937 g_;
};

struct World {
  std::vector<Node> nodes;
  std::vector<BoundPod> pods;  // foreign and DaemonSet pods present from the start
};

World RandomWorld(Rng& rng) {
  World w;
  const int blocks = rng.In(2, 5);
  for (int b = 0; b < blocks; ++b) {
    const int racks = rng.In(1, 4);
    for (int k = 0; k < racks; ++k) {
      const int per = rng.In(1, 6);
      for (int i = 0; i < per; ++i) {
        NodeBuilder n(absl::StrCat("n-", b, "-", k, "-", i));
        if (!rng.Chance(5)) n.Label(kBlockKey, absl::StrCat("b", b));
        if (!rng.Chance(5)) n.Label(kRackKey, absl::StrCat("r", k));  // rack values repeat
        n.Alloc(kGpu, rng.Chance(50) ? 4 : 8);
        if (rng.Chance(8)) n.NotReady();
        if (rng.Chance(5)) n.Cordoned();
        if (rng.Chance(5)) n.Taint("maintenance", "true");
        w.nodes.push_back(n.Build());
        if (rng.Chance(10)) {
          w.pods.push_back({absl::StrCat("ds-", w.nodes.back().name), w.nodes.back().name,
                            {{kGpu, 1}}, std::nullopt, true});
        }
        if (rng.Chance(4)) {
          w.pods.push_back({absl::StrCat("other-", w.nodes.back().name), w.nodes.back().name,
                            {{kGpu, 1}}, std::nullopt, false});
        }
      }
    }
  }
  return w;
}

GangDemand RandomGang(Rng& rng, int id, bool allow_loose) {
  GangDemand g;
  g.id = GangId{absl::StrCat("g", id), "", -1};
  g.owner = absl::StrCat("ns/g", id);
  const int jobs = rng.In(1, 3);
  const bool by_block = rng.Chance(15);
  if (!by_block && rng.Chance(25)) g.colocate_key = kBlockKey;
  for (int j = 0; j < jobs; ++j) {
    JobDemand d;
    d.key = JobKey{g.id.jobset_uid, "w", j};
    d.name = absl::StrCat("g", id, "-w-", j);
    d.pods = rng.In(1, 6);
    d.requests = {{kGpu, rng.Chance(50) ? 4 : rng.In(1, 8)}};
    d.exclusive_key = by_block ? kBlockKey : kRackKey;
    if (allow_loose && j == 0 && jobs > 1 && rng.Chance(30)) d.exclusive_key.clear();
    g.jobs.push_back(std::move(d));
  }
  return g;
}

// Everything a run produces, as text, to compare runs.
struct Trace {
  std::vector<std::string> lines;
};

class Run {
 public:
  // `chained`: block → rack is configured; otherwise the rack key is a level of its own, and only
  // gangs colocated on block see racks by full path (their own chain), both levels side by side.
  Run(const World& w, const std::vector<size_t>& order, bool chained = true)
      : c_(chained ? TopologyConfig{{{kBlockKey, kRackKey}}} : TopologyConfig{}) {
    for (size_t i : order) c_.UpsertNode(w.nodes[i]);
    for (const BoundPod& p : w.pods) c_.UpsertPod(p);
    for (const Node& n : w.nodes) nodes_[n.name] = n;
    for (const BoundPod& p : w.pods) pods_[p.uid] = p;
  }

  // Reserve, check the all-or-nothing and exclusivity properties, bind every member pod.
  void Place(const GangDemand& g) {
    const bool had = r_.Find(g.id) != nullptr;
    const ReserveResult res = r_.Reserve(c_, g);
    if (!res.placed()) {
      ASSERT_FALSE(had);
      ASSERT_EQ(r_.Find(g.id), nullptr) << "unplaced gang holds a reservation";
      ASSERT_FALSE(res.reason.empty());
      trace_.lines.push_back(absl::StrCat(g.owner, " waits: ", res.reason));
      return;
    }
    const Reservation& rv = *res.reservation;
    ASSERT_EQ(rv.jobs.size(), g.jobs.size());
    std::string line = absl::StrCat(g.owner, " ->");
    for (size_t j = 0; j < g.jobs.size(); ++j) {
      const bool exclusive = !g.jobs[j].exclusive_key.empty();
      ASSERT_EQ(rv.jobs[j].domain != kNoDomain, exclusive) << "gang placed in part";
      absl::StrAppend(&line, " ", exclusive ? c_.DomainLabel(rv.jobs[j].domain) : "-");
      if (!exclusive) continue;
      const Domain& d = c_.domain(rv.jobs[j].domain);
      if (!g.colocate_key.empty()) {
        ASSERT_TRUE(c_.Within(rv.jobs[j].domain, rv.colocate));
      }
      if (res.outcome == ReserveResult::Outcome::kPlaced) {
        // Independent check: the domain's healthy nodes hold the Job and no one else's pods.
        int64_t fits = 0;
        for (NodeId n : d.nodes) {
          const Node& node = nodes_.at(c_.node(n).name);
          ASSERT_EQ(Foreign(node.name), 0) << "domain with other pods was reserved";
          if (!node.ready || node.unschedulable || !node.taints.empty()) continue;
          fits += Free(node.name) / g.jobs[j].requests.at(kGpu);
        }
        ASSERT_GE(fits, g.jobs[j].pods) << "reserved a domain that cannot hold the Job";
      }
    }
    trace_.lines.push_back(line);
    ASSERT_NO_FATAL_FAILURE(CheckExclusive());
    if (res.outcome != ReserveResult::Outcome::kPlaced) return;
    // Reserved capacity is real: every pod of an exclusive Job is scheduled inside its domain.
    for (size_t j = 0; j < g.jobs.size(); ++j) {
      if (g.jobs[j].exclusive_key.empty()) continue;
      for (int k = 0; k < g.jobs[j].pods; ++k) {
        const std::string node = Schedule(testing::MemberPod(g, static_cast<int>(j)),
                                          absl::StrCat(g.jobs[j].name, "-", k));
        ASSERT_NE(node, "") << "member pod of a reserved Job found no node";
        ASSERT_EQ(c_.NodeDomain(*c_.FindNode(node), c_.domain(rv.jobs[j].domain).level),
                  rv.jobs[j].domain);
        ASSERT_LE(Used(node), nodes_.at(node).allocatable.at(kGpu)) << "node overcommitted";
      }
    }
  }

  void Release(const GangId& g) {
    r_.Release(c_, g);
    for (auto it = pods_.begin(); it != pods_.end();) {
      if (it->second.job.has_value() && it->second.job->jobset_uid == g.jobset_uid) {
        c_.RemovePod(it->first);
        it = pods_.erase(it);
      } else {
        ++it;
      }
    }
    trace_.lines.push_back(absl::StrCat("release ", g.jobset_uid));
  }

  void Flip(const std::string& name) {
    Node& n = nodes_.at(name);
    n.ready = !n.ready;
    c_.UpsertNode(n);
  }

  Cluster& cluster() { return c_; }
  Reservations& reservations() { return r_; }
  const Trace& trace() const { return trace_; }

  // No node lies in the reserved domains of two different Jobs.
  void CheckExclusive() {
    std::map<NodeId, std::string> holder;
    for (const GangId& id : r_.Gangs()) {
      for (const JobSlot& s : r_.Find(id)->jobs) {
        if (s.domain == kNoDomain) continue;
        const std::string who = absl::StrCat(id.jobset_uid, "/", s.job.index);
        for (NodeId n : c_.domain(s.domain).nodes) {
          auto [it, fresh] = holder.emplace(n, who);
          ASSERT_TRUE(fresh) << c_.node(n).name << " held by " << it->second << " and " << who;
        }
      }
    }
  }

 private:
  int64_t Used(const std::string& node) const {
    int64_t used = 0;
    for (const auto& [uid, p] : pods_) {
      if (p.node_name == node) used += p.requests.at(kGpu);
    }
    return used;
  }
  int64_t Free(const std::string& node) const {
    return nodes_.at(node).allocatable.at(kGpu) - Used(node);
  }
  int Foreign(const std::string& node) const {
    int n = 0;
    for (const auto& [uid, p] : pods_) n += p.node_name == node && !p.daemonset;
    return n;
  }

  std::string Schedule(const PodDemand& p, const std::string& uid) {
    std::vector<std::string> names;
    for (const auto& [name, n] : nodes_) names.push_back(name);
    const FilterResult f = Filter(c_, r_, p, names);
    const std::vector<int64_t> s = Prioritize(c_, r_, p, names);
    int best = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (f.verdicts[i] == Verdict::kPass && (best < 0 || s[i] > s[best])) best = static_cast<int>(i);
    }
    if (best < 0) return "";
    BoundPod b{uid, names[best], p.requests, p.job, false};
    c_.UpsertPod(b);
    pods_[uid] = b;
    return names[best];
  }

  Cluster c_;
  Reservations r_;
  std::map<std::string, Node> nodes_;
  std::map<std::string, BoundPod> pods_;
  Trace trace_;
};

// One random stream of reserve / release / health flips; returns the trace.
Trace Stream(uint32_t seed, bool allow_loose, bool shuffle_nodes, bool chained = true) {
  Rng rng(seed);
  const World w = RandomWorld(rng);
  std::vector<size_t> order(w.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (shuffle_nodes) {
    std::mt19937 other(seed ^ 0x9e3779b9u);
    std::shuffle(order.begin(), order.end(), other);
  }
  Run run(w, order, chained);
  std::vector<GangDemand> live;
  for (int step = 0; step < 40; ++step) {
    const int op = rng.In(0, 9);
    if (op < 6 || live.empty()) {
      GangDemand g = RandomGang(rng, step, allow_loose);
      run.Place(g);
      if (::testing::Test::HasFatalFailure()) return {};
      if (run.reservations().Find(g.id) != nullptr) live.push_back(g);
    } else if (op < 8) {
      const size_t i = static_cast<size_t>(rng.In(0, static_cast<int>(live.size()) - 1));
      run.Release(live[i].id);
      live.erase(live.begin() + static_cast<long>(i));
    } else {
      run.Flip(w.nodes[static_cast<size_t>(rng.In(0, static_cast<int>(w.nodes.size()) - 1))].name);
      for (const GangDemand& g : live) {
        run.Place(g);  // re-check: keeps or moves, never splits or double-books
        if (::testing::Test::HasFatalFailure()) return {};
      }
    }
    testing::ExpectConsistent(run.cluster());
    if (::testing::Test::HasFatalFailure()) return {};
  }
  return run.trace();
}

TEST(PlacementPropertyTest, RandomStreamsKeepInvariants) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const Trace t = Stream(seed, /*allow_loose=*/true, /*shuffle_nodes=*/false);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_FALSE(t.lines.empty());
  }
}

TEST(PlacementPropertyTest, RandomStreamsWithoutConfiguredChainsKeepInvariants) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const Trace t = Stream(seed, /*allow_loose=*/true, /*shuffle_nodes=*/false, /*chained=*/false);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_FALSE(t.lines.empty());
    const Trace again = Stream(seed, true, false, false);
    ASSERT_EQ(t.lines, again.lines);
  }
}

TEST(PlacementPropertyTest, SameInputSameOutput) {
  for (uint32_t seed = 100; seed < 130; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const Trace a = Stream(seed, true, false);
    const Trace b = Stream(seed, true, false);
    ASSERT_EQ(a.lines, b.lines);
    // Exclusive-only streams do not even depend on the order nodes were seen in.
    const Trace c = Stream(seed, false, false);
    const Trace d = Stream(seed, false, true);
    ASSERT_EQ(c.lines.size(), d.lines.size());
    for (size_t i = 0; i < c.lines.size(); ++i) ASSERT_EQ(c.lines[i], d.lines[i]) << "line " << i;
  }
}

// --- best fit vs the exhaustive optimum --------------------------------------------------------

struct Small {
  std::vector<int> racks;               // healthy nodes per rack (one pod per node)
  std::vector<std::vector<int>> gangs;  // pods per Job
};

// Can every Job of the chosen gangs get its own rack with enough nodes? (bipartite matching)
bool Feasible(const Small& s, unsigned mask) {
  std::vector<int> jobs;
  for (size_t g = 0; g < s.gangs.size(); ++g) {
    if (mask & (1u << g)) jobs.insert(jobs.end(), s.gangs[g].begin(), s.gangs[g].end());
  }
  if (jobs.size() > s.racks.size()) return false;
  std::vector<int> rack_job(s.racks.size(), -1);
  std::function<bool(int, std::vector<bool>&)> augment = [&](int j, std::vector<bool>& seen) {
    for (size_t r = 0; r < s.racks.size(); ++r) {
      if (seen[r] || s.racks[r] < jobs[j]) continue;
      seen[r] = true;
      if (rack_job[r] < 0 || augment(rack_job[r], seen)) {
        rack_job[r] = j;
        return true;
      }
    }
    return false;
  };
  for (size_t j = 0; j < jobs.size(); ++j) {
    std::vector<bool> seen(s.racks.size(), false);
    if (!augment(static_cast<int>(j), seen)) return false;
  }
  return true;
}

int Optimum(const Small& s) {
  int best = 0;
  for (unsigned mask = 0; mask < (1u << s.gangs.size()); ++mask) {
    const int n = __builtin_popcount(mask);
    if (n > best && Feasible(s, mask)) best = n;
  }
  return best;
}

int BestFit(const Small& s) {
  Cluster c;
  for (size_t r = 0; r < s.racks.size(); ++r) {
    for (int i = 0; i < s.racks[r]; ++i) {
      c.UpsertNode(NodeBuilder(absl::StrCat("r", r, "-", i))
                       .Label(kRackKey, absl::StrCat("r", r))
                       .Alloc(kGpu, 4));
    }
  }
  Reservations res;
  int placed = 0;
  for (size_t g = 0; g < s.gangs.size(); ++g) {
    GangDemand d;
    d.id = GangId{absl::StrCat("g", g), "", -1};
    for (size_t j = 0; j < s.gangs[g].size(); ++j) {
      JobDemand job;
      job.key = JobKey{d.id.jobset_uid, "w", static_cast<int32_t>(j)};
      job.pods = s.gangs[g][j];
      job.requests = {{kGpu, 4}};
      job.exclusive_key = kRackKey;
      d.jobs.push_back(job);
    }
    placed += res.Reserve(c, d).placed() ? 1 : 0;
  }
  return placed;
}

TEST(PlacementPropertyTest, BestFitAgainstExhaustiveOptimum) {
  Rng rng(20261128);
  int total_best = 0, total_opt = 0, optimal_instances = 0;
  double worst = 1.0;
  constexpr int kInstances = 400;
  for (int i = 0; i < kInstances; ++i) {
    Small s;
    const int racks = rng.In(3, 7);
    for (int r = 0; r < racks; ++r) s.racks.push_back(rng.In(1, 6));
    const int gangs = rng.In(3, 7);
    for (int g = 0; g < gangs; ++g) {
      std::vector<int> jobs(static_cast<size_t>(rng.In(1, 3)));
      for (int& p : jobs) p = rng.In(1, 6);
      s.gangs.push_back(jobs);
    }
    const int opt = Optimum(s);
    const int got = BestFit(s);
    ASSERT_LE(got, opt);
    total_best += got;
    total_opt += opt;
    optimal_instances += got == opt;
    if (opt > 0) worst = std::min(worst, static_cast<double>(got) / opt);
  }
  const double ratio = static_cast<double>(total_best) / total_opt;
  RecordProperty("bestfit_gangs", total_best);
  RecordProperty("optimum_gangs", total_opt);
  RecordProperty("ratio", absl::StrFormat("%.3f", ratio));
  RecordProperty("worst_instance_ratio", absl::StrFormat("%.3f", worst));
  std::cout << absl::StrFormat(
                   "best fit placed %d gangs, exhaustive optimum %d: ratio %.3f; optimal on %d of "
                   "%d instances; worst instance %.3f\n",
                   total_best, total_opt, ratio, optimal_instances, kInstances, worst);
  EXPECT_GE(ratio, 0.85);
}

}  // namespace
}  // namespace phalanx::placement
