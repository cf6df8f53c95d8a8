// bench/placement/tpu_cluster.h
//
// The benchmark cluster: `pools` GKE TPU node pools of `per` nodes, 4 chips per node, tainted and
// labelled as GKE does; and the multislice gang of DESIGN §6 (199 Jobs × 64 pods of 1 chip).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "placement/cluster.h"
#include "placement/model.h"

namespace phalanx::placement::bench {

inline constexpr char kPool[] = "cloud.google.com/gke-nodepool";
inline constexpr char kAccel[] = "cloud.google.com/gke-tpu-accelerator";
inline constexpr char kTpu[] = "google.com/tpu";

inline Node TpuNode(int pool, int i) {
  Node n;
  n.name = absl::StrCat("gke-tpu-cluster-np-", pool, "-", i);
  n.labels = {{"kubernetes.io/hostname", n.name},
              {"kubernetes.io/arch", "amd64"},
              {"kubernetes.io/os", "linux"},
              {"node.kubernetes.io/instance-type", "ct6e-standard-4t"},
              {"topology.kubernetes.io/region", "us-east5"},
              {"topology.kubernetes.io/zone", "us-east5-b"},
              {kPool, absl::StrCat("np-", pool)},
              {kAccel, "tpu-v6e-slice"},
              {"cloud.google.com/gke-tpu-topology", "4x4"}};
  n.allocatable = {{"cpu", 179'000},
                   {"memory", int64_t{700} << 30},
                   {"ephemeral-storage", int64_t{90} << 30},
                   {"pods", 110},
                   {kTpu, 4}};
  n.taints = {{kTpu, "present", TaintEffect::kNoSchedule}};
  return n;
}

inline void BuildTpuCluster(Cluster& c, int pools, int per) {
  for (int p = 0; p < pools; ++p) {
    for (int i = 0; i < per; ++i) c.UpsertNode(TpuNode(p, i));
  }
  c.EnsureLevel(kPool);
}

inline GangDemand Multislice(const std::string& uid, int jobs, int pods) {
  GangDemand g;
  g.id = GangId{uid, "", -1};
  g.owner = absl::StrCat("ml/", uid);
  g.policy = GangPolicy::kJobSet;
  for (int j = 0; j < jobs; ++j) {
    JobDemand d;
    d.key = JobKey{uid, "slice", j};
    d.name = absl::StrCat(uid, "-slice-", j);
    d.pods = pods;
    d.requests = {{kTpu, 1}, {"cpu", 1000}, {"memory", int64_t{4} << 30}};
    d.eligibility.node_selector = {{kAccel, "tpu-v6e-slice"}};
    d.eligibility.tolerations = {{kTpu, TolerationOperator::kExists, "", std::nullopt}};
    d.exclusive_key = kPool;
    g.jobs.push_back(std::move(d));
  }
  return g;
}

}  // namespace phalanx::placement::bench
