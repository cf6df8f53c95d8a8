// api/defaulting.h
//
// JobSet defaulting exactly as upstream's mutating webhook does it on CREATE (never on UPDATE):
// successPolicy {operator: All}, startupPolicy {AnyOrder}, per replicated job completionMode Indexed and
// pod restartPolicy OnFailure, network {enableDNSHostnames: true, publishNotReadyAddresses: true},
// failure-policy rule names `failurePolicyRule<i>`, volumeClaimPolicies retentionPolicy {whenDeleted: Delete}.
// Also the CRD schema defaults the API server applies before webhooks (replicas 1, groupName "default",
// restartStrategy Recreate) so offline tools see what a cluster would store.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/jobset.h"

namespace phalanx::api {

// Webhook defaulting (upstream Default()). Idempotent.
void DefaultJobSet(JobSet& jobset);

// CRD structural defaults (replicas, groupName, restartStrategy). Idempotent.
void ApplySchemaDefaults(JobSet& jobset);

// The RFC 6902 JSON Patch (a JSON array, "[]" when nothing changes) that turns `jobset_json`, the object
// exactly as received, into its defaulted form (DefaultJobSet only). Only "add"/"replace" operations;
// the rest of the object is never rewritten. kInvalidArgument if `jobset_json` is not a JobSet.
absl::StatusOr<std::string> DefaultingPatch(std::string_view jobset_json);

}  // namespace phalanx::api
