#include "controller/observation.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/labels.h"

namespace phalanx::controller {
namespace {

bool ControlledBy(const api::ObjectMeta& meta, const std::string& uid) {
  if (!meta.owner_references) return false;
  for (const api::OwnerReference& ref : *meta.owner_references) {
    if (ref.controller.value_or(false)) {
      return ref.uid == uid && ref.kind == api::kJobSetKind && ref.api_version == api::kJobSetApiVersion;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Observation> Observe(const api::JobSet& jobset, const std::vector<const api::Job*>& jobs) {
  static const std::string kRjobKey(api::kReplicatedJobNameKey);
  static const std::string kRestartKey(api::kRestartsKey);
  Observation out;
  const std::string uid = jobset.metadata.uid.value_or("");
  const int32_t restarts = jobset.status ? jobset.status->restarts : 0;
  absl::flat_hash_map<std::string_view, size_t> index;
  for (const api::ReplicatedJob& rj : jobset.spec.rjobs()) {
    if (index.contains(rj.name)) continue;
    index.emplace(rj.name, out.statuses.size());
    api::ReplicatedJobStatus s;
    s.name = rj.name;
    out.statuses.push_back(std::move(s));
  }
  out.names.reserve(jobs.size());
  for (const api::Job* job : jobs) {
    if (!ControlledBy(job->metadata, uid)) continue;
    if (job->metadata.name) out.names.insert(*job->metadata.name);
    // Both labels in one descent: restart-attempt sorts a few keys after replicatedjob-name.
    const std::string* rj = nullptr;
    const std::string* label = nullptr;
    if (job->metadata.labels) {
      const api::StringMap& labels = *job->metadata.labels;
      auto it = labels.lower_bound(kRjobKey);
      if (it != labels.end() && it->first == kRjobKey) rj = &it->second;
      for (int step = 0; step < 4 && it != labels.end(); ++step, ++it) {
        if (it->first == kRestartKey) {
          label = &it->second;
          break;
        }
      }
      if (label == nullptr) label = LabelValue(job->metadata, api::kRestartsKey);
    }
    int32_t attempt = 0;
    if (label == nullptr || !absl::SimpleAtoi(*label, &attempt)) {
      return absl::InvalidArgumentError(absl::StrCat("job ", job->metadata.name_or_empty(),
                                                     ": restart-attempt label is not an integer: \"",
                                                     label != nullptr ? *label : std::string(), "\""));
    }
    if (attempt < restarts) {
      out.jobs.previous.push_back(job);
      continue;
    }
    api::ReplicatedJobStatus* s = nullptr;
    if (rj != nullptr) {
      auto it = index.find(*rj);
      if (it != index.end()) s = &out.statuses[it->second];
    }
    bool complete = false, failed = false;
    if (job->status) {
      for (const api::JobCondition& c : job->status->conditions) {
        if (c.status != "True") continue;
        if (c.type == "Complete") complete = true;
        if (c.type == "Failed") failed = true;
      }
    }
    if (complete) {
      out.jobs.successful.push_back(job);
      if (s != nullptr) ++s->succeeded;
    } else if (failed) {
      out.jobs.failed.push_back(job);
      if (s != nullptr) ++s->failed;
    } else {
      out.jobs.active.push_back(job);
      if (s == nullptr) continue;
      int32_t ready = 0, succeeded = 0, active = 0;
      if (job->status) {
        ready = job->status->ready.value_or(0);
        succeeded = job->status->succeeded.value_or(0);
        active = job->status->active.value_or(0);
      }
      const int32_t parallelism = job->spec.parallelism.value_or(1);
      const int32_t needed = std::min(parallelism, job->spec.completions.value_or(parallelism));
      if (ready + succeeded >= needed) ++s->ready;
      if (active > 0) ++s->active;
      if (job->spec.suspend.value_or(false)) ++s->suspended;
    }
  }
  std::sort(out.jobs.failed.begin(), out.jobs.failed.end(),
            [](const api::Job* a, const api::Job* b) { return a->metadata.name < b->metadata.name; });
  return out;
}

}  // namespace phalanx::controller
