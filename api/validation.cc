#include "api/validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/json.h"
#include "common/json_text.h"
#include "api/internal/template_codec.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "api/names.h"

#include "common/strings.h"

namespace phalanx::api {
namespace {

using Type = FieldError::Type;

std::string Quote(std::string_view s) { return JsonText(internal::Json(std::string(s))); }

FieldError Invalid(std::string field, std::string bad_value, std::string detail) {
  return FieldError{Type::kInvalid, std::move(field), std::move(bad_value), std::move(detail)};
}
FieldError Forbidden(std::string field, std::string detail) {
  return FieldError{Type::kForbidden, std::move(field), "", std::move(detail)};
}
FieldError NotSupported(std::string field, std::string_view value,
                        std::initializer_list<std::string_view> supported) {
  std::vector<std::string> quoted;
  for (auto s : supported) quoted.push_back(Quote(s));
  return FieldError{Type::kNotSupported, std::move(field), Quote(value),
                    absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "))};
}

std::string RJobPath(size_t i) { return absl::StrCat("spec.replicatedJobs[", i, "]"); }

constexpr std::string_view kValidFailureReasons[] = {
    "BackoffLimitExceeded", "DeadlineExceeded", "FailedIndexes", "MaxFailedIndexesExceeded",
    "PodFailurePolicy"};

// Replaces the 63-character message of a DNS-1035 check with upstream's JobSet-specific one.
void AddDnsErrors(std::vector<FieldError>& errs, const std::vector<std::string>& messages,
                  const std::string& field, const std::string& value, std::string_view too_long) {
  for (const std::string& m : messages) {
    errs.push_back(Invalid(field, Quote(value),
                           absl::StrContains(m, AsAbsl(kDns1035TooLong)) ? std::string(too_long) : m));
  }
}

// --- CRD schema rules (enforced by the API server before webhooks; checked here so offline
// validation gives the cluster's answer). --------------------------------------------------------
void ValidateSchema(const JobSet& js, std::vector<FieldError>& errs) {
  if (js.metadata.name && !js.metadata.name->empty()) {
    // The API server's object-name rule for custom resources.
    for (const std::string& m : IsDns1123Subdomain(*js.metadata.name)) {
      errs.push_back(Invalid("metadata.name", Quote(*js.metadata.name), m));
    }
  }
  const JobSetSpec& spec = js.spec;
  const auto& rjobs = spec.rjobs();
  for (size_t i = 0; i < rjobs.size(); ++i) {
    const ReplicatedJob& rj = rjobs[i];
    std::string p = RJobPath(i);
    if (rj.name.empty()) errs.push_back({Type::kRequired, p + ".name", "", ""});
    if (rj.replicas && *rj.replicas < 0) {
      errs.push_back(Invalid(p + ".replicas", absl::StrCat(*rj.replicas),
                             absl::StrCat(p, ".replicas in body should be greater than or equal to 0")));
    }
    if (rj.depends_on) {
      if (rj.depends_on->size() > 5) {
        errs.push_back({Type::kInvalid, p + ".dependsOn", absl::StrCat(rj.depends_on->size()),
                        "must have at most 5 items"});
      }
      for (size_t k = 0; k < rj.depends_on->size(); ++k) {
        const DependsOn& d = (*rj.depends_on)[k];
        if (d.status != "Ready" && d.status != "Complete") {
          errs.push_back(NotSupported(absl::StrCat(p, ".dependsOn[", k, "].status"), d.status,
                                      {"Ready", "Complete"}));
        }
      }
    }
  }
  if (spec.success_policy && spec.success_policy->operator_ != "All" &&
      spec.success_policy->operator_ != "Any") {
    errs.push_back(NotSupported("spec.successPolicy.operator", spec.success_policy->operator_,
                                {"All", "Any"}));
  }
  if (spec.startup_policy && spec.startup_policy->startup_policy_order != "AnyOrder" &&
      spec.startup_policy->startup_policy_order != "InOrder") {
    errs.push_back(NotSupported("spec.startupPolicy.startupPolicyOrder",
                                spec.startup_policy->startup_policy_order,
                                {"AnyOrder", "InOrder"}));
  }
  if (spec.failure_policy) {
    const FailurePolicy& fp = *spec.failure_policy;
    if (fp.restart_strategy && *fp.restart_strategy != "Recreate" &&
        *fp.restart_strategy != "BlockingRecreate" && *fp.restart_strategy != "InPlaceRestart") {
      errs.push_back(NotSupported("spec.failurePolicy.restartStrategy", *fp.restart_strategy,
                                  {"Recreate", "BlockingRecreate", "InPlaceRestart"}));
    }
    if (fp.rules) {
      for (size_t i = 0; i < fp.rules->size(); ++i) {
        const std::string& action = (*fp.rules)[i].action;
        std::string p = absl::StrCat("spec.failurePolicy.rules[", i, "].action");
        if (action.empty()) {
          errs.push_back({Type::kRequired, p, "", ""});
        } else if (action != "FailJobSet" && action != "RestartJobSet" &&
                   action != "RestartJobSetAndIgnoreMaxRestarts" && action != "RestartJob" &&
                   action != "RestartJobAndIgnoreMaxRestarts") {
          errs.push_back(NotSupported(p, action,
                                      {"FailJobSet", "RestartJobSet",
                                       "RestartJobSetAndIgnoreMaxRestarts", "RestartJob",
                                       "RestartJobAndIgnoreMaxRestarts"}));
        }
      }
    }
  }
  if (spec.ttl_seconds_after_finished && *spec.ttl_seconds_after_finished < 0) {
    errs.push_back(Invalid("spec.ttlSecondsAfterFinished",
                           absl::StrCat(*spec.ttl_seconds_after_finished),
                           "spec.ttlSecondsAfterFinished in body should be greater than or equal to 0"));
  }
  if (spec.coordinator && spec.coordinator->replicated_job.empty()) {
    errs.push_back({Type::kRequired, "spec.coordinator.replicatedJob", "", ""});
  }
  if (spec.volume_claim_policies && spec.volume_claim_policies->size() > 50) {
    errs.push_back({Type::kInvalid, "spec.volumeClaimPolicies",
                    absl::StrCat(spec.volume_claim_policies->size()), "must have at most 50 items"});
  }
  // CEL rule on spec.
  bool in_order = spec.startup_policy && spec.startup_policy->startup_policy_order == "InOrder";
  bool any_depends = std::any_of(rjobs.begin(), rjobs.end(),
                                 [](const ReplicatedJob& rj) { return rj.depends_on.has_value(); });
  if (in_order && any_depends) {
    errs.push_back(Invalid("spec", Quote("object"),
                           "StartupPolicy and DependsOn APIs are mutually exclusive"));
  }
}

// --- Failure policy (reference §1.14 rules 12–18) ----------------------------------------------
void ValidateFailurePolicy(const FailurePolicy& fp, const std::set<std::string>& rjob_names,
                           std::vector<FieldError>& errs) {
  if (!fp.rules) return;
  const auto& rules = *fp.rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].action == "RestartJob" || rules[i].action == "RestartJobAndIgnoreMaxRestarts") {
      // RestartJob gate is off: this is the only failure-policy error reported.
      errs.push_back(Invalid(absl::StrCat("spec.failurePolicy.rules[", i, "].action"),
                             Quote(rules[i].action),
                             "RestartJob and RestartJobAndIgnoreMaxRestarts failure policy actions "
                             "are not allowed when RestartJob feature gate is disabled"));
      return;
    }
  }
  static const std::regex kRuleName("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
  std::map<std::string, std::vector<size_t>> by_name;
  for (size_t i = 0; i < rules.size(); ++i) {
    const FailurePolicyRule& rule = rules[i];
    std::string p = absl::StrCat("spec.failurePolicy.rules[", i, "]");
    if (rule.name.size() < 1 || rule.name.size() > 128) {
      errs.push_back(Invalid(p + ".name", Quote(rule.name),
                             absl::StrCat("invalid failure policy rule name of length ",
                                          rule.name.size(),
                                          ", the rule name must be at least 1 characters long and "
                                          "at most 128 characters long")));
    }
    by_name[rule.name].push_back(i);
    if (rule.name.size() > 4096 || !std::regex_match(rule.name, kRuleName)) {
      errs.push_back(Invalid(
          p + ".name", Quote(rule.name),
          absl::StrCat("invalid failure policy rule name '", rule.name,
                       "', a failure policy rule name must start with an alphabetic character, "
                       "optionally followed by a string of alphanumeric characters or '_,:', and "
                       "must end with an alphanumeric character or '_'")));
    }
    if (rule.target_replicated_jobs) {
      for (size_t k = 0; k < rule.target_replicated_jobs->size(); ++k) {
        const std::string& t = (*rule.target_replicated_jobs)[k];
        if (!rjob_names.count(t)) {
          errs.push_back(Invalid(absl::StrCat(p, ".targetReplicatedJobs[", k, "]"), Quote(t),
                                 absl::StrCat("invalid replicatedJob name '", t,
                                              "' in failure policy does not appear in "
                                              ".spec.ReplicatedJobs")));
        }
      }
    }
    if (rule.on_job_failure_reasons) {
      for (size_t k = 0; k < rule.on_job_failure_reasons->size(); ++k) {
        const std::string& r = (*rule.on_job_failure_reasons)[k];
        if (std::find(std::begin(kValidFailureReasons), std::end(kValidFailureReasons), r) ==
            std::end(kValidFailureReasons)) {
          errs.push_back(Invalid(absl::StrCat(p, ".onJobFailureReasons[", k, "]"), Quote(r),
                                 absl::StrCat("invalid job failure reason '", r,
                                              "' in failure policy is not a recognized job "
                                              "failure reason")));
        }
      }
    }
  }
  // Duplicates, reported in order of first occurrence.
  std::vector<std::pair<size_t, std::string>> dups;
  for (const auto& [name, idx] : by_name) {
    if (idx.size() > 1) dups.emplace_back(idx.front(), name);
  }
  std::sort(dups.begin(), dups.end());
  for (const auto& [first, name] : dups) {
    const auto& idx = by_name[name];
    errs.push_back(Invalid(absl::StrCat("spec.failurePolicy.rules[", idx[1], "].name"), Quote(name),
                           absl::StrCat("rule names are not unique, rules with indices [",
                                        absl::StrJoin(idx, " "), "] all have the same name '",
                                        name, "'")));
  }
}

// --- Coordinator (rules 19–23): only the first error is reported -------------------------------
void ValidateCoordinator(const JobSet& js, const std::string& js_name,
                         std::vector<FieldError>& errs) {
  const Coordinator& c = *js.spec.coordinator;
  const ReplicatedJob* target = nullptr;
  for (const auto& rj : js.spec.rjobs()) {
    if (rj.name == c.replicated_job) target = &rj;
  }
  if (target == nullptr) {
    errs.push_back(Invalid("spec.coordinator.replicatedJob", Quote(c.replicated_job),
                           absl::StrCat("coordinator replicatedJob ", c.replicated_job,
                                        " does not exist")));
    return;
  }
  int32_t job_index = c.job_index.value_or(0), pod_index = c.pod_index.value_or(0);
  if (job_index < 0 || job_index >= target->replicas_or_default()) {
    errs.push_back(Invalid("spec.coordinator.jobIndex", absl::StrCat(job_index),
                           absl::StrCat("coordinator job index ", job_index,
                                        " is invalid for replicatedJob ", target->name)));
    return;
  }
  const JobSpec& job = target->template_.spec;
  if (job.completion_mode.value_or("NonIndexed") != "Indexed" || !job.completions) {
    errs.push_back(Invalid("spec.coordinator.replicatedJob", Quote(c.replicated_job),
                           "job for coordinator pod must be indexed completion mode, and "
                           "completions number must be set"));
    return;
  }
  if (pod_index < 0 || pod_index >= *job.completions) {
    errs.push_back(Invalid("spec.coordinator.podIndex", absl::StrCat(pod_index),
                           absl::StrCat("coordinator pod index ", pod_index,
                                        " is invalid for replicatedJob ", target->name,
                                        " job index ", job_index)));
    return;
  }
  std::string subdomain = js_name;
  if (js.spec.network && js.spec.network->subdomain && !js.spec.network->subdomain->empty()) {
    subdomain = *js.spec.network->subdomain;
  }
  std::string endpoint =
      absl::StrCat(ChildPodName(js_name, c.replicated_job, absl::StrCat(job_index),
                                absl::StrCat(pod_index)),
                   ".", subdomain);
  auto label_errs = IsValidLabelValue(endpoint);
  if (!label_errs.empty()) {
    errs.push_back(Invalid("spec.coordinator", Quote(endpoint),
                           absl::StrCat("spec will lead to invalid label value \"", endpoint,
                                        "\" for coordinator label \"", AsAbsl(kCoordinatorKey),
                                        "\" (long JobSet / ReplicatedJob / SubDomain name?): ",
                                        absl::StrJoin(label_errs, "; "))));
  }
}

// --- VolumeClaimPolicies (rule 24, the checks that need no API lookups) ------------------------
void ValidateVolumeClaimPolicies(const JobSet& js, const std::string& js_name,
                                 std::vector<FieldError>& errs) {
  if (!js.spec.volume_claim_policies) return;
  // Mounted volume names and declared pod volume names across all replicated jobs.
  std::set<std::string> mounted, pod_volumes;
  for (const auto& rj : js.spec.rjobs()) {
    const internal::Json& pod = internal::AsJson(rj.template_.spec.template_.spec.extra);
    for (const char* key : {"containers", "initContainers"}) {
      auto it = pod.find(key);
      if (it == pod.end() || !it->is_array()) continue;
      for (const auto& c : *it) {
        auto vm = c.find("volumeMounts");
        if (vm == c.end() || !vm->is_array()) continue;
        for (const auto& m : *vm) {
          if (m.contains("name") && m["name"].is_string()) mounted.insert(m["name"].get<std::string>());
        }
      }
    }
    auto vols = pod.find("volumes");
    if (vols != pod.end() && vols->is_array()) {
      for (const auto& v : *vols) {
        if (v.contains("name") && v["name"].is_string()) pod_volumes.insert(v["name"].get<std::string>());
      }
    }
  }
  std::set<std::string> seen;
  const auto& policies = *js.spec.volume_claim_policies;
  for (size_t i = 0; i < policies.size(); ++i) {
    if (!policies[i].templates) continue;
    for (size_t k = 0; k < policies[i].templates->size(); ++k) {
      std::string p = absl::StrCat("spec.volumeClaimPolicies[", i, "].templates[", k, "]");
      const internal::Json& t = internal::AsJson((*policies[i].templates)[k]);
      std::string name;
      if (t.contains("metadata") && t["metadata"].is_object() && t["metadata"].contains("name") &&
          t["metadata"]["name"].is_string()) {
        name = t["metadata"]["name"].get<std::string>();
      }
      if (t.contains("metadata") && t["metadata"].is_object() && t["metadata"].contains("namespace")) {
        errs.push_back(Forbidden(p + ".metadata.namespace",
                                 "namespace is not allowed in VolumeClaimPolicies templates"));
      }
      for (const std::string& m : IsDns1123Subdomain(name)) {
        errs.push_back(Invalid(p + ".metadata.name", Quote(name), m));
      }
      if (name.size() + 1 + js_name.size() > 63) {
        errs.push_back(Invalid(p + ".metadata.name", Quote(name),
                               "VolumeClaimPolicies template name is too long"));
      }
      if (!seen.insert(name).second) {
        errs.push_back(Invalid(p + ".metadata.name", Quote(name),
                               "names must be unique for VolumeClaimPolicies template"));
      }
      if (!mounted.count(name)) {
        errs.push_back(Invalid(p + ".metadata.name", Quote(name),
                               absl::StrCat("replicatedJob containers don't have a matching "
                                            "volumeMount: ", name, " from VolumeClaimPolicies")));
      }
      if (pod_volumes.count(name)) {
        errs.push_back(Invalid(p + ".metadata.name", Quote(name),
                               absl::StrCat("volume name conflicts with VolumeClaimPolicy "
                                            "template name: ", name)));
      }
    }
  }
}

// The name used for length checks: metadata.name, or generateName (truncated to 58 as the API
// server does) plus 5 random characters.
std::string NameForLengthChecks(const JobSet& js) {
  if (js.metadata.name && !js.metadata.name->empty()) return *js.metadata.name;
  std::string prefix = js.metadata.generate_name.value_or("");
  if (prefix.size() > 58) prefix.resize(58);
  return prefix + "abcde";
}

}  // namespace

std::string FieldError::ToString() const {
  std::string body;
  switch (type) {
    case Type::kInvalid:
      body = bad_value.empty() ? absl::StrCat("Invalid value: ", detail)
                               : absl::StrCat("Invalid value: ", bad_value, ": ", detail);
      break;
    case Type::kRequired:
      body = detail.empty() ? "Required value" : absl::StrCat("Required value: ", detail);
      break;
    case Type::kForbidden:
      body = absl::StrCat("Forbidden: ", detail);
      break;
    case Type::kTooLong:
      body = absl::StrCat("Too long: ", detail);
      break;
    case Type::kDuplicate:
      body = absl::StrCat("Duplicate value: ", bad_value);
      break;
    case Type::kNotSupported:
      body = absl::StrCat("Unsupported value: ", bad_value, ": ", detail);
      break;
    case Type::kInternal:
      body = absl::StrCat("Internal error: ", detail);
      break;
  }
  return field.empty() ? body : absl::StrCat(field, ": ", body);
}

std::string FieldError::CauseReason() const {
  switch (type) {
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kTooLong:
      return "FieldValueTooLong";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kInternal:
      return "InternalError";
  }
  return "FieldValueInvalid";
}

std::vector<FieldError> ValidateCreate(const JobSet& js) {
  std::vector<FieldError> errs;
  ValidateSchema(js, errs);
  const JobSetSpec& spec = js.spec;
  const auto& rjobs = spec.rjobs();
  const std::string js_name = NameForLengthChecks(js);

  if (spec.failure_policy && spec.failure_policy->restart_strategy == "InPlaceRestart") {
    errs.push_back(Invalid("spec.failurePolicy.restartStrategy", Quote("InPlaceRestart"),
                           "InPlaceRestart restart strategy cannot be set when InPlaceRestart "
                           "feature gate is disabled"));
  }
  if (!rjobs.empty() && rjobs[0].depends_on) {
    errs.push_back(Forbidden(RJobPath(0) + ".dependsOn",
                             "DependsOn can't be set for the first ReplicatedJob"));
  }
  std::set<std::string> rjob_names;
  for (const auto& rj : rjobs) rjob_names.insert(rj.name);

  if (spec.network && spec.network->subdomain && !spec.network->subdomain->empty()) {
    const std::string& sub = *spec.network->subdomain;
    for (const std::string& m : IsDns1123Subdomain(sub)) {
      errs.push_back(Invalid("spec.network.subdomain", Quote(sub), m));
    }
    AddDnsErrors(errs, IsDns1035Label(sub), "spec.network.subdomain", sub,
                 ".spec.network.subdomain is too long, must be less than 63 characters");
  }
  if (spec.managed_by) {
    const std::string& m = *spec.managed_by;
    const std::string f = "spec.managedBy";
    size_t slash = m.find('/');
    if (m.empty()) {
      errs.push_back({Type::kRequired, f, "", ""});
    } else if (slash == std::string::npos || slash == 0 || slash + 1 == m.size()) {
      errs.push_back(Invalid(f, Quote(m), "must be a domain-prefixed path (such as \"acme.io/foo\")"));
    } else {
      std::string host = m.substr(0, slash), path = m.substr(slash + 1);
      for (const std::string& e : IsDns1123Subdomain(host)) errs.push_back(Invalid(f, Quote(host), e));
      static const std::regex kHttpPath("[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+");
      if (!std::regex_match(path, kHttpPath)) {
        errs.push_back(Invalid(f, Quote(path),
                               "Invalid path (regex used for validation is "
                               "'[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
      }
    }
    if (m.size() > 63) {
      errs.push_back({Type::kTooLong, f, "", "may not be more than 63 bytes"});
    }
  }

  std::set<std::string> seen;
  for (size_t i = 0; i < rjobs.size(); ++i) {
    const ReplicatedJob& rj = rjobs[i];
    const std::string p = RJobPath(i);
    const int32_t replicas = rj.replicas_or_default();
    const JobSpec& job = rj.template_.spec;
    int64_t parallelism = job.parallelism.value_or(1);
    if (parallelism * static_cast<int64_t>(replicas) > std::numeric_limits<int32_t>::max()) {
      errs.push_back(Invalid(p + ".replicas", absl::StrCat(replicas),
                             absl::StrCat("the product of replicas and parallelism must not exceed "
                                          "2147483647 for replicatedJob '",
                                          rj.name, "'")));
    }
    std::string group = rj.group_name_or_default();
    AddDnsErrors(errs, IsDns1035Label(group), p + ".groupName", group,
                 ".spec.replicatedJob[].groupName is too long, must be less than 63 characters");
    std::string longest_job = ChildJobName(js_name, rj.name, replicas - 1);
    AddDnsErrors(errs, IsDns1035Label(longest_job), p + ".name", longest_job,
                 "JobSet name is too long, job names generated for this JobSet will exceed 63 "
                 "characters");
    if (job.completion_mode == "Indexed" && job.completions) {
      std::string longest_pod =
          ChildPodName(js_name, rj.name, absl::StrCat(replicas - 1),
                       absl::StrCat(*job.completions - 1)) +
          "-abcde";
      AddDnsErrors(errs, IsDns1035Label(longest_pod), p + ".name", longest_pod,
                   "JobSet name is too long, pod names generated for this JobSet will exceed 63 "
                   "characters");
    }
    seen.insert(rj.name);
    if (rj.depends_on) {
      for (size_t k = 0; k < rj.depends_on->size(); ++k) {
        const std::string& dep = (*rj.depends_on)[k].name;
        if (!seen.count(dep)) {
          errs.push_back(Invalid(absl::StrCat(p, ".dependsOn[", k, "].name"), Quote(dep),
                                 absl::StrCat("replicatedJob: ", rj.name,
                                              " cannot depend on replicatedJob: ", dep)));
        }
      }
    }
  }

  if (spec.success_policy && spec.success_policy->target_replicated_jobs) {
    const auto& targets = *spec.success_policy->target_replicated_jobs;
    for (size_t k = 0; k < targets.size(); ++k) {
      if (!rjob_names.count(targets[k])) {
        errs.push_back(Invalid(absl::StrCat("spec.successPolicy.targetReplicatedJobs[", k, "]"),
                               Quote(targets[k]),
                               absl::StrCat("invalid replicatedJob name '", targets[k],
                                            "' does not appear in .spec.ReplicatedJobs")));
      }
    }
  }
  if (spec.failure_policy) ValidateFailurePolicy(*spec.failure_policy, rjob_names, errs);
  if (spec.coordinator && !spec.coordinator->replicated_job.empty()) {
    ValidateCoordinator(js, js_name, errs);
  }
  ValidateVolumeClaimPolicies(js, js_name, errs);
  return errs;
}

namespace {

internal::Json Field(const internal::Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? internal::Json(nullptr) : *it;
}

}  // namespace

std::vector<FieldError> ValidateUpdate(const JobSet& old_js, const JobSet& new_js) {
  std::vector<FieldError> errs;
  const JobSetSpec& o = old_js.spec;
  const JobSetSpec& n = new_js.spec;
  const internal::Json ospec = internal::EncodeJobSetSpec(o), nspec = internal::EncodeJobSetSpec(n);
  for (std::string_view key : {"network", "successPolicy", "failurePolicy", "startupPolicy",
                               "volumeClaimPolicies"}) {
    if (Field(ospec, key) != Field(nspec, key)) {
      errs.push_back(Invalid(absl::StrCat("spec.", AsAbsl(key)),
                             Quote(key == "volumeClaimPolicies" ? "array" : "object"),
                             "Value is immutable"));
    }
  }
  // dependsOn lists, matched by replicated job name.
  const internal::Json orjobs = Field(ospec, "replicatedJobs"), nrjobs = Field(nspec, "replicatedJobs");
  for (size_t i = 0; nrjobs.is_array() && i < nrjobs.size(); ++i) {
    for (size_t k = 0; orjobs.is_array() && k < orjobs.size(); ++k) {
      if (Field(orjobs[k], "name") != Field(nrjobs[i], "name")) continue;
      if (Field(orjobs[k], "dependsOn") != Field(nrjobs[i], "dependsOn")) {
        errs.push_back(Invalid(RJobPath(i) + ".dependsOn", Quote("array"), "Value is immutable"));
      }
    }
  }
  // replicatedJobs, with pod-template scheduling directives masked while suspended. dependsOn is
  // masked always: its changes are reported above, by the CEL rule.
  JobSetSpec masked;
  masked.replicated_jobs = n.replicated_jobs;
  const bool suspended = o.suspend.value_or(false) || n.suspend.value_or(false);
  if (masked.replicated_jobs) {
    for (ReplicatedJob& rj : *masked.replicated_jobs) {
      for (const ReplicatedJob& orj : o.rjobs()) {
        if (orj.name != rj.name) continue;
        rj.depends_on = orj.depends_on;
        if (suspended) {
          PodTemplateSpec& t = rj.template_.spec.template_;
          const PodTemplateSpec& ot = orj.template_.spec.template_;
          t.metadata.labels = ot.metadata.labels;
          t.metadata.annotations = ot.metadata.annotations;
          t.spec.node_selector = ot.spec.node_selector;
          t.spec.tolerations = ot.spec.tolerations;
          t.spec.scheduling_gates = ot.spec.scheduling_gates;
        }
      }
    }
  }
  if (Field(internal::EncodeJobSetSpec(masked), "replicatedJobs") != Field(ospec, "replicatedJobs")) {
    errs.push_back(Invalid("spec.replicatedJobs", Quote("array"), "field is immutable"));
  }
  if (o.managed_by != n.managed_by) {
    errs.push_back(Invalid("spec.managedBy", n.managed_by ? Quote(*n.managed_by) : "null",
                           "field is immutable"));
  }
  return errs;
}

namespace {

// Unknown members of `extra`: a declared field can sit there only as null or {} (kept for round trips).
void Unknown(const RawJson& extra, std::string_view path, std::initializer_list<std::string_view> declared,
             std::vector<std::string>& out) {
  const internal::Json& j = internal::AsJson(extra);
  if (!j.is_object()) return;
  for (const auto& [key, value] : j.items()) {
    const bool known = std::find(declared.begin(), declared.end(), key) != declared.end();
    if (!known) out.push_back(internal::Child(path, key));
  }
}

}  // namespace

std::vector<std::string> UnknownFields(const JobSet& js) {
  std::vector<std::string> out;
  Unknown(js.extra, "", {"apiVersion", "kind", "metadata", "spec", "status"}, out);
  const JobSetSpec& spec = js.spec;
  Unknown(spec.extra, "spec",
          {"replicatedJobs", "network", "successPolicy", "failurePolicy", "startupPolicy", "suspend", "coordinator",
           "managedBy", "ttlSecondsAfterFinished", "volumeClaimPolicies"},
          out);
  for (size_t i = 0; i < spec.rjobs().size(); ++i) {
    const ReplicatedJob& rj = spec.rjobs()[i];
    const std::string path = internal::Index("spec.replicatedJobs", i);
    Unknown(rj.extra, path, {"name", "groupName", "template", "replicas", "dependsOn"}, out);
    if (rj.depends_on) {
      for (size_t d = 0; d < rj.depends_on->size(); ++d) {
        Unknown((*rj.depends_on)[d].extra, internal::Index(internal::Child(path, "dependsOn"), d), {"name", "status"},
                out);
      }
    }
  }
  if (spec.network) {
    Unknown(spec.network->extra, "spec.network", {"enableDNSHostnames", "subdomain", "publishNotReadyAddresses"},
            out);
  }
  if (spec.success_policy) {
    Unknown(spec.success_policy->extra, "spec.successPolicy", {"operator", "targetReplicatedJobs"}, out);
  }
  if (spec.failure_policy) {
    Unknown(spec.failure_policy->extra, "spec.failurePolicy", {"maxRestarts", "restartStrategy", "rules"}, out);
    if (spec.failure_policy->rules) {
      for (size_t r = 0; r < spec.failure_policy->rules->size(); ++r) {
        Unknown((*spec.failure_policy->rules)[r].extra, internal::Index("spec.failurePolicy.rules", r),
                {"name", "action", "onJobFailureReasons", "onJobFailureMessagePatterns", "targetReplicatedJobs"}, out);
      }
    }
  }
  if (spec.startup_policy) Unknown(spec.startup_policy->extra, "spec.startupPolicy", {"startupPolicyOrder"}, out);
  if (spec.coordinator) {
    Unknown(spec.coordinator->extra, "spec.coordinator", {"replicatedJob", "jobIndex", "podIndex"}, out);
  }
  if (spec.volume_claim_policies) {
    for (size_t v = 0; v < spec.volume_claim_policies->size(); ++v) {
      const VolumeClaimPolicy& p = (*spec.volume_claim_policies)[v];
      const std::string path = internal::Index("spec.volumeClaimPolicies", v);
      Unknown(p.extra, path, {"templates", "retentionPolicy"}, out);
      Unknown(p.retention_extra, internal::Child(path, "retentionPolicy"), {"whenDeleted"}, out);
    }
  }
  return out;
}

}  // namespace phalanx::api
