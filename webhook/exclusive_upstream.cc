#include "webhook/exclusive_upstream.h"

#include <rapidjson/document.h>

#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/internal/rapidjson_read.h"
#include "api/labels.h"
#include "common/strings.h"
#include "webhook/pod_mutation.h"

namespace phalanx::webhook {
namespace {

using api::internal::Member;
using api::internal::WrongType;

std::string S(std::string_view s) { return std::string(s); }

// {"key":k,"operator":op[,"values":[v]]}
api::PatchValue Requirement(std::string_view key, std::string_view op,
                            std::optional<std::string_view> value) {
  if (!value) {
    return api::PatchValue::Object(
        {{"key", api::PatchValue::String(key)}, {"operator", api::PatchValue::String(op)}});
  }
  return api::PatchValue::Object({{"key", api::PatchValue::String(key)},
                                  {"operator", api::PatchValue::String(op)},
                                  {"values", api::PatchValue::Array({api::PatchValue::String(*value)})}});
}

std::string Term(api::PatchValue match_expressions, std::string_view topology_key) {
  return api::PatchValue::Object(
             {{"labelSelector", api::PatchValue::Object({{"matchExpressions", std::move(match_expressions)}})},
              {"topologyKey", api::PatchValue::String(topology_key)},
              {"namespaceSelector", api::PatchValue::Raw("{}")}})
      .json();
}

// Appends `term` to the list at spec.affinity.<kind>.requiredDuringSchedulingIgnoredDuringExecution,
// creating the missing parents.
void AppendTerm(api::JsonPatch& patch, bool has_affinity, bool has_kind, bool has_list,
                const char* kind, const std::string& term) {
  const std::string list = absl::StrCat("[", term, "]");
  if (!has_affinity) {
    patch.Add("/spec/affinity",
              api::PatchValue::Raw(absl::StrCat(
                  "{\"", kind, "\":{\"requiredDuringSchedulingIgnoredDuringExecution\":", list, "}}")));
  } else if (!has_kind) {
    patch.Add(absl::StrCat("/spec/affinity/", kind),
              api::PatchValue::Raw(absl::StrCat("{\"requiredDuringSchedulingIgnoredDuringExecution\":", list, "}")));
  } else {
    patch.AppendToList(absl::StrCat("/spec/affinity/", kind, "/requiredDuringSchedulingIgnoredDuringExecution"),
                       has_list, api::PatchValue::Raw(term));
  }
}

}  // namespace

absl::StatusOr<ExclusivePlacementMode> ParseExclusivePlacementMode(std::string_view text) {
  if (text == "phalanx") return ExclusivePlacementMode::kPhalanx;
  if (text == "upstream") return ExclusivePlacementMode::kUpstream;
  return absl::InvalidArgumentError(
      absl::StrCat("exclusive placement \"", AsAbsl(text), "\": want phalanx or upstream"));
}

std::string_view ExclusivePlacementModeName(ExclusivePlacementMode mode) {
  return mode == ExclusivePlacementMode::kUpstream ? "upstream" : "phalanx";
}

std::optional<std::string> LeaderIndexKey(std::string_view pod_name, bool has_exclusive_annotation) {
  if (!has_exclusive_annotation) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(pod_name), '-');
  if (parts.size() < 5) return std::nullopt;
  size_t last = pod_name.rfind('-');
  return std::string(pod_name.substr(0, last));
}

absl::StatusOr<std::string> LeaderPodName(const api::Pod& pod) {
  std::vector<std::string> values;
  for (std::string_view key : {api::kJobSetNameKey, api::kReplicatedJobNameKey, api::kJobIndexKey}) {
    std::optional<std::string> v = pod.metadata.Label(key);
    if (!v) return absl::FailedPreconditionError(absl::StrCat("pod missing label: ", AsAbsl(key)));
    values.push_back(*std::move(v));
  }
  return absl::StrCat(values[0], "-", values[1], "-", values[2], "-0");
}

bool IsLeaderPod(const api::Pod& pod) {
  return pod.metadata.Annotation(api::kJobCompletionIndexKey) == "0";
}

absl::StatusOr<PodSummary> SelectLeader(const api::Pod& follower, std::string_view leader_name,
                                        const std::vector<PodSummary>& candidates) {
  std::vector<const PodSummary*> live;
  for (const PodSummary& p : candidates) {
    if (p.deleting || p.phase == "Failed" || p.phase == "Succeeded") continue;
    live.push_back(&p);
  }
  if (live.size() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("expected 1 leader pod (", AsAbsl(leader_name), "), but got ", live.size(),
                     ". this is an expected, transient error"));
  }
  const PodSummary& leader = *live[0];
  const api::OwnerReference* owner = follower.ControllerOwner();
  if (owner == nullptr) return absl::FailedPreconditionError("follower pod has no owner reference");
  if (leader.owner_uid.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("leader pod \"", leader.name, "\" has no owner reference"));
  }
  if (owner->uid != leader.owner_uid) {
    return absl::FailedPreconditionError(absl::StrCat("follower pod owner UID (", owner->uid,
                                                      ") != leader pod owner UID (", leader.owner_uid, ")"));
  }
  return leader;
}

absl::StatusOr<PodSummary> FindLeader(const api::Pod& follower, const LeaderLookup& lookup) {
  absl::StatusOr<std::string> name = LeaderPodName(follower);
  if (!name.ok()) return name.status();
  return SelectLeader(follower, *name,
                      lookup.PodsByIndexKey(follower.metadata.namespace_or_default(), *name));
}

absl::StatusOr<AffinityShape> ReadAffinityShape(std::string_view pod_json) {
  rapidjson::Document doc;
  doc.Parse(pod_json.data(), pod_json.size());
  if (doc.HasParseError()) return absl::InvalidArgumentError("pod: malformed JSON");
  if (!doc.IsObject()) return WrongType("pod", "object", doc);
  AffinityShape shape;
  const rapidjson::Value* spec = Member(doc, "spec");
  if (spec == nullptr) return shape;
  if (!spec->IsObject()) return WrongType("spec", "object", *spec);
  const rapidjson::Value* affinity = Member(*spec, "affinity");
  if (affinity == nullptr) return shape;
  if (!affinity->IsObject()) return WrongType("spec.affinity", "object", *affinity);
  shape.has_affinity = true;
  for (auto [kind, has_kind, has_list] :
       {std::tuple{"podAffinity", &shape.has_pod_affinity, &shape.has_pod_affinity_required},
        std::tuple{"podAntiAffinity", &shape.has_pod_anti_affinity, &shape.has_pod_anti_affinity_required}}) {
    const rapidjson::Value* k = Member(*affinity, kind);
    if (k == nullptr) continue;
    if (!k->IsObject()) return WrongType(absl::StrCat("spec.affinity.", kind), "object", *k);
    *has_kind = true;
    const rapidjson::Value* list = Member(*k, "requiredDuringSchedulingIgnoredDuringExecution");
    if (list == nullptr) continue;
    if (!list->IsArray()) {
      return WrongType(absl::StrCat("spec.affinity.", kind, ".requiredDuringSchedulingIgnoredDuringExecution"),
                       "array", *list);
    }
    *has_list = true;
  }
  return shape;
}

std::string LeaderAffinityTermJson(std::string_view job_key, std::string_view topology_key) {
  return Term(api::PatchValue::Array({Requirement(api::kJobKey, "In", job_key)}), topology_key);
}

std::string LeaderAntiAffinityTermJson(std::string_view job_key, std::string_view priority,
                                       std::string_view topology_key) {
  return Term(api::PatchValue::Array({Requirement(api::kJobKey, "Exists", std::nullopt),
                                      Requirement(api::kJobKey, "NotIn", job_key),
                                      Requirement(api::kPriorityKey, "In", priority)}),
              topology_key);
}

UpstreamMutation DecideUpstreamMutation(const api::Pod& pod, api::AdmissionOperation operation,
                                        const LeaderLookup& lookup) {
  UpstreamMutation m;
  if (operation != api::AdmissionOperation::kCreate) return m;
  if (!IsJobSetPod(pod) || UsesNodeSelectorStrategy(pod)) return m;
  m.priority_value = pod.metadata.Label(api::kPriorityKey).value_or("");
  if (pod.priority) {
    std::string value = PriorityLabelValue(*pod.priority);
    if (m.priority_value != value) m.priority_label = value;
    m.priority_value = std::move(value);
  }
  std::optional<std::string> key = pod.metadata.Annotation(api::kExclusiveKey);
  if (!key) return m;
  if (IsLeaderPod(pod)) {
    m.leader_topology_key = *key;
    m.job_key = pod.metadata.Label(api::kJobKey).value_or("");
    return m;
  }
  absl::StatusOr<PodSummary> leader = FindLeader(pod, lookup);
  // Not found or not scheduled: no change; the validating webhook refuses the pod.
  if (!leader.ok() || leader->node_name.empty()) return m;
  std::optional<std::map<std::string, std::string>> labels = lookup.NodeLabels(leader->node_name);
  if (!labels) {
    m.error = absl::StrCat("nodes \"", leader->node_name, "\" not found");
    return m;
  }
  auto it = labels->find(*key);
  if (it == labels->end()) {
    m.error = absl::StrCat("node does not have topology label: ", *key);
    return m;
  }
  m.node_selector = std::make_pair(*key, it->second);
  return m;
}

api::JsonPatch UpstreamMutationPatch(const api::Pod& pod, const AffinityShape& shape,
                                     const UpstreamMutation& m) {
  api::JsonPatch patch;
  if (m.error) return patch;
  if (m.priority_label) {
    patch.SetMapEntry("/metadata/labels", pod.metadata.labels.has_value(), S(api::kPriorityKey),
                      *m.priority_label);
  }
  if (m.leader_topology_key) {
    AppendTerm(patch, shape.has_affinity, shape.has_pod_affinity, shape.has_pod_affinity_required,
               "podAffinity", LeaderAffinityTermJson(m.job_key, *m.leader_topology_key));
    // The first Add created spec.affinity when it was missing.
    AppendTerm(patch, true, shape.has_pod_anti_affinity, shape.has_pod_anti_affinity_required,
               "podAntiAffinity", LeaderAntiAffinityTermJson(m.job_key, m.priority_value, *m.leader_topology_key));
  }
  if (m.node_selector) {
    patch.SetMapEntry("/spec/nodeSelector", pod.node_selector.has_value(), m.node_selector->first,
                      m.node_selector->second);
  }
  return patch;
}

PodVerdict ValidatePodUpstream(const api::Pod& pod, api::AdmissionOperation operation,
                               const LeaderLookup& lookup) {
  PodVerdict v;
  if (operation != api::AdmissionOperation::kCreate) return v;
  if (!IsJobSetPod(pod) || UsesNodeSelectorStrategy(pod)) return v;
  std::optional<std::string> key = pod.metadata.Annotation(api::kExclusiveKey);
  if (!key || IsLeaderPod(pod)) return v;
  v.allowed = false;
  if (!pod.node_selector) {
    v.message = S(kFollowerSelectorNotSet);
    return v;
  }
  if (!pod.node_selector->contains(*key)) {
    v.message = absl::StrCat(AsAbsl(kFollowerSelectorMissingKey), *key);
    return v;
  }
  absl::StatusOr<PodSummary> leader = FindLeader(pod, lookup);
  if (!leader.ok()) {
    v.message = std::string(leader.status().message());
    return v;
  }
  if (leader->node_name.empty()) {
    v.message = S(kLeaderNotScheduled);
    return v;
  }
  v.allowed = true;
  return v;
}

}  // namespace phalanx::webhook
