// cli/plan.h
//
// `phalanx plan --cluster FILE -f JOBSET [-f ...] [-o json]`: plans JobSets, in order, onto a cluster
// read from a `v1` List of Nodes and Pods (what `kubectl get nodes,pods -A -o yaml` prints), with the
// same placement engine the extender runs. Prints each child Job's reserved domain, or why its gang
// waits. Exit codes as cli/commands.h.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace phalanx::cli {

int RunPlan(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err);

}  // namespace phalanx::cli
