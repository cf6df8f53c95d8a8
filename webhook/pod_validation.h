// webhook/pod_validation.h
//
// The pod validating webhook (/validate--v1-pod) policy. Phalanx replaces upstream JobSet's
// leader/follower admission loop (followers rejected until the leader is scheduled) with the placement
// gate, so this webhook is deliberately permissive: it must never be the reason a cluster stops
// creating pods. Rules, on CREATE of a JobSet pod (annotation jobset.sigs.k8s.io/jobset-name) that does
// not use the node-selector strategy:
//   Deny  - the pod asks for Phalanx placement (exclusive-topology or gang-policy annotation) but lacks
//           a label the planner needs to find its gang (jobset-name, replicatedjob-name, job-index):
//           it would stay gated forever; the error names the missing labels.
//   Warn  - unknown phalanx.dev/gang-policy value (treated as "Job"); empty exclusive-topology key;
//           the placement gate on a pod that asks for no placement (only the planner removes it).
// Everything else, and every UPDATE / DELETE / CONNECT, is allowed. Pure.
#pragma once

#include <string>
#include <vector>

#include "api/admission.h"
#include "api/pod.h"

namespace phalanx::webhook {

struct PodVerdict {
  bool allowed = true;
  std::string message;  // why it was denied
  std::vector<std::string> warnings;
};

PodVerdict ValidatePod(const api::Pod& pod, api::AdmissionOperation operation);

}  // namespace phalanx::webhook
