// tests/scheduler-extender/test_objects.h
//
// Small builders of Kubernetes objects (as JSON text) for the extender's tests: TPU-style nodes in node
// pools, JobSets asking for exclusive placement, and their pods as the Job controller creates them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace phalanx::extender::testing {

inline constexpr char kPoolKey[] = "cloud.google.com/gke-nodepool";
inline constexpr char kExclusive[] = "alpha.jobset.sigs.k8s.io/exclusive-topology";

inline nlohmann::json Node(const std::string& name, std::map<std::string, std::string> labels, int tpus = 4,
                           bool ready = true) {
  labels["kubernetes.io/hostname"] = name;
  nlohmann::json n = {{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", {{"name", name}, {"labels", labels}}},
                      {"spec", nlohmann::json::object()}};
  nlohmann::json alloc = {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}, {"google.com/tpu", std::to_string(tpus)}};
  n["status"] = {{"capacity", alloc},
                 {"allocatable", alloc},
                 {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}};
  return n;
}

// `pools` node pools "pool-<i>" of `nodes_per_pool` nodes "tpu-<i>-<j>".
inline std::vector<nlohmann::json> Pools(int pools, int nodes_per_pool) {
  std::vector<nlohmann::json> out;
  for (int i = 0; i < pools; ++i) {
    for (int j = 0; j < nodes_per_pool; ++j) {
      out.push_back(Node(absl::StrCat("tpu-", i, "-", j), {{kPoolKey, absl::StrCat("pool-", i)}}));
    }
  }
  return out;
}

struct RJ {
  std::string name;
  int replicas = 1;
  int parallelism = 1;
  int tpus = 4;
};

// A JobSet with exclusive placement on the node pool key; `uid` empty for objects to be created.
inline nlohmann::json JobSet(const std::string& name, const std::vector<RJ>& rjs, const std::string& uid = "",
                             std::map<std::string, std::string> annotations = {{kExclusive, kPoolKey}}) {
  nlohmann::json js = {{"apiVersion", "jobset.x-k8s.io/v1alpha2"},
                       {"kind", "JobSet"},
                       {"metadata", {{"name", name}, {"namespace", "default"}, {"annotations", annotations}}}};
  if (!uid.empty()) {
    js["metadata"]["uid"] = uid;
    js["metadata"]["creationTimestamp"] = "2026-12-01T00:00:00Z";
  }
  nlohmann::json list = nlohmann::json::array();
  for (const RJ& rj : rjs) {
    nlohmann::json container = {
        {"name", "main"},
        {"image", "trainer:1"},
        {"resources", {{"requests", {{"google.com/tpu", std::to_string(rj.tpus)}}},
                       {"limits", {{"google.com/tpu", std::to_string(rj.tpus)}}}}}};
    list.push_back({{"name", rj.name},
                    {"replicas", rj.replicas},
                    {"template",
                     {{"spec",
                       {{"parallelism", rj.parallelism},
                        {"completions", rj.parallelism},
                        {"backoffLimit", 0},
                        {"completionMode", "Indexed"},
                        {"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {container}}}}}}}}}}});
  }
  js["spec"] = {{"replicatedJobs", list}};
  return js;
}

// A pod of Job <jobset>-<rj>-<index> as created by the Job controller, gated by the webhook.
inline nlohmann::json Pod(const std::string& jobset, const std::string& jobset_uid, const std::string& rj, int index,
                          int completion, const std::vector<std::string>& gates = {"phalanx.dev/placement"},
                          const std::string& node = "", int tpus = 4) {
  const std::string job = absl::StrCat(jobset, "-", rj, "-", index);
  const std::string name = absl::StrCat(job, "-", completion, "-x");
  nlohmann::json labels = {{"jobset.sigs.k8s.io/jobset-name", jobset},
                           {"jobset.sigs.k8s.io/jobset-uid", jobset_uid},
                           {"jobset.sigs.k8s.io/replicatedjob-name", rj},
                           {"jobset.sigs.k8s.io/job-index", std::to_string(index)},
                           {"batch.kubernetes.io/job-completion-index", std::to_string(completion)}};
  nlohmann::json p = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", absl::StrCat("uid-", name)},
        {"resourceVersion", "1"},
        {"labels", labels},
        {"annotations", {{kExclusive, kPoolKey}}},
        {"ownerReferences", {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", job}, {"uid", "job-uid"},
                              {"controller", true}}}}}},
      {"spec",
       {{"containers",
         {{{"name", "main"},
           {"image", "trainer:1"},
           {"resources", {{"requests", {{"google.com/tpu", std::to_string(tpus)}}}}}}}}}},
      {"status", {{"phase", "Pending"}}}};
  if (!gates.empty()) {
    nlohmann::json g = nlohmann::json::array();
    for (const std::string& gate : gates) g.push_back({{"name", gate}});
    p["spec"]["schedulingGates"] = g;
  }
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

}  // namespace phalanx::extender::testing
