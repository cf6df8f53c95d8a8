// webhook/jobset_admission.h
//
// The JobSet webhooks as functions from an admission request to an admission response (no sockets):
//   MutateJobSet   (/mutate-jobset-x-k8s-io-v1alpha2-jobset): upstream defaulting on CREATE, as a JSON
//                  Patch against the object as received; UPDATE and the rest change nothing.
//   ValidateJobSet (/validate-jobset-x-k8s-io-v1alpha2-jobset): create validation, update immutability;
//                  a status-subresource UPDATE is allowed without spec checks; DELETE/CONNECT allowed.
// Invalid JobSets are answered like the Kubernetes API answers them: allowed false, status Failure,
// code 422, reason Invalid, message `JobSet.jobset.x-k8s.io "<name>" is invalid: <errors>`, one cause
// per field error. An object that is not a decodable JobSet gets allowed false with code 400. Warnings
// point at Phalanx placement annotations that will not do what the user meant. Pure and reentrant.
#pragma once

#include <string>
#include <vector>

#include "api/admission.h"
#include "api/jobset.h"
#include "api/validation.h"

namespace phalanx::webhook {

api::AdmissionResponse MutateJobSet(const api::AdmissionRequest& request);
api::AdmissionResponse ValidateJobSet(const api::AdmissionRequest& request);

// The metav1.Status of a 422 Invalid answer for JobSet `name` (errors must be non-empty).
api::Status InvalidJobSetStatus(const std::string& name, const std::vector<api::FieldError>& errors);

// Warnings about Phalanx placement annotations on `jobset` (unknown gang policy, exclusive topology
// combined with the node-selector strategy, empty topology key).
std::vector<std::string> JobSetWarnings(const api::JobSet& jobset);

}  // namespace phalanx::webhook
