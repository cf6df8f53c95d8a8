// sim/scenario.h
//
// The simulator's inputs, read from the user's files (pure: text in, data or one clear error out).
//
// Cluster file (YAML or JSON), one of:
//  - a generated shape, a few lines:
//      apiVersion: sim.phalanx.dev/v1alpha1
//      kind: Cluster
//      metadata: {name: mixed-tpu}
//      spec:
//        nodePools:
//        - {name: v5p, shape: tpu-v5p-slice, topology: 4x4x4, count: 4}
//        - {name: rack, shape: gb200-nvl72, count: 8}
//        - {name: a4, shape: gke-gpu-block, blocks: 2, subblocks: 4, hosts: 16}
//        - {name: p5, shape: aws-gpu, layer1: 2, layer2: 4, layer3: 8, nodes: 4}
//        - {name: cpu, shape: cpu, count: 4}
//    (shapes, their labels and allocatable: see the README of sim/);
//  - a real dump exactly as `phalanx plan --cluster` reads it (`kubectl get nodes,pods -A -o yaml|json`,
//    a v1 List): its Nodes, and its bound, unfinished Pods, which keep occupying capacity all run long.
// Workload file: a YAML stream (or a v1 List) of ordinary JobSet manifests, each with optional
// annotations sim.phalanx.dev/arrival (offset from the start: "90s", "5m", "1h30m"; default 0) and
// sim.phalanx.dev/duration (how long each pod runs; default 10m), plus Fault documents:
//      apiVersion: sim.phalanx.dev/v1alpha1
//      kind: Fault
//      spec: {at: 25m, node: v5p-1-node-2, recoverAfter: 30m}           # node failure (recovery optional)
//      spec: {at: 12m, pod: {jobSet: llm, replicatedJob: workers, jobIndex: 0, podIndex: 1},
//             exitCode: 137, reason: OOMKilled}                          # a running pod fails
// (pod faults: namespace defaults to the JobSet's, "default"; exitCode defaults to 1, reason to "Error").
// Errors are kInvalidArgument with one line naming the file, the document (1-based) and the field.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace phalanx::sim {

inline constexpr char kArrivalAnnotation[] = "sim.phalanx.dev/arrival";
inline constexpr char kDurationAnnotation[] = "sim.phalanx.dev/duration";
inline constexpr absl::Duration kDefaultPodDuration = absl::Minutes(10);

struct ClusterSpec {
  std::string name;                     // metadata.name, else the file's base name
  std::vector<std::string> nodes;       // v1 Node objects, compact JSON, ordered by name
  std::vector<std::string> bound_pods;  // v1 Pods with spec.nodeName, not Succeeded/Failed, compact JSON
};

struct WorkloadJobSet {
  std::string json;  // the JobSet manifest as written (annotations kept), compact JSON
  std::string namespace_;  // metadata.namespace, default "default"
  std::string name;
  absl::Duration arrival = absl::ZeroDuration();
  absl::Duration pod_duration = kDefaultPodDuration;
};

struct PodFault {
  std::string namespace_;
  std::string jobset;
  std::string replicated_job;
  int job_index = 0;
  int pod_index = 0;  // completion index within the child Job
  int exit_code = 1;
  std::string reason = "Error";
};

struct NodeFault {
  std::string node;
  std::optional<absl::Duration> recover_after;
};

struct Fault {
  absl::Duration at;
  std::optional<PodFault> pod;    // exactly one of pod / node
  std::optional<NodeFault> node;
  std::string source;  // "<file>: document <n>" (", items[<i>]" in a List), for error lines
};

struct Workload {
  std::string name;  // the file's base name
  std::vector<WorkloadJobSet> jobsets;  // ordered by arrival, then as written
  std::vector<Fault> faults;            // ordered by time, then as written
};

// `path` is only used for names and error messages.
absl::StatusOr<ClusterSpec> ParseCluster(const std::string& path, std::string_view text);
absl::StatusOr<Workload> ParseWorkload(const std::string& path, std::string_view text);
// Every node a node Fault names is a node of `cluster`; else kInvalidArgument, one line naming the
// Fault's document ("w.yaml: document 5: spec.node: no node \"v5p-9-0\" in cluster mixed-tpu").
absl::Status CheckFaults(const ClusterSpec& cluster, const Workload& workload);
// Reads and parses a file (bounded by api::kMaxDocumentBytes); errors name the file.
absl::StatusOr<ClusterSpec> LoadCluster(const std::string& path);
absl::StatusOr<Workload> LoadWorkload(const std::string& path);

}  // namespace phalanx::sim
