#include "scheduler-extender/to_placement.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/labels.h"
#include "api/names.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::extender {
namespace {

placement::TaintEffect ToEffect(const std::string& effect) {
  if (effect == "NoExecute") return placement::TaintEffect::kNoExecute;
  if (effect == "PreferNoSchedule") return placement::TaintEffect::kPreferNoSchedule;
  return placement::TaintEffect::kNoSchedule;
}

std::optional<placement::SelectorOperator> ToOperator(const std::string& op) {
  if (op == "In") return placement::SelectorOperator::kIn;
  if (op == "NotIn") return placement::SelectorOperator::kNotIn;
  if (op == "Exists") return placement::SelectorOperator::kExists;
  if (op == "DoesNotExist") return placement::SelectorOperator::kDoesNotExist;
  if (op == "Gt") return placement::SelectorOperator::kGt;
  if (op == "Lt") return placement::SelectorOperator::kLt;
  return std::nullopt;
}

absl::StatusOr<std::optional<placement::GangPolicy>> ParsePolicy(const std::optional<std::string>& v) {
  if (!v) return std::optional<placement::GangPolicy>();
  if (*v == "Job") return std::optional(placement::GangPolicy::kJob);
  if (*v == "ReplicatedJob") return std::optional(placement::GangPolicy::kReplicatedJob);
  if (*v == "JobSet") return std::optional(placement::GangPolicy::kJobSet);
  return absl::InvalidArgumentError(absl::StrCat("annotation ", AsAbsl(api::kGangPolicyKey), ": \"", *v,
                                                 "\" is not one of Job, ReplicatedJob, JobSet"));
}

}  // namespace

placement::ResourceList ToResources(const api::Resources& resources) {
  placement::ResourceList out;
  for (const auto& [k, v] : resources) out[k] = v;
  return out;
}

placement::Node ToNode(const api::NodeInfo& node) {
  placement::Node out;
  out.name = node.name;
  for (const auto& [k, v] : node.labels) out.labels[k] = v;
  out.allocatable = ToResources(node.allocatable);
  for (const auto& t : node.taints) out.taints.push_back({t.key, t.value, ToEffect(t.effect)});
  out.unschedulable = node.unschedulable;
  out.ready = node.ready;
  return out;
}

std::optional<placement::JobKey> JobKeyOf(const api::PodInfo& pod) {
  auto uid = pod.metadata.Label(api::kJobSetUidKey);
  auto rj = pod.metadata.Label(api::kReplicatedJobNameKey);
  auto idx = pod.metadata.Label(api::kJobIndexKey);
  int32_t index = 0;
  if (!uid || !rj || !idx || !absl::SimpleAtoi(*idx, &index)) return std::nullopt;
  return placement::JobKey{*std::move(uid), *std::move(rj), index};
}

MemberClaim ClaimOf(const api::PodInfo& pod) {
  MemberClaim claim;
  claim.ns = pod.metadata.namespace_or_default();
  if (pod.metadata.owner_references.has_value()) {
    for (const api::OwnerReference& o : *pod.metadata.owner_references) {
      if (o.controller.value_or(false)) {
        if (o.kind == "Job" && o.api_version == "batch/v1") claim.owner_job = o.name;
        break;
      }
    }
  }
  return claim;
}

bool ClaimHolds(const MemberClaim& claim, const placement::JobKey& job, std::string_view jobset_namespace,
                std::string_view jobset_name) {
  return !claim.owner_job.empty() && claim.ns == jobset_namespace &&
         claim.owner_job == api::ChildJobName(jobset_name, job.replicated_job, job.index);
}

std::optional<placement::BoundPod> ToBoundPod(const api::PodInfo& pod) {
  if (pod.node_name.empty() || pod.phase == "Succeeded" || pod.phase == "Failed") return std::nullopt;
  placement::BoundPod out;
  out.uid = pod.metadata.uid.value_or(
      absl::StrCat(pod.metadata.namespace_or_default(), "/", pod.metadata.name_or_empty()));
  out.node_name = pod.node_name;
  out.requests = ToResources(pod.scheduling.requests);
  out.daemonset = pod.controller_kind == "DaemonSet";
  out.job = JobKeyOf(pod);
  return out;
}

placement::Eligibility ToEligibility(const api::PodScheduling& pod) {
  placement::Eligibility out;
  for (const auto& [k, v] : pod.node_selector) out.node_selector[k] = v;
  for (const auto& term : pod.required_terms) {
    placement::NodeSelectorTerm t;
    t.node_names = term.node_names;
    for (const auto& e : term.match_expressions) {
      auto op = ToOperator(e.op);
      if (!op) continue;  // the API server rejects unknown operators; nothing to honour
      t.match_expressions.push_back({e.key, *op, e.values});
    }
    out.required_terms.push_back(std::move(t));
  }
  for (const auto& tol : pod.tolerations) {
    placement::Toleration t;
    t.key = tol.key;
    t.op = tol.op == "Exists" ? placement::TolerationOperator::kExists
                              : placement::TolerationOperator::kEqual;
    t.value = tol.value;
    if (!tol.effect.empty()) t.effect = ToEffect(tol.effect);
    out.tolerations.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<placement::JobSetDemand> ToJobSetDemand(const api::JobSet& js) {
  placement::JobSetDemand out;
  out.name = js.metadata.name_or_empty();
  out.namespace_name = js.metadata.namespace_or_default();
  out.uid = js.metadata.uid.value_or(absl::StrCat(out.namespace_name, "/", out.name));
  PHALANX_ASSIGN_OR_RETURN(auto policy, ParsePolicy(js.metadata.Annotation(api::kGangPolicyKey)));
  out.policy = policy.value_or(placement::GangPolicy::kJob);
  out.exclusive_key = js.metadata.Annotation(api::kExclusiveKey).value_or("");
  out.colocate_key = js.metadata.Annotation(api::kColocateKey).value_or("");
  if (js.metadata.creation_timestamp) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, *js.metadata.creation_timestamp, &t, &err)) out.created = t;
  }
  for (const api::ReplicatedJob& rj : js.spec.rjobs()) {
    placement::ReplicatedJobDemand d;
    d.name = rj.name;
    d.replicas = rj.replicas_or_default();
    d.pods_per_job = rj.template_.spec.parallelism.value_or(1);
    PHALANX_ASSIGN_OR_RETURN(api::PodScheduling pod, api::TemplateScheduling(rj.template_.spec.template_));
    d.requests = ToResources(pod.requests);
    d.eligibility = ToEligibility(pod);
    if (pod.priority) out.priority = std::max(out.priority, *pod.priority);
    d.exclusive_key = rj.template_.metadata.Annotation(api::kExclusiveKey).value_or("");
    PHALANX_ASSIGN_OR_RETURN(d.policy, ParsePolicy(rj.template_.metadata.Annotation(api::kGangPolicyKey)));
    out.replicated_jobs.push_back(std::move(d));
  }
  return out;
}

}  // namespace phalanx::extender
