// kube/internal/pod_update_validation.h
//
// kube/pod_update_validation.h on specs that are already parsed, for MemoryCluster: it holds pods as
// nlohmann::json, and dumping and re-parsing two pods would cost more than the rules themselves.
// Private to kube/. Pure, thread-safe, never throws; a spec that is not an object reads as {}.
#pragma once

#include <vector>

#include "kube/internal/json.h"
#include "kube/pod_update_validation.h"

namespace phalanx::kube::internal {

// ValidatePodUpdate for the `spec` members of the old and the new pod.
std::vector<PodFieldError> ValidatePodSpecUpdate(const Json& old_spec, const Json& new_spec);
// ValidatePodCreate for the `spec` member of the new pod.
std::vector<PodFieldError> ValidatePodSpecCreate(const Json& spec);

}  // namespace phalanx::kube::internal
