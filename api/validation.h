// api/validation.h
//
// JobSet create and update validation with upstream JobSet's rules and messages (reference §1.13–§1.14).
// All errors are gathered, in rule order. Pure.
#pragma once

#include <string>
#include <vector>

#include "api/jobset.h"

namespace phalanx::api {

// One validation failure, shaped like Kubernetes' field.Error.
struct FieldError {
  enum class Type { kInvalid, kRequired, kForbidden, kTooLong, kDuplicate, kNotSupported, kInternal };
  Type type = Type::kInvalid;
  std::string field;      // e.g. "spec.replicatedJobs[0].name"; may be empty
  std::string bad_value;  // rendered value (JSON-ish, as Kubernetes prints it); empty when not shown
  std::string detail;     // upstream's message

  // "spec.managedBy: Invalid value: \"x\": <detail>" — the one-line form Kubernetes prints.
  std::string ToString() const;
  // The Status cause reason: "FieldValueInvalid", "FieldValueRequired", "FieldValueForbidden",
  // "FieldValueTooLong", "FieldValueDuplicate", "FieldValueNotSupported", "InternalError".
  std::string CauseReason() const;
};

// Fields of the JobSet's own types that the API does not declare, as "spec.foo" or
// "spec.replicatedJobs[0].bar" paths, in document order. A cluster's strict field validation (kubectl's
// default) refuses them ("strict decoding error: unknown field \"spec.foo\""); without it the API
// server drops them silently. The embedded Job template is not walked (its fields are batch/v1's).
std::vector<std::string> UnknownFields(const JobSet& jobset);

// ValidateCreate. `jobset` is the object as the API server stores it (after defaulting).
std::vector<FieldError> ValidateCreate(const JobSet& jobset);

// ValidateUpdate: immutability of replicatedJobs (pod-template scheduling directives may change while
// old or new is suspended), managedBy, and the CEL `Value is immutable` fields.
std::vector<FieldError> ValidateUpdate(const JobSet& old_jobset, const JobSet& new_jobset);

}  // namespace phalanx::api
