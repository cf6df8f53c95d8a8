// scheduler-extender/wire.h
//
// The extender's wire codec (k8s.io/kube-scheduler/extender/v1; reference kube-scheduling.md §1):
// decodes kube-scheduler's ExtenderArgs — the pod and the candidate nodes — and encodes the
// ExtenderFilterResult and HostPriorityList answers. Decoding uses RapidJSON in place on the
// request body and reads only what placement needs from the pod; the candidate names stay views
// into the body.
//
// Keys: the v1 types have no json tags, so kube-scheduler sends and expects the Go field names
// ("Pod", "NodeNames", "FailedNodes", ...), never omitted (nil is `null`). Go decodes keys
// case-insensitively, so ExtenderArgs keys are matched the same way ("pod", "nodeNames", ...; for a
// repeated key the last one wins, as in Go). Answers always use the exact Go names.
//
// Both forms of the node list are handled: `nodeCacheCapable: true` sends "NodeNames" (and
// "Nodes": null) and reads back "NodeNames"; `false` sends "Nodes" (a NodeList of full Node
// objects) and reads back "Nodes". The answer takes the form of the request.
//
// Errors: malformed input (not JSON, nesting deeper than 128, a missing or non-object Pod,
// NodeNames not an array of strings, Node items without metadata.name, a relevant pod field of the
// wrong type, a malformed quantity, a priority beyond int32) is kInvalidArgument with a message
// naming the field; the server answers HTTP 400 with it. Nothing here throws or aborts on any
// input. Thread-safety: pure functions; an ExtenderArgs is immutable after parsing and may be read
// from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include "api/scheduling.h"
#include "placement/filter.h"
#include "placement/model.h"

namespace phalanx::extender {

// Which node list the scheduler sent (set by the extender's `nodeCacheCapable`).
enum class NodeListForm : uint8_t {
  kNodeNames,  // nodeCacheCapable: true — "NodeNames": [names], "Nodes": null
  kNodes,  // nodeCacheCapable: false — "Nodes": {"items": [full Node objects]}, "NodeNames": null
};

// A decoded Filter / Prioritize request. Owns the request body; node_names() are views into it and
// stay valid as long as this object (moving it keeps them valid).
class ExtenderArgs {
 public:
  ExtenderArgs();
  ExtenderArgs(ExtenderArgs&&) noexcept;
  ExtenderArgs& operator=(ExtenderArgs&&) noexcept;
  ExtenderArgs(const ExtenderArgs&) = delete;
  ExtenderArgs& operator=(const ExtenderArgs&) = delete;
  ~ExtenderArgs();

  const api::PodInfo& pod() const { return pod_; }
  // The candidate nodes in the order the scheduler sent them: NodeNames, or for the full-Node form
  // Nodes.items[].metadata.name.
  absl::Span<const std::string_view> node_names() const { return node_names_; }
  NodeListForm form() const { return form_; }
  bool node_cache_capable() const { return form_ == NodeListForm::kNodeNames; }

 private:
  friend absl::StatusOr<ExtenderArgs> ParseExtenderArgs(std::string body);
  friend std::string EncodeFilterResult(const ExtenderArgs& args,
                                        const placement::FilterResult& result);

  struct Body;  // the request text and, for the full-Node form, its parsed Node objects
  std::unique_ptr<Body> body_;
  api::PodInfo pod_;
  std::vector<std::string_view> node_names_;
  NodeListForm form_ = NodeListForm::kNodeNames;
};

// Decodes one v1.Pod (JSON text) into what scheduling needs: metadata name, namespace, uid,
// resourceVersion, creationTimestamp, deletionTimestamp, labels, annotations and ownerReferences
// (controller_kind from the controller owner); spec.nodeName, schedulingGates, priority,
// nodeSelector, required node affinity (matchExpressions, and matchFields `metadata.name In`),
// tolerations; status.phase; and requests computed as kube-scheduler does: containers summed, each
// init container taken as a maximum (restartable "sidecar" init containers add to the sum and to
// every later init container), pod-level spec.resources replacing the sum for cpu, memory and
// hugepages-*, plus spec.overhead. Limits stand in for absent requests, as the API server defaults
// them. Quantities via api/quantity.h (cpu in milli-units). Other fields are not read (and so not
// checked). Also used by the planner's informer.
absl::StatusOr<api::PodInfo> DecodePodInfo(std::string_view pod_json);

// The pod as placement asks about it: JobKey from the labels jobset-uid, replicatedjob-name and
// job-index (all three present and the index an integer, else none); exclusive_key from the
// annotation alpha.jobset.sigs.k8s.io/exclusive-topology; daemonset when the controller owner is a
// DaemonSet; requests and eligibility through to_placement.h.
placement::PodDemand ToPodDemand(const api::PodInfo& pod);

// Parses an ExtenderArgs body (taking ownership; parsed in place). When "NodeNames" is an array the
// form is kNodeNames (even if "Nodes" is set too); otherwise "Nodes" must be a NodeList object.
// kInvalidArgument as in the file comment, and when neither node list is given.
absl::StatusOr<ExtenderArgs> ParseExtenderArgs(std::string body);

// The ExtenderFilterResult for `result` (one verdict per args.node_names(), in order):
//   kNodeNames form: {"Nodes":null,"NodeNames":[passing names, input order],"FailedNodes":{name:
//     reason for kFail},"FailedAndUnresolvableNodes":{name: reason for kUnresolvable},"Error":""};
//     NodeNames is never null ([] when nothing passes).
//   kNodes form: the same with "Nodes":{"metadata":{},"items":[the passing Node objects with the
//     members and values they were received with]} and "NodeNames":null.
// A result whose verdict count differs from the names, or a failed node without a reason (caller
// bugs), gives EncodeFilterError.
std::string EncodeFilterResult(const ExtenderArgs& args, const placement::FilterResult& result);

// An ExtenderFilterResult carrying only `message` in "Error" (every other field null): the
// scheduler then fails the scheduling attempt with that message (reason SchedulerError) and retries
// with backoff. For real faults only — never for "no room", which belongs in the failure maps.
std::string EncodeFilterError(std::string_view message);

// The HostPriorityList: a bare array [{"Host":name,"Score":s}, ...] in the order of
// args.node_names(), each score clamped to 0..10 (MinExtenderPriority..MaxExtenderPriority). Names
// without a score (scores shorter than the names) score 0; extra scores are ignored.
std::string EncodePrioritizeResult(const ExtenderArgs& args, absl::Span<const int64_t> scores);

}  // namespace phalanx::extender
