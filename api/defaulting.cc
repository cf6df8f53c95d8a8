#include "api/defaulting.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "common/json_text.h"
#include "api/jobset_codec.h"
#include "common/status_macros.h"

namespace phalanx::api {

void ApplySchemaDefaults(JobSet& js) {
  if (js.spec.replicated_jobs) {
    for (ReplicatedJob& rj : *js.spec.replicated_jobs) {
      if (!rj.replicas) rj.replicas = 1;
      if (!rj.group_name) rj.group_name = "default";
    }
  }
  if (js.spec.failure_policy && !js.spec.failure_policy->restart_strategy) {
    js.spec.failure_policy->restart_strategy = "Recreate";
  }
  // retentionPolicy.whenDeleted defaults to Delete in the schema, wherever a retentionPolicy object is
  // given (an empty one stays in `extra`, see the codec).
  if (js.spec.volume_claim_policies) {
    for (VolumeClaimPolicy& v : *js.spec.volume_claim_policies) {
      const bool present = !v.retention_extra.IsEmptyObject() ||
                           internal::AsJson(v.extra).contains("retentionPolicy");
      if (present && !v.retention_when_deleted) v.retention_when_deleted = "Delete";
    }
  }
}

void DefaultJobSet(JobSet& js) {
  JobSetSpec& spec = js.spec;
  if (!spec.success_policy) spec.success_policy = SuccessPolicy{.operator_ = "All"};
  if (!spec.startup_policy) spec.startup_policy = StartupPolicy{.startup_policy_order = "AnyOrder"};
  if (spec.replicated_jobs) {
    for (ReplicatedJob& rj : *spec.replicated_jobs) {
      JobSpec& job = rj.template_.spec;
      if (!job.completion_mode) job.completion_mode = "Indexed";
      PodSpec& pod = job.template_.spec;
      if (!pod.restart_policy || pod.restart_policy->empty()) pod.restart_policy = "OnFailure";
    }
  }
  if (!spec.network) spec.network = Network{};
  if (!spec.network->enable_dns_hostnames) spec.network->enable_dns_hostnames = true;
  if (!spec.network->publish_not_ready_addresses) spec.network->publish_not_ready_addresses = true;
  if (spec.failure_policy && spec.failure_policy->rules) {
    auto& rules = *spec.failure_policy->rules;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].name.empty()) rules[i].name = absl::StrCat("failurePolicyRule", i);
    }
  }
  if (spec.volume_claim_policies) {
    for (VolumeClaimPolicy& v : *spec.volume_claim_policies) {
      if (!v.retention_when_deleted) v.retention_when_deleted = "Delete";
    }
  }
}

absl::StatusOr<std::string> DefaultingPatch(std::string_view jobset_json) {
  PHALANX_ASSIGN_OR_RETURN(JobSet js, DecodeJobSet(jobset_json));
  PHALANX_ASSIGN_OR_RETURN(internal::Json before, internal::ParseJson(jobset_json));
  DefaultJobSet(js);
  PHALANX_ASSIGN_OR_RETURN(internal::Json after, internal::ParseJson(EncodeJobSet(js)));
  internal::Json patch = internal::Json::diff(before, after);
  for (const auto& op : patch) {
    const std::string& kind = op["op"].get_ref<const std::string&>();
    if (kind != "add" && kind != "replace") {
      // Defaulting only ever adds; anything else means the codec lost a field. Refuse rather than
      // rewrite the user's object.
      return absl::InternalError(
          absl::StrCat("defaulting would ", kind, " ", op["path"].get<std::string>()));
    }
  }
  return JsonText(patch);
}

}  // namespace phalanx::api
