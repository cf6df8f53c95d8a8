// tests/controller/reconcile_test_util.h
//
// Builders for the pure controller tests: a JobSet with named replicated jobs, its child Jobs as the
// controller would create them, and Job status edits (ready, complete, failed).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "api/expand.h"
#include "api/job.h"
#include "api/jobset.h"
#include "kube/micro_time.h"

namespace phalanx::controller::testing {

inline absl::Time T(int seconds) { return absl::FromUnixSeconds(1800000000 + seconds); }
inline std::string TS(int seconds) { return kube::FormatTime(T(seconds)); }

inline api::JobSet NewJobSet(const std::vector<std::pair<std::string, int>>& rjobs) {
  api::JobSet js;
  js.metadata.name = "js";
  js.metadata.namespace_ = "default";
  js.metadata.uid = "js-uid";
  js.metadata.resource_version = "1";
  js.spec.replicated_jobs.emplace();
  for (const auto& [name, replicas] : rjobs) {
    api::ReplicatedJob rj;
    rj.name = name;
    rj.replicas = replicas;
    rj.template_.spec.parallelism = 1;
    rj.template_.spec.completions = 1;
    rj.template_.spec.completion_mode = "Indexed";
    rj.template_.spec.template_.spec.restart_policy = "Never";
    js.spec.replicated_jobs->push_back(std::move(rj));
  }
  js.spec.network = api::Network{};
  js.spec.network->enable_dns_hostnames = true;
  js.spec.network->publish_not_ready_addresses = true;
  js.spec.success_policy = api::SuccessPolicy{};
  js.spec.success_policy->operator_ = "All";
  js.spec.startup_policy = api::StartupPolicy{};
  js.spec.startup_policy->startup_policy_order = "AnyOrder";
  js.status = api::JobSetStatus{};
  return js;
}

// Every child Job of the current attempt, as created (no status yet).
inline std::vector<api::Job> Children(const api::JobSet& js) {
  int32_t restarts = js.status ? js.status->restarts : 0;
  std::vector<api::Job> jobs = api::Expand(js, restarts).value().jobs;
  for (api::Job& j : jobs) j.metadata.uid = j.metadata.name_or_empty() + "-uid";
  return jobs;
}

inline api::Job* Find(std::vector<api::Job>& jobs, const std::string& name) {
  for (api::Job& j : jobs) {
    if (j.metadata.name == name) return &j;
  }
  return nullptr;
}

inline void SetReady(api::Job& job) {
  if (!job.status) job.status.emplace();
  job.status->active = 1;
  job.status->ready = 1;
  job.status->start_time = TS(0);
}

inline void SetComplete(api::Job& job, int at) {
  if (!job.status) job.status.emplace();
  job.status->active = 0;
  job.status->ready = 0;
  job.status->succeeded = 1;
  api::JobCondition c;
  c.type = "Complete";
  c.status = "True";
  c.reason = "CompletionsReached";
  c.message = "Reached expected number of succeeded pods";
  c.last_transition_time = TS(at);
  job.status->conditions.push_back(c);
}

inline void SetFailed(api::Job& job, int at, std::string reason = "BackoffLimitExceeded",
                      std::string message = "Job has reached the specified backoff limit") {
  if (!job.status) job.status.emplace();
  job.status->active = 0;
  job.status->ready = 0;
  job.status->failed = 1;
  api::JobCondition ft;
  ft.type = "FailureTarget";
  ft.status = "True";
  ft.reason = reason;
  ft.message = message;
  ft.last_transition_time = TS(at);
  job.status->conditions.push_back(ft);
  api::JobCondition c = ft;
  c.type = "Failed";
  job.status->conditions.push_back(c);
}

}  // namespace phalanx::controller::testing
