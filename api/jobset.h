// api/jobset.h
//
// The JobSet API (jobset.x-k8s.io/v1alpha2) as value types, with every spec and status field of upstream
// JobSet, alpha-gated fields included (parsed and preserved, not acted on). Embedded Kubernetes objects
// (the Job template and its pod template) model only the fields Phalanx reads or writes; everything else
// rides along in `extra` and survives decode → default → expand → encode unchanged.
//
// Optional fields use std::optional so "absent" and "zero" stay distinct on the wire.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/meta.h"
#include "api/raw_json.h"

namespace phalanx::api {

// --- Embedded batch/v1 Job template (subset + extra) -------------------------------------------

struct PodSpec {
  std::optional<std::string> restart_policy;
  std::optional<std::string> subdomain;
  std::optional<std::string> priority_class_name;
  std::optional<StringMap> node_selector;
  std::optional<std::vector<RawJson>> tolerations;       // each a Toleration object, verbatim
  std::optional<std::vector<RawJson>> scheduling_gates;  // each {"name": ...}, verbatim
  RawJson extra;  // containers, volumes, affinity, ... verbatim
};

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
  RawJson extra;
};

struct JobSpec {
  std::optional<int32_t> parallelism;
  std::optional<int32_t> completions;
  std::optional<std::string> completion_mode;  // "Indexed" | "NonIndexed"
  std::optional<int32_t> backoff_limit;
  std::optional<std::string> pod_replacement_policy;
  std::optional<bool> suspend;
  PodTemplateSpec template_;
  RawJson extra;
};

struct JobTemplateSpec {
  ObjectMeta metadata;
  JobSpec spec;
  RawJson extra;
};

// --- JobSet spec -----------------------------------------------------------------------------

struct DependsOn {
  std::string name;
  std::string status;  // "Ready" | "Complete"
  RawJson extra;
};

struct ReplicatedJob {
  std::string name;
  std::optional<std::string> group_name;  // CRD default "default"
  JobTemplateSpec template_;
  std::optional<int32_t> replicas;  // CRD default 1
  std::optional<std::vector<DependsOn>> depends_on;
  RawJson extra;

  int32_t replicas_or_default() const { return replicas.value_or(1); }
  std::string group_name_or_default() const { return group_name.value_or("default"); }
};

struct Network {
  std::optional<bool> enable_dns_hostnames;
  std::optional<std::string> subdomain;
  std::optional<bool> publish_not_ready_addresses;
  RawJson extra;
};

struct SuccessPolicy {
  std::string operator_;  // "All" | "Any"
  std::optional<std::vector<std::string>> target_replicated_jobs;
  RawJson extra;
};

struct FailurePolicyRule {
  std::string name;
  std::string action;
  std::optional<std::vector<std::string>> on_job_failure_reasons;
  std::optional<std::vector<std::string>> on_job_failure_message_patterns;
  std::optional<std::vector<std::string>> target_replicated_jobs;
  RawJson extra;
};

struct FailurePolicy {
  std::optional<int32_t> max_restarts;
  std::optional<std::string> restart_strategy;  // "Recreate" | "BlockingRecreate" | "InPlaceRestart"
  std::optional<std::vector<FailurePolicyRule>> rules;
  RawJson extra;
};

struct StartupPolicy {
  std::string startup_policy_order;  // "AnyOrder" | "InOrder"
  RawJson extra;
};

struct Coordinator {
  std::string replicated_job;
  std::optional<int32_t> job_index;
  std::optional<int32_t> pod_index;
  RawJson extra;
};

struct VolumeClaimPolicy {
  std::optional<std::vector<RawJson>> templates;  // PersistentVolumeClaim objects, verbatim
  std::optional<std::string> retention_when_deleted;  // retentionPolicy.whenDeleted
  RawJson retention_extra;
  RawJson extra;
};

struct JobSetSpec {
  std::optional<std::vector<ReplicatedJob>> replicated_jobs;
  std::optional<Network> network;
  std::optional<SuccessPolicy> success_policy;
  std::optional<FailurePolicy> failure_policy;
  std::optional<StartupPolicy> startup_policy;
  std::optional<bool> suspend;
  std::optional<Coordinator> coordinator;
  std::optional<std::string> managed_by;
  std::optional<int32_t> ttl_seconds_after_finished;
  std::optional<std::vector<VolumeClaimPolicy>> volume_claim_policies;
  RawJson extra;

  const std::vector<ReplicatedJob>& rjobs() const;  // empty list when absent
};

// --- JobSet status ---------------------------------------------------------------------------

struct Condition {
  std::string type;
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;  // RFC 3339, as on the wire
  std::optional<int64_t> observed_generation;
  RawJson extra;
};

struct ReplicatedJobStatus {
  std::string name;
  int32_t ready = 0;
  int32_t succeeded = 0;
  int32_t failed = 0;
  int32_t active = 0;
  int32_t suspended = 0;
  std::optional<std::vector<int32_t>> job_restarts;
  std::optional<std::vector<int32_t>> job_restarts_count_towards_max;
  RawJson extra;
};

struct JobSetStatus {
  std::vector<Condition> conditions;
  int32_t restarts = 0;
  std::optional<int32_t> restarts_count_towards_max;
  std::optional<std::string> terminal_state;
  std::vector<ReplicatedJobStatus> replicated_jobs_status;
  std::optional<int32_t> previous_in_place_restart_attempt;
  std::optional<int32_t> current_in_place_restart_attempt;
  RawJson extra;
};

struct JobSet {
  std::string api_version = std::string("jobset.x-k8s.io/v1alpha2");
  std::string kind = "JobSet";
  ObjectMeta metadata;
  JobSetSpec spec;
  std::optional<JobSetStatus> status;
  RawJson extra;
};

}  // namespace phalanx::api
