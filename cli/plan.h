// cli/plan.h
//
// `phalanx plan --cluster FILE -f JOBSET [-f ...] [-o json] [--topology KEY1,KEY2,...]...
// [--topology-file FILE]`: plans JobSets, in order, onto a cluster read from a `v1` List of Nodes and
// Pods (what `kubectl get nodes,pods -A -o yaml` prints), with the same placement engine the extender
// runs. Topology chains (coarse → fine label keys) come from the same sources as the extender's
// (scheduler-extender/topology_config.h): each --topology, the --topology-file, and Kueue Topology
// objects (kueue.x-k8s.io) found in the --cluster List. Prints each child Job's reserved domain by full
// path ("<key>=<path>"; with -o json also every label of the path), or why its gang waits. Exit codes
// as cli/commands.h; a malformed or conflicting chain is invalid input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace phalanx::cli {

int RunPlan(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err);

}  // namespace phalanx::cli
