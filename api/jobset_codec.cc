#include "api/jobset_codec.h"

#include <utility>

#include "api/internal/json.h"
#include "common/json_text.h"
#include "api/internal/template_codec.h"
#include "api/labels.h"
#include "common/status_macros.h"

namespace phalanx::api {

const std::vector<ReplicatedJob>& JobSetSpec::rjobs() const {
  static const auto* empty = new std::vector<ReplicatedJob>();
  return replicated_jobs ? *replicated_jobs : *empty;
}

namespace {

using internal::AsJson;
using internal::Child;
using internal::Index;
using internal::Json;
using internal::MakeRaw;
using internal::PutBool;
using internal::PutInt32;
using internal::PutString;
using internal::PutStringList;
using internal::TakeBool;
using internal::TakeInt32;
using internal::TakeString;
using internal::TakeStringList;

std::string Or(std::optional<std::string> s) { return s.value_or(""); }

// Decodes each element of an optional array with `decode(json, path, T&)`.
template <typename T, typename Fn>
absl::Status DecodeList(Json& obj, std::string_view key, std::string_view path,
                        std::optional<std::vector<T>>& out, Fn decode) {
  std::optional<Json> arr;
  PHALANX_RETURN_IF_ERROR(internal::TakeArray(obj, key, path, arr));
  if (!arr) return absl::OkStatus();
  std::string lpath = Child(path, key);
  out.emplace();
  out->reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    Json& e = (*arr)[i];
    std::string epath = Index(lpath, i);
    if (!e.is_object()) return internal::TypeError(epath, "object", e);
    T item;
    PHALANX_RETURN_IF_ERROR(decode(std::move(e), epath, item));
    out->push_back(std::move(item));
  }
  return absl::OkStatus();
}

template <typename T, typename Fn>
void EncodeList(Json& obj, std::string_view key, const std::optional<std::vector<T>>& list,
                Fn encode) {
  if (!list) return;
  Json a = Json::array();
  for (const T& item : *list) a.push_back(encode(item));
  obj[std::string(key)] = std::move(a);
}

// Decodes an optional object-valued field into an optional struct.
template <typename T, typename Fn>
absl::Status DecodeOptional(Json& obj, std::string_view key, std::string_view path,
                            std::optional<T>& out, Fn decode) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return internal::TypeError(Child(path, key), "object", *it);
  T value;
  PHALANX_RETURN_IF_ERROR(decode(std::move(*it), Child(path, key), value));
  obj.erase(std::string(key));
  out = std::move(value);
  return absl::OkStatus();
}

absl::Status DecodeDependsOn(Json obj, std::string_view path, DependsOn& out) {
  std::optional<std::string> name, status;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, name));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "status", path, status));
  out.name = Or(name);
  out.status = Or(status);
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeDependsOn(const DependsOn& d) {
  Json j = AsJson(d.extra);
  j["name"] = d.name;
  j["status"] = d.status;
  return j;
}

absl::Status DecodeReplicatedJob(Json obj, std::string_view path, ReplicatedJob& out) {
  std::optional<std::string> name;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, name));
  out.name = Or(name);
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "groupName", path, out.group_name));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "replicas", path, out.replicas));
  std::optional<Json> tmpl;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "template", path, tmpl));
  if (tmpl) {
    PHALANX_RETURN_IF_ERROR(
        internal::DecodeJobTemplateSpec(std::move(*tmpl), Child(path, "template"), out.template_));
  }
  PHALANX_RETURN_IF_ERROR(DecodeList(obj, "dependsOn", path, out.depends_on, DecodeDependsOn));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeReplicatedJob(const ReplicatedJob& r) {
  Json j = AsJson(r.extra);
  j["name"] = r.name;
  PutString(j, "groupName", r.group_name);
  PutInt32(j, "replicas", r.replicas);
  Json tmpl = internal::EncodeJobTemplateSpec(r.template_);
  if (!tmpl.empty()) j["template"] = std::move(tmpl);
  EncodeList(j, "dependsOn", r.depends_on, EncodeDependsOn);
  return j;
}

absl::Status DecodeNetwork(Json obj, std::string_view path, Network& out) {
  PHALANX_RETURN_IF_ERROR(TakeBool(obj, "enableDNSHostnames", path, out.enable_dns_hostnames));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "subdomain", path, out.subdomain));
  PHALANX_RETURN_IF_ERROR(
      TakeBool(obj, "publishNotReadyAddresses", path, out.publish_not_ready_addresses));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeNetwork(const Network& n) {
  Json j = AsJson(n.extra);
  PutBool(j, "enableDNSHostnames", n.enable_dns_hostnames);
  PutString(j, "subdomain", n.subdomain);
  PutBool(j, "publishNotReadyAddresses", n.publish_not_ready_addresses);
  return j;
}

absl::Status DecodeSuccessPolicy(Json obj, std::string_view path, SuccessPolicy& out) {
  std::optional<std::string> op;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "operator", path, op));
  out.operator_ = Or(op);
  PHALANX_RETURN_IF_ERROR(
      TakeStringList(obj, "targetReplicatedJobs", path, out.target_replicated_jobs));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeSuccessPolicy(const SuccessPolicy& p) {
  Json j = AsJson(p.extra);
  j["operator"] = p.operator_;
  PutStringList(j, "targetReplicatedJobs", p.target_replicated_jobs);
  return j;
}

absl::Status DecodeRule(Json obj, std::string_view path, FailurePolicyRule& out) {
  std::optional<std::string> name, action;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, name));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "action", path, action));
  out.name = Or(name);
  out.action = Or(action);
  PHALANX_RETURN_IF_ERROR(
      TakeStringList(obj, "onJobFailureReasons", path, out.on_job_failure_reasons));
  PHALANX_RETURN_IF_ERROR(TakeStringList(obj, "onJobFailureMessagePatterns", path,
                                         out.on_job_failure_message_patterns));
  PHALANX_RETURN_IF_ERROR(
      TakeStringList(obj, "targetReplicatedJobs", path, out.target_replicated_jobs));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeRule(const FailurePolicyRule& r) {
  Json j = AsJson(r.extra);
  j["name"] = r.name;
  j["action"] = r.action;
  PutStringList(j, "onJobFailureReasons", r.on_job_failure_reasons);
  PutStringList(j, "onJobFailureMessagePatterns", r.on_job_failure_message_patterns);
  PutStringList(j, "targetReplicatedJobs", r.target_replicated_jobs);
  return j;
}

absl::Status DecodeFailurePolicy(Json obj, std::string_view path, FailurePolicy& out) {
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "maxRestarts", path, out.max_restarts));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "restartStrategy", path, out.restart_strategy));
  PHALANX_RETURN_IF_ERROR(DecodeList(obj, "rules", path, out.rules, DecodeRule));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeFailurePolicy(const FailurePolicy& p) {
  Json j = AsJson(p.extra);
  PutInt32(j, "maxRestarts", p.max_restarts);
  PutString(j, "restartStrategy", p.restart_strategy);
  EncodeList(j, "rules", p.rules, EncodeRule);
  return j;
}

absl::Status DecodeStartupPolicy(Json obj, std::string_view path, StartupPolicy& out) {
  std::optional<std::string> order;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "startupPolicyOrder", path, order));
  out.startup_policy_order = Or(order);
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeStartupPolicy(const StartupPolicy& p) {
  Json j = AsJson(p.extra);
  j["startupPolicyOrder"] = p.startup_policy_order;
  return j;
}

absl::Status DecodeCoordinator(Json obj, std::string_view path, Coordinator& out) {
  std::optional<std::string> rj;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "replicatedJob", path, rj));
  out.replicated_job = Or(rj);
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "jobIndex", path, out.job_index));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "podIndex", path, out.pod_index));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeCoordinator(const Coordinator& c) {
  Json j = AsJson(c.extra);
  j["replicatedJob"] = c.replicated_job;
  PutInt32(j, "jobIndex", c.job_index);
  PutInt32(j, "podIndex", c.pod_index);
  return j;
}

absl::Status DecodeVolumeClaimPolicy(Json obj, std::string_view path, VolumeClaimPolicy& out) {
  PHALANX_RETURN_IF_ERROR(internal::TakeRawList(obj, "templates", path, out.templates));
  std::optional<Json> rp;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "retentionPolicy", path, rp));
  if (rp) {
    PHALANX_RETURN_IF_ERROR(
        TakeString(*rp, "whenDeleted", Child(path, "retentionPolicy"), out.retention_when_deleted));
    out.retention_extra = MakeRaw(std::move(*rp));
  }
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeVolumeClaimPolicy(const VolumeClaimPolicy& v) {
  Json j = AsJson(v.extra);
  internal::PutRawList(j, "templates", v.templates);
  Json rp = AsJson(v.retention_extra);
  PutString(rp, "whenDeleted", v.retention_when_deleted);
  if (!rp.empty()) j["retentionPolicy"] = std::move(rp);
  return j;
}

absl::Status DecodeSpec(Json obj, std::string_view path, JobSetSpec& out) {
  PHALANX_RETURN_IF_ERROR(
      DecodeList(obj, "replicatedJobs", path, out.replicated_jobs, DecodeReplicatedJob));
  PHALANX_RETURN_IF_ERROR(DecodeOptional(obj, "network", path, out.network, DecodeNetwork));
  PHALANX_RETURN_IF_ERROR(
      DecodeOptional(obj, "successPolicy", path, out.success_policy, DecodeSuccessPolicy));
  PHALANX_RETURN_IF_ERROR(
      DecodeOptional(obj, "failurePolicy", path, out.failure_policy, DecodeFailurePolicy));
  PHALANX_RETURN_IF_ERROR(
      DecodeOptional(obj, "startupPolicy", path, out.startup_policy, DecodeStartupPolicy));
  PHALANX_RETURN_IF_ERROR(TakeBool(obj, "suspend", path, out.suspend));
  PHALANX_RETURN_IF_ERROR(
      DecodeOptional(obj, "coordinator", path, out.coordinator, DecodeCoordinator));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "managedBy", path, out.managed_by));
  PHALANX_RETURN_IF_ERROR(
      TakeInt32(obj, "ttlSecondsAfterFinished", path, out.ttl_seconds_after_finished));
  PHALANX_RETURN_IF_ERROR(DecodeList(obj, "volumeClaimPolicies", path, out.volume_claim_policies,
                                     DecodeVolumeClaimPolicy));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}


absl::Status DecodeCondition(Json obj, std::string_view path, Condition& out) {
  std::optional<std::string> s;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "type", path, s));
  out.type = Or(std::exchange(s, std::nullopt));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "status", path, s));
  out.status = Or(std::exchange(s, std::nullopt));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "reason", path, s));
  out.reason = Or(std::exchange(s, std::nullopt));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "message", path, s));
  out.message = Or(std::exchange(s, std::nullopt));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "lastTransitionTime", path, s));
  out.last_transition_time = Or(std::exchange(s, std::nullopt));
  PHALANX_RETURN_IF_ERROR(internal::TakeInt64(obj, "observedGeneration", path, out.observed_generation));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeCondition(const Condition& c) {
  Json j = AsJson(c.extra);
  j["type"] = c.type;
  j["status"] = c.status;
  j["reason"] = c.reason;
  j["message"] = c.message;
  j["lastTransitionTime"] = c.last_transition_time;
  internal::PutInt(j, "observedGeneration", c.observed_generation);
  return j;
}

absl::Status TakeIntList(Json& obj, std::string_view key, std::string_view path,
                         std::optional<std::vector<int32_t>>& out) {
  std::optional<Json> arr;
  PHALANX_RETURN_IF_ERROR(internal::TakeArray(obj, key, path, arr));
  if (!arr) return absl::OkStatus();
  out.emplace();
  for (size_t i = 0; i < arr->size(); ++i) {
    Json wrapper = Json::object({{"v", (*arr)[i]}});
    std::optional<int32_t> v;
    PHALANX_RETURN_IF_ERROR(TakeInt32(wrapper, "v", Index(Child(path, key), i), v));
    out->push_back(v.value_or(0));
  }
  return absl::OkStatus();
}

absl::Status DecodeRJobStatus(Json obj, std::string_view path, ReplicatedJobStatus& out) {
  std::optional<std::string> name;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "name", path, name));
  out.name = Or(name);
  for (auto [key, field] : {std::pair{"ready", &out.ready}, std::pair{"succeeded", &out.succeeded},
                            std::pair{"failed", &out.failed}, std::pair{"active", &out.active},
                            std::pair{"suspended", &out.suspended}}) {
    std::optional<int32_t> v;
    PHALANX_RETURN_IF_ERROR(TakeInt32(obj, key, path, v));
    *field = v.value_or(0);
  }
  PHALANX_RETURN_IF_ERROR(TakeIntList(obj, "jobRestarts", path, out.job_restarts));
  PHALANX_RETURN_IF_ERROR(TakeIntList(obj, "jobRestartsCountTowardsMax", path,
                                      out.job_restarts_count_towards_max));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeRJobStatus(const ReplicatedJobStatus& s) {
  Json j = AsJson(s.extra);
  j["name"] = s.name;
  j["ready"] = s.ready;
  j["succeeded"] = s.succeeded;
  j["failed"] = s.failed;
  j["active"] = s.active;
  j["suspended"] = s.suspended;
  if (s.job_restarts) j["jobRestarts"] = *s.job_restarts;
  if (s.job_restarts_count_towards_max) {
    j["jobRestartsCountTowardsMax"] = *s.job_restarts_count_towards_max;
  }
  return j;
}

absl::Status DecodeStatus(Json obj, std::string_view path, JobSetStatus& out) {
  std::optional<std::vector<Condition>> conditions;
  PHALANX_RETURN_IF_ERROR(DecodeList(obj, "conditions", path, conditions, DecodeCondition));
  if (conditions) out.conditions = std::move(*conditions);
  std::optional<int32_t> restarts;
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "restarts", path, restarts));
  out.restarts = restarts.value_or(0);
  PHALANX_RETURN_IF_ERROR(
      TakeInt32(obj, "restartsCountTowardsMax", path, out.restarts_count_towards_max));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "terminalState", path, out.terminal_state));
  std::optional<std::vector<ReplicatedJobStatus>> rjs;
  PHALANX_RETURN_IF_ERROR(DecodeList(obj, "replicatedJobsStatus", path, rjs, DecodeRJobStatus));
  if (rjs) out.replicated_jobs_status = std::move(*rjs);
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "previousInPlaceRestartAttempt", path,
                                    out.previous_in_place_restart_attempt));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "currentInPlaceRestartAttempt", path,
                                    out.current_in_place_restart_attempt));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeStatus(const JobSetStatus& s) {
  Json j = AsJson(s.extra);
  if (!s.conditions.empty()) {
    Json a = Json::array();
    for (const auto& c : s.conditions) a.push_back(EncodeCondition(c));
    j["conditions"] = std::move(a);
  }
  j["restarts"] = s.restarts;  // always serialized, as upstream
  PutInt32(j, "restartsCountTowardsMax", s.restarts_count_towards_max);
  PutString(j, "terminalState", s.terminal_state);
  if (!s.replicated_jobs_status.empty()) {
    Json a = Json::array();
    for (const auto& r : s.replicated_jobs_status) a.push_back(EncodeRJobStatus(r));
    j["replicatedJobsStatus"] = std::move(a);
  }
  PutInt32(j, "previousInPlaceRestartAttempt", s.previous_in_place_restart_attempt);
  PutInt32(j, "currentInPlaceRestartAttempt", s.current_in_place_restart_attempt);
  return j;
}

}  // namespace

namespace internal {

Json EncodeJobSetSpec(const JobSetSpec& s) {
  Json j = AsJson(s.extra);
  EncodeList(j, "replicatedJobs", s.replicated_jobs, EncodeReplicatedJob);
  if (s.network) j["network"] = EncodeNetwork(*s.network);
  if (s.success_policy) j["successPolicy"] = EncodeSuccessPolicy(*s.success_policy);
  if (s.failure_policy) j["failurePolicy"] = EncodeFailurePolicy(*s.failure_policy);
  if (s.startup_policy) j["startupPolicy"] = EncodeStartupPolicy(*s.startup_policy);
  PutBool(j, "suspend", s.suspend);
  if (s.coordinator) j["coordinator"] = EncodeCoordinator(*s.coordinator);
  PutString(j, "managedBy", s.managed_by);
  PutInt32(j, "ttlSecondsAfterFinished", s.ttl_seconds_after_finished);
  EncodeList(j, "volumeClaimPolicies", s.volume_claim_policies, EncodeVolumeClaimPolicy);
  return j;
}

}  // namespace internal

absl::StatusOr<JobSet> DecodeJobSet(std::string_view text) {
  PHALANX_ASSIGN_OR_RETURN(Json obj, internal::ParseJson(text));
  if (!obj.is_object()) return absl::InvalidArgumentError("not a JobSet: the document is not an object");
  PHALANX_RETURN_IF_ERROR(internal::TakeTypeMeta(obj, kJobSetApiVersion, kJobSetKind));
  JobSet js;
  std::optional<Json> meta;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "metadata", "", meta));
  if (meta) PHALANX_RETURN_IF_ERROR(internal::DecodeObjectMeta(std::move(*meta), "metadata", js.metadata));
  std::optional<Json> spec;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "spec", "", spec));
  if (spec) PHALANX_RETURN_IF_ERROR(DecodeSpec(std::move(*spec), "spec", js.spec));
  // `status: {}` stays verbatim; a non-empty status is decoded.
  if (auto it = obj.find("status"); it != obj.end() && !(it->is_object() && it->empty())) {
    PHALANX_RETURN_IF_ERROR(DecodeOptional(obj, "status", "", js.status, DecodeStatus));
  }
  js.extra = MakeRaw(std::move(obj));
  return js;
}

std::string EncodeJobSet(const JobSet& js) {
  Json j = AsJson(js.extra);
  j["apiVersion"] = js.api_version;
  j["kind"] = js.kind;
  Json meta = internal::EncodeObjectMeta(js.metadata);
  if (!meta.empty()) j["metadata"] = std::move(meta);
  Json spec = internal::EncodeJobSetSpec(js.spec);
  if (!spec.empty()) j["spec"] = std::move(spec);
  if (js.status) j["status"] = EncodeStatus(*js.status);
  return JsonText(j);
}

}  // namespace phalanx::api
