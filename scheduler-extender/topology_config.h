// scheduler-extender/topology_config.h
//
// Where the placement engine's topology chains come from (placement::TopologyConfig; DESIGN §3): a
// chain is a list of node label keys ordered coarse → fine (block → sub-block → host), and a domain of
// a chained key is identified by its full path of values. Three sources, merged into one config:
//
//   (a) flag `--topology=KEY1,KEY2,...` (repeatable, one chain per use), parsed by ParseTopologyFlag;
//   (b) a chains file (`--topology-file`), YAML or JSON, parsed by ParseTopologyFile:
//         # each chain: node label keys, coarse → fine
//         chains:
//         - [cloud.google.com/gce-topology-block, cloud.google.com/gce-topology-subblock]
//         - [topology.k8s.aws/network-node-layer-1, topology.k8s.aws/network-node-layer-2]
//       or, as JSON, {"chains": [["k1", "k2"], ["k3", "k4"]]}. `chains` is the only field;
//   (c) Kueue `Topology` objects (kueue.x-k8s.io/v1beta2 or v1beta1, cluster-scoped), JSON text as
//       read from the API: spec.levels[].nodeLabel, coarse → fine, is one chain (ParseKueueTopology).
//
// Rules: keys are Kubernetes label keys ([prefix/]name); a chain has no repeated key and at most 16 keys
// (Kueue's limit for Topology levels). Merging
// (MergeTopology) requires every key to have the same coarser keys in every chain that holds it
// (block → rack in one source and zone → rack in another is a conflict); chains of one key carry no
// information (a key is a level of its own by default) and are dropped; a chain that is a prefix of
// another is dropped; the result is sorted, so equal inputs give equal configs in any order.
// Errors are kInvalidArgument and name the source ("--topology=\"a,,b\"", the file, "Kueue Topology
// \"default\"").
//
// Everything is pure except BuildTopology, which reads TopologySources::file when its text is not
// given. Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "placement/topology.h"

namespace phalanx::extender {

using TopologyChain = std::vector<std::string>;

// One --topology value: comma-separated label keys, coarse → fine; blanks around keys are ignored.
absl::StatusOr<TopologyChain> ParseTopologyFlag(std::string_view value);

// The chains of a chains file's text (YAML or JSON, format above). `source` names the file in errors.
absl::StatusOr<std::vector<TopologyChain>> ParseTopologyFile(std::string_view text,
                                                             std::string_view source);

// One Kueue Topology object.
struct KueueTopology {
  std::string name;      // metadata.name
  TopologyChain levels;  // spec.levels[].nodeLabel, coarse → fine
};

// A Kueue Topology (JSON text of one object): apiVersion kueue.x-k8s.io/v1beta2 or v1beta1, kind
// Topology, metadata.name, 1–16 unique spec.levels[].nodeLabel, kubernetes.io/hostname only last.
absl::StatusOr<KueueTopology> ParseKueueTopology(std::string_view json);

// Chains from one place, named for error messages.
struct TopologySource {
  std::string name;  // "--topology=a,b", "topology.yaml", "Kueue Topology \"default\""
  std::vector<TopologyChain> chains;
};

// Merges sources in order (rules above). With `skipped` null, the first conflicting or malformed
// source fails the whole merge; otherwise such a source is left out whole (what a watch of Kueue
// objects wants: one bad object must not stop the rest) and its error appended to `skipped`.
absl::StatusOr<placement::TopologyConfig> MergeTopology(const std::vector<TopologySource>& sources,
                                                        std::vector<absl::Status>* skipped = nullptr);

// Everything the extender (and `phalanx plan`) has, in merge order: flags, file, Kueue objects.
struct TopologySources {
  std::vector<std::string> flags;                // --topology values
  std::string file;                              // --topology-file path ("" for none)
  std::optional<std::string> file_text;          // its contents when already read (then not read)
  std::vector<std::string> kueue_topologies;     // Topology objects, JSON text each
};

// Parses and merges every source; fails on the first error (naming the source). Reads `file` when
// set and `file_text` is not (kNotFound / kInvalidArgument if unreadable).
absl::StatusOr<placement::TopologyConfig> BuildTopology(const TopologySources& sources);

}  // namespace phalanx::extender
