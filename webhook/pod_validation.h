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
//   Deny  - the pod carries the placement gate phalanx.dev/placement where Phalanx would not have put
//           it (tenant isolation: only the pod webhook adds it, only the planner removes it): on a pod
//           that asks for no placement or uses the node-selector strategy; or on a placement pod whose
//           controller owner is not the batch/v1 Job "<jobset-name>-<replicatedjob-name>-<job-index>"
//           its labels name (a pod copying another gang's labels). The extender checks the same owner
//           chain against the JobSet itself (scheduler-extender/to_placement.h ClaimHolds), so a pod
//           that gets past this webhook (failurePolicy Ignore) is still never ungated nor let into a
//           reserved domain.
//   Warn  - unknown phalanx.dev/gang-policy value (treated as "Job"); empty exclusive-topology key.
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
