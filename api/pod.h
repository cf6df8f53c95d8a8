// api/pod.h
//
// The subset of a core/v1 Pod that the admission webhook reads: metadata (labels, annotations,
// ownerReferences, names), spec.priority, spec.schedulingGates, spec.nodeSelector and spec.nodeName.
// Everything else is ignored: the webhook answers with JSON Patch against the pod as received, so a
// Pod is never re-encoded. Decoding is strict about the types of these fields only, never throws, and
// is on the pod-admission hot path (RapidJSON). Value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/meta.h"

namespace phalanx::api {

struct Pod {
  // name, generateName, namespace, uid, labels, annotations, ownerReferences. `extra` stays empty.
  ObjectMeta metadata;
  std::optional<int32_t> priority;  // spec.priority; filled by the Priority admission plugin
  // spec.schedulingGates[].name; nullopt when the field is absent or null (so an "add" of the whole
  // list is needed rather than an append).
  std::optional<std::vector<std::string>> scheduling_gates;
  std::optional<StringMap> node_selector;
  std::string node_name;  // spec.nodeName; "" when unset

  bool HasSchedulingGate(std::string_view name) const;
  // The owner reference with controller: true, or nullptr.
  const OwnerReference* ControllerOwner() const;
};

// kInvalidArgument for malformed JSON, a non-object, or a modeled field of the wrong type (the
// message names the field path, e.g. "spec.priority: expected integer, got string").
absl::StatusOr<Pod> DecodePod(std::string_view json);

}  // namespace phalanx::api
