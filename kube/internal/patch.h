// kube/internal/patch.h
//
// The three PATCH content types the API server accepts, applied to a JSON document in memory
// (MemoryCluster): JSON merge patch (RFC 7386), JSON patch (RFC 6902, with RFC 6901 pointers) and
// strategic merge patch. Strategic merge uses a fixed table of list merge keys for the built-in fields
// Phalanx touches (containers/env/volumes/schedulingGates/containerStatuses by name, conditions by type,
// ownerReferences by uid, ports by containerPort, finalizers as a set) and honours `$patch: delete` /
// `$patch: replace` in list elements and maps; other lists are replaced, as for custom resources.
#pragma once

#include "absl/status/statusor.h"
#include "kube/internal/json.h"

namespace phalanx::kube::internal {

absl::StatusOr<Json> ApplyMergePatch(const Json& doc, const Json& patch);
absl::StatusOr<Json> ApplyJsonPatch(const Json& doc, const Json& patch);
absl::StatusOr<Json> ApplyStrategicMergePatch(const Json& doc, const Json& patch);

}  // namespace phalanx::kube::internal
