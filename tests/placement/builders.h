// tests/placement/builders.h
//
// Fluent builders for placement tests: nodes, domains of nodes, gangs and pods.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "placement/cluster.h"
#include "placement/filter.h"
#include "placement/model.h"
#include "placement/reserve.h"

namespace phalanx::placement::testing {

inline constexpr char kNodePool[] = "cloud.google.com/gke-nodepool";
inline constexpr char kTpu[] = "google.com/tpu";
inline constexpr char kGpu[] = "nvidia.com/gpu";
inline constexpr char kClique[] = "nvidia.com/gpu.clique";
inline constexpr char kBlock[] = "cloud.google.com/gce-topology-block";
inline constexpr char kSubblock[] = "cloud.google.com/gce-topology-subblock";
inline constexpr char kHost[] = "cloud.google.com/gce-topology-host";
inline constexpr char kAwsL1[] = "topology.k8s.aws/network-node-layer-1";
inline constexpr char kAwsL2[] = "topology.k8s.aws/network-node-layer-2";
inline constexpr char kAwsL3[] = "topology.k8s.aws/network-node-layer-3";

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name) {
    node_.name = std::move(name);
    node_.labels["kubernetes.io/hostname"] = node_.name;
    node_.allocatable = {{"cpu", 32000}, {"memory", int64_t{128} << 30}, {"pods", 110}};
  }
  NodeBuilder& Label(std::string k, std::string v) {
    node_.labels[std::move(k)] = std::move(v);
    return *this;
  }
  NodeBuilder& Alloc(std::string r, int64_t q) {
    node_.allocatable[std::move(r)] = q;
    return *this;
  }
  NodeBuilder& Taint(std::string k, std::string v, TaintEffect e = TaintEffect::kNoSchedule) {
    node_.taints.push_back({std::move(k), std::move(v), e});
    return *this;
  }
  NodeBuilder& NotReady() {
    node_.ready = false;
    return *this;
  }
  NodeBuilder& Cordoned() {
    node_.unschedulable = true;
    return *this;
  }
  Node Build() const { return node_; }
  operator Node() const { return node_; }  // NOLINT

 private:
  Node node_;
};

// `count` domains of `per` nodes: node "<prefix><d>-<i>" labelled key=<prefix><d>, each with `res`.
inline std::vector<Node> Pools(const std::string& key, const std::string& prefix, int count, int per,
                               const ResourceList& res) {
  std::vector<Node> out;
  for (int d = 0; d < count; ++d) {
    for (int i = 0; i < per; ++i) {
      NodeBuilder b(absl::StrCat(prefix, d, "-", i));
      b.Label(key, absl::StrCat(prefix, d));
      for (const auto& [r, q] : res) b.Alloc(r, q);
      out.push_back(b.Build());
    }
  }
  return out;
}

inline void AddAll(Cluster& c, const std::vector<Node>& nodes) {
  for (const Node& n : nodes) c.UpsertNode(n);
}

// A gang of `jobs` exclusive Jobs, each `pods` pods requesting `req`.
inline GangDemand Gang(const std::string& uid, const std::string& key, int jobs, int pods,
                       ResourceList req, int priority = 0) {
  GangDemand g;
  g.id = GangId{uid, "", -1};
  g.owner = absl::StrCat("ns/", uid);
  g.policy = GangPolicy::kJobSet;
  g.priority = priority;
  for (int i = 0; i < jobs; ++i) {
    JobDemand j;
    j.key = JobKey{uid, "w", i};
    j.name = absl::StrCat(uid, "-w-", i);
    j.pods = pods;
    j.requests = req;
    j.exclusive_key = key;
    g.jobs.push_back(std::move(j));
  }
  return g;
}

inline PodDemand MemberPod(const GangDemand& g, int job) {
  PodDemand p;
  p.job = g.jobs[job].key;
  p.requests = g.jobs[job].requests;
  p.eligibility = g.jobs[job].eligibility;
  p.exclusive_key = g.jobs[job].exclusive_key;
  return p;
}

inline std::vector<std::string> AllNodeNames(const Cluster& c) {
  std::vector<std::string> out;
  for (NodeId n = 0; n < c.node_slots(); ++n) {
    if (c.node(n).live) out.push_back(c.node(n).name);
  }
  return out;
}

// Names of the candidates that passed.
inline std::vector<std::string> Passed(const FilterResult& r, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (r.verdicts[i] == Verdict::kPass) out.push_back(names[i]);
  }
  return out;
}

// Domain label of each Job of a reservation, in order ("" for non-exclusive Jobs).
inline std::vector<std::string> Domains(const Cluster& c, const Reservation& r) {
  std::vector<std::string> out;
  for (const JobSlot& s : r.jobs) out.push_back(s.domain == kNoDomain ? "" : c.DomainLabel(s.domain));
  return out;
}

// Binds one pod of `job` to `node`.
inline BoundPod Bind(const std::string& uid, const std::string& node, const JobDemand& job) {
  BoundPod p;
  p.uid = uid;
  p.node_name = node;
  p.requests = job.requests;
  p.job = job.key;
  return p;
}

}  // namespace phalanx::placement::testing
