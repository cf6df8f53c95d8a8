// kube/pod_update_validation.h
//
// The API server's rules for writes of a Pod's spec, as kube-apiserver 1.36 applies them
// (`ValidatePodUpdate`; reference/kube-scheduling.md §2.5), so that MemoryCluster refuses what a real
// cluster refuses — above all what the planner may do to a gated pod in the PATCH that ungates it.
//
// Update rules ("gated" means the OLD pod has at least one scheduling gate):
//   - spec.schedulingGates: only deletions (any pod);
//   - spec.tolerations: only additions (an existing toleration may change only its tolerationSeconds);
//   - spec.containers[*].image / spec.initContainers[*].image may change (not to ""), containers may not
//     be added or removed; spec.activeDeadlineSeconds may be set or lowered, never raised or unset;
//     spec.terminationGracePeriodSeconds may go from a negative value to 1;
//   - gated pods: spec.nodeSelector only additions; required node affinity may be set freely when the
//     old pod has none (or no terms), otherwise the number of terms stays and each term only gets
//     requirements appended (a completely empty term gets none); preferred terms are not checked;
//   - any other spec change (pod affinity and anti-affinity included) → `spec: Forbidden: pod updates may
//     not change fields other than ...`, followed by a diff of the changed spec fields (its layout is
//     ours; the real server prints a Go struct diff).
// Create and update: a `matchFields` requirement must use key `metadata.name`, operator In or NotIn, and
// exactly one value.
// Comparisons treat null, [] and {} like an absent field (the API server compares decoded objects, in
// which those are equal). Messages and field paths are the API server's (checked against the v1.36
// fixtures); several errors are joined as `[e1, e2]`.
//
// Pure functions, thread-safe, never throw; malformed JSON yields a single error rather than a crash.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace phalanx::kube {

// PodFieldError: one entry of a Status's `details.causes`.
struct PodFieldError {
  enum class Type { kInvalid, kForbidden, kRequired };
  Type type = Type::kInvalid;
  std::string field;   // e.g. "spec.nodeSelector"
  std::string value;   // kInvalid only: the offending value as the API server prints it (JSON)
  std::string detail;  // e.g. "only additions to spec.nodeSelector are allowed (no mutations or deletions)"

  // "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired".
  std::string Reason() const;
  // The cause message: "Invalid value: <value>: <detail>", "Forbidden: <detail>", "Required value: <detail>".
  std::string Body() const;
  // "<field>: <Body()>".
  std::string ToString() const;
};

// ValidatePodCreate: the create-time rules modelled here (the matchFields rule) for a whole Pod as JSON.
std::vector<PodFieldError> ValidatePodCreate(absl::string_view pod_json);

// ValidatePodUpdate: every rule above for a write of the main resource (not pods/status) from
// `old_pod_json` to `new_pod_json` (whole Pods as JSON). Empty when the update is allowed.
std::vector<PodFieldError> ValidatePodUpdate(absl::string_view old_pod_json, absl::string_view new_pod_json);

// PodInvalidError: the 422 the API server answers, as a kube/errors.h error (kInvalidArgument carrying
// the Status body): message `Pod "<name>" is invalid: <errors>`, reason Invalid, details {name, kind
// Pod, causes}. `errors` must not be empty.
absl::Status PodInvalidError(absl::string_view pod_name, const std::vector<PodFieldError>& errors);

}  // namespace phalanx::kube
