#include "controller/reconcile.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "api/expand.h"
#include "api/labels.h"
#include "controller/classification.h"
#include "controller/failure_policy.h"
#include "controller/observation.h"
#include "controller/replicated_job_status.h"
#include "controller/resume.h"
#include "controller/startup.h"
#include "controller/success_policy.h"
#include "controller/ttl.h"
#include "common/strings.h"

namespace phalanx::controller {
namespace {

bool Terminating(const api::Job& job) { return job.metadata.deletion_timestamp.has_value(); }

JobRef RefOf(const api::Job& job) { return JobRef{job.metadata.name_or_empty(), job.metadata.uid.value_or("")}; }

void Finish(StatusUpdate& update, Plan& plan) {
  if (update.changed) plan.new_status = std::move(update.status);
  plan.events = std::move(update.events);
  plan.terminal = update.terminal;
}

bool DnsHostnamesEnabled(const api::JobSet& js) {
  return js.spec.network && js.spec.network->enable_dns_hostnames.value_or(false);
}

}  // namespace

absl::StatusOr<Plan> Reconcile(const api::JobSet& jobset, const std::vector<api::Job>& jobs,
                               const std::vector<api::Service>& services, absl::Time now) {
  std::vector<const api::Job*> job_ptrs;
  job_ptrs.reserve(jobs.size());
  for (const api::Job& j : jobs) job_ptrs.push_back(&j);
  std::vector<const api::Service*> svc_ptrs;
  for (const api::Service& s : services) svc_ptrs.push_back(&s);
  return Reconcile(jobset, job_ptrs, svc_ptrs, now);
}

absl::StatusOr<Plan> Reconcile(const api::JobSet& jobset, const std::vector<const api::Job*>& jobs,
                               const std::vector<const api::Service*>& services, absl::Time now) {
  Plan plan;
  // 1–2. Being deleted, or someone else's.
  if (jobset.metadata.deletion_timestamp) {
    plan.skip = true;
    return plan;
  }
  if (jobset.spec.managed_by && *jobset.spec.managed_by != api::kJobSetControllerName) {
    plan.skip = true;
    return plan;
  }

  StatusUpdate update;
  if (jobset.status) update.status = *jobset.status;

  // 3. Owned Jobs, classified; status counters (one pass, see controller/observation.h).
  absl::StatusOr<Observation> observed = Observe(jobset, jobs);
  if (!observed.ok()) return observed.status();
  const ChildJobs& child = observed->jobs;
  const std::vector<api::ReplicatedJobStatus>& rjob_statuses = observed->statuses;
  if (!SameReplicatedJobsStatus(rjob_statuses, update.status.replicated_jobs_status)) {
    update.status.replicated_jobs_status = rjob_statuses;
    update.changed = true;
  }

  // 4. Finished: only clean-up and TTL.
  if (JobSetFinished(update.status)) {
    absl::StatusOr<TtlDecision> ttl = EvaluateTtl(jobset, update.status, now);
    if (!ttl.ok()) return ttl.status();
    plan.delete_jobset = ttl->delete_now;
    plan.requeue_after = ttl->requeue_after;
    for (const api::Job* j : child.active) {
      if (!Terminating(*j)) plan.delete_jobs.push_back(RefOf(*j));
    }
    Finish(update, plan);
    return plan;
  }

  // 5. Previous attempts go, with foreground propagation.
  for (const api::Job* j : child.previous) {
    if (!Terminating(*j)) plan.delete_jobs.push_back(RefOf(*j));
  }

  // 6. All Jobs ready.
  const bool suspended = jobset.spec.suspend.value_or(false);
  int64_t ready_or_done = 0, replicas_total = 0;
  for (const auto& s : rjob_statuses) ready_or_done += s.ready + s.succeeded;
  for (const api::ReplicatedJob& rj : jobset.spec.rjobs()) replicas_total += rj.replicas_or_default();
  if (!suspended && ready_or_done == replicas_total) {
    update.SetCondition({std::string(kConditionRestarting), "False", std::string(kReasonJobsReady),
                         std::string(kMessageJobsReady), std::string(kEventNormal)},
                        now);
  }

  // 7. Failures first: the failure policy decides, and nothing else happens this round.
  if (!child.failed.empty()) {
    absl::Status st = ApplyFailurePolicy(jobset, child, update, now);
    if (!st.ok()) return st;
    Finish(update, plan);
    return plan;
  }

  // 8. Success policy.
  if (!child.successful.empty() && SuccessPolicySatisfied(jobset, child)) {
    update.SetCompleted(now);
    Finish(update, plan);
    return plan;
  }

  // 9. Headless Service.
  if (DnsHostnamesEnabled(jobset)) {
    const std::string subdomain = api::Subdomain(jobset);
    const std::string ns = jobset.metadata.namespace_or_default();
    bool exists = false;
    for (const api::Service* s : services) {
      if (s->metadata.name_or_empty() == subdomain && s->metadata.namespace_or_default() == ns) exists = true;
    }
    if (!exists) plan.create_service = api::ExpandService(jobset);
  }

  // 12. Missing Jobs, honouring BlockingRecreate, InOrder and dependsOn.
  const bool in_order = InOrderStartup(jobset);
  const bool blocking = jobset.spec.failure_policy &&
                        jobset.spec.failure_policy->restart_strategy.value_or("Recreate") == "BlockingRecreate";
  const bool creation_blocked = blocking && !child.previous.empty();
  const absl::flat_hash_set<std::string_view>& existing = observed->names;
  const auto& rjobs = jobset.spec.rjobs();
  const std::string js_name = jobset.metadata.name_or_empty();
  {
    std::map<std::string, int32_t> replicas_seen;
    bool in_order_waiting = false;
    for (size_t i = 0; i < rjobs.size(); ++i) {
      const api::ReplicatedJob& rj = rjobs[i];
      const int32_t replicas = rj.replicas_or_default();
      replicas_seen[rj.name] = replicas;
      const api::ReplicatedJobStatus* status = FindReplicatedJobStatus(rjob_statuses, rj.name);
      if (!suspended && in_order && AllReplicasStarted(replicas, status)) continue;
      if (!DependenciesReached(rj, replicas_seen, rjob_statuses)) continue;
      if (!creation_blocked) {
        for (int32_t idx = 0; idx < replicas; ++idx) {
          if (existing.contains(absl::StrCat(js_name, "-", rj.name, "-", idx))) continue;
          plan.create_jobs.push_back(api::ExpandJob(jobset, i, idx, update.status.restarts));
        }
      }
      if (!suspended && in_order) {
        update.SetCondition({std::string(kConditionStartupInProgress), "True", std::string(kReasonInOrderInProgress),
                             std::string(kMessageInOrderInProgress), std::string(kEventNormal)},
                            now);
        in_order_waiting = true;
        break;
      }
    }
    if (!suspended && in_order && !in_order_waiting) {
      update.SetCondition({std::string(kConditionStartupCompleted), "True", std::string(kReasonInOrderCompleted),
                           std::string(kMessageInOrderCompleted), std::string(kEventNormal)},
                          now);
    }
  }

  // 13. Suspend or resume.
  if (suspended) {
    for (const api::Job* j : child.active) {
      if (j->spec.suspend.value_or(false) || Terminating(*j)) continue;
      JobUpdate u{*j, false};
      u.job.spec.suspend = true;
      plan.update_jobs.push_back(std::move(u));
    }
    update.SetSuspended(now);
  } else {
    // Only active Jobs with spec.suspend are resumed; the counters say whether there are any.
    bool any_suspended = false;
    for (const auto& s : rjob_statuses) any_suspended = any_suspended || s.suspended > 0;
    absl::flat_hash_map<std::string_view, std::vector<const api::Job*>> active_by_rjob;
    for (const api::Job* j : child.active) {
      if (!any_suspended || !j->spec.suspend.value_or(false)) continue;
      const std::string* rj = LabelValue(j->metadata, api::kReplicatedJobNameKey);
      active_by_rjob[rj != nullptr ? std::string_view(*rj) : std::string_view()].push_back(j);
    }
    std::map<std::string, int32_t> replicas_seen;
    bool returned_early = false;
    for (const api::ReplicatedJob& rj : rjobs) {
      const int32_t replicas = rj.replicas_or_default();
      replicas_seen[rj.name] = replicas;
      const api::ReplicatedJobStatus* status = FindReplicatedJobStatus(rjob_statuses, rj.name);
      if (in_order && AllReplicasStarted(replicas, status)) continue;
      if (!DependenciesReached(rj, replicas_seen, rjob_statuses)) continue;
      auto it = active_by_rjob.find(rj.name);
      if (it != active_by_rjob.end()) {
        for (const api::Job* j : it->second) {
          if (Terminating(*j)) continue;
          JobUpdate u{*j, false};
          if (u.job.status && u.job.status->start_time) {
            u.clear_start_time = true;
            u.job.status->start_time.reset();
          }
          MergePodTemplateForResume(u.job.spec.template_, rj.template_.spec.template_);
          u.job.spec.suspend = false;
          plan.update_jobs.push_back(std::move(u));
        }
      }
      if (in_order) {
        // Upstream returns here: Suspended stays True until every replicated job has started.
        returned_early = true;
        break;
      }
    }
    if (!returned_early) update.SetResumed(now);
  }

  Finish(update, plan);
  return plan;
}

}  // namespace phalanx::controller
