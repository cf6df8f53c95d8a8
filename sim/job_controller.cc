#include "sim/job_controller.h"

#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "kube/micro_time.h"
#include "kube/resource.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {
namespace {

using nlohmann::json;

constexpr char kJobNameLabel[] = "batch.kubernetes.io/job-name";
constexpr char kControllerUidLabel[] = "batch.kubernetes.io/controller-uid";
constexpr char kIndexKey[] = "batch.kubernetes.io/job-completion-index";

json Parse(const std::string& text) { return json::parse(text, nullptr, false); }

std::string Now() { return kube::FormatTime(absl::Now()); }

json* FindCondition(json& status, const std::string& type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (json& c : status["conditions"]) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

bool ConditionTrue(json& status, const std::string& type) {
  json* c = FindCondition(status, type);
  return c != nullptr && c->value("status", "") == "True";
}

void SetCondition(json& status, const std::string& type, const std::string& cond_status, const std::string& reason,
                  const std::string& message) {
  std::string now = Now();
  json* c = FindCondition(status, type);
  if (c != nullptr) {
    if ((*c)["status"] != cond_status) (*c)["lastTransitionTime"] = now;
    (*c)["status"] = cond_status;
    (*c)["reason"] = reason;
    (*c)["message"] = message;
    (*c)["lastProbeTime"] = now;
    return;
  }
  if (!status.contains("conditions")) status["conditions"] = json::array();
  status["conditions"].push_back({{"type", type},
                                  {"status", cond_status},
                                  {"reason", reason},
                                  {"message", message},
                                  {"lastProbeTime", now},
                                  {"lastTransitionTime", now}});
}

int PodIndex(const json& pod) {
  int index = -1;
  std::string v = pod["metadata"].value("annotations", json::object()).value(kIndexKey, "");
  if (!absl::SimpleAtoi(v, &index)) return -1;
  return index;
}

std::string Phase(const json& pod) {
  if (!pod.contains("status")) return "Pending";
  return pod["status"].value("phase", "Pending");
}

bool Deleting(const json& obj) { return obj["metadata"].contains("deletionTimestamp"); }

int32_t IntOr(const json& obj, const char* key, int32_t def) {
  if (obj.contains(key) && obj[key].is_number_integer()) return obj[key].get<int32_t>();
  return def;
}

}  // namespace

JobController::JobController(kube::MemoryCluster& cluster, JobControllerOptions options)
    : cluster_(cluster), options_(options) {}

JobController::~JobController() { Stop(); }

void JobController::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  jobs_ = std::make_unique<kube::Informer>(cluster_, kube::kJobs);
  pods_ = std::make_unique<kube::Informer>(cluster_, kube::kPods);
  jobs_->AddHandlers({[this](const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); },
                      [this](const kube::Object&, const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); },
                      [this](const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); }});
  auto pod_changed = [this](const kube::Object& o) {
    auto it = o.meta.labels.find(kJobNameLabel);
    if (it != o.meta.labels.end()) Enqueue(o.meta.namespace_, it->second);
  };
  pods_->AddHandlers({pod_changed, [pod_changed](const kube::Object&, const kube::Object& o) { pod_changed(o); },
                      pod_changed});
  jobs_->Start();
  pods_->Start();
  worker_ = std::thread([this] { Run(); });
}

void JobController::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  if (jobs_) jobs_->Stop();
  if (pods_) pods_->Stop();
  if (worker_.joinable()) worker_.join();
}

void JobController::Enqueue(const std::string& ns, const std::string& name) {
  absl::MutexLock l(&mu_);
  auto key = std::make_pair(ns, name);
  if (queued_.insert(key).second) queue_.push_back(key);
}

void JobController::Run() {
  while (true) {
    std::pair<std::string, std::string> key;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (stopping_) return;
      if (queue_.empty()) continue;
      key = queue_.front();
      queue_.pop_front();
      queued_.erase(key);
    }
    absl::Status st = SyncJob(key.first, key.second);
    if (!st.ok() && !absl::IsNotFound(st)) {
      // Conflicts and races with the JobSet controller: try again shortly.
      absl::SleepFor(absl::Milliseconds(5));
      Enqueue(key.first, key.second);
    }
  }
}

int64_t JobController::PodsCreated() const {
  absl::MutexLock l(&mu_);
  return pods_created_;
}

absl::Status JobController::SyncJob(const std::string& ns, const std::string& name) {
  absl::StatusOr<kube::Object> got = cluster_.Get(kube::kJobs, ns, name);
  if (!got.ok() && !absl::IsNotFound(got.status())) return got.status();
  const std::string uid = got.ok() ? got->meta.uid : "";

  // Pods carrying the name: this Job's, and orphans of a deleted namesake (a pod created while its Job
  // was being replaced), which go as the garbage collector would remove them.
  absl::StatusOr<kube::ObjectList> listed =
      cluster_.List(kube::kPods, ns, kube::ListOptions{.label_selector = absl::StrCat(kJobNameLabel, "=", name)});
  if (!listed.ok()) return listed.status();
  std::vector<json> pods;
  for (const kube::Object& o : listed->items) {
    auto owner = o.meta.labels.find(kControllerUidLabel);
    if (owner != o.meta.labels.end() && owner->second == uid) {
      pods.push_back(Parse(o.json));
    } else if (!o.meta.deletion_timestamp) {
      absl::Status st = cluster_.Delete(kube::kPods, ns, o.meta.name);
      if (!st.ok() && !absl::IsNotFound(st)) return st;
    }
  }
  if (!got.ok()) return absl::OkStatus();
  json job = Parse(got->json);
  if (job.is_discarded()) return absl::InternalError("job is not JSON");

  auto delete_running = [&]() -> absl::Status {
    for (const json& p : pods) {
      std::string phase = Phase(p);
      if (phase == "Succeeded" || phase == "Failed" || Deleting(p)) continue;
      absl::Status st = cluster_.Delete(kube::kPods, ns, p["metadata"]["name"].get<std::string>());
      if (!st.ok() && !absl::IsNotFound(st)) return st;
    }
    return absl::OkStatus();
  };

  if (Deleting(job)) {
    for (const json& p : pods) {
      if (Deleting(p)) continue;
      absl::Status st = cluster_.Delete(kube::kPods, ns, p["metadata"]["name"].get<std::string>());
      if (!st.ok() && !absl::IsNotFound(st)) return st;
    }
    return absl::OkStatus();
  }

  json status = job.contains("status") ? job["status"] : json::object();
  const json old_status = status;
  const json& spec = job["spec"];
  const int32_t parallelism = IntOr(spec, "parallelism", 1);
  const int32_t completions = IntOr(spec, "completions", parallelism);
  const int32_t backoff_limit = IntOr(spec, "backoffLimit", 6);
  const bool suspend = spec.value("suspend", false);
  const bool finished = ConditionTrue(status, "Complete") || ConditionTrue(status, "Failed");

  std::set<int> succeeded_indexes;
  std::map<int, const json*> running;
  int32_t failed = 0, ready = 0;
  for (const json& p : pods) {
    std::string phase = Phase(p);
    int index = PodIndex(p);
    if (phase == "Succeeded") {
      succeeded_indexes.insert(index);
    } else if (phase == "Failed") {
      ++failed;
    } else if (!Deleting(p)) {
      running[index] = &p;
      if (phase == "Running") {
        json* rc = nullptr;
        json pst = p["status"];
        rc = FindCondition(pst, "Ready");
        if (rc != nullptr && (*rc)["status"] == "True") ++ready;
      }
    }
  }

  if (finished) {
    return delete_running();
  }

  bool create_pods = false;
  if ((int32_t)succeeded_indexes.size() >= completions) {
    std::string now = Now();
    SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods");
    SetCondition(status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods");
    status["completionTime"] = now;
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
  } else if (failed > backoff_limit) {
    SetCondition(status, "FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    SetCondition(status, "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
  } else if (suspend) {
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
    SetCondition(status, "Suspended", "True", "JobSuspended", "Job suspended");
  } else {
    if (ConditionTrue(status, "Suspended")) SetCondition(status, "Suspended", "False", "JobResumed", "Job resumed");
    if (!status.contains("startTime")) status["startTime"] = Now();
    create_pods = true;
  }

  if (create_pods) {
    const json& tmpl = spec["template"];
    for (int index = 0; index < completions && (int32_t)running.size() < parallelism; ++index) {
      if (succeeded_indexes.count(index) || running.count(index)) continue;
      json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
      json meta = tmpl.value("metadata", json::object());
      meta.erase("creationTimestamp");
      meta["generateName"] = absl::StrCat(name, "-", index, "-");
      meta["namespace"] = ns;
      meta["labels"][kJobNameLabel] = name;
      meta["labels"][kControllerUidLabel] = uid;
      meta["labels"][kIndexKey] = absl::StrCat(index);
      meta["annotations"][kIndexKey] = absl::StrCat(index);
      meta["ownerReferences"] = json::array({{{"apiVersion", "batch/v1"},
                                              {"kind", "Job"},
                                              {"name", name},
                                              {"uid", uid},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}});
      pod["metadata"] = meta;
      pod["spec"] = tmpl.value("spec", json::object());
      if (pod["spec"].contains("subdomain")) pod["spec"]["hostname"] = absl::StrCat(name, "-", index);
      absl::StatusOr<kube::Object> created = cluster_.Create(kube::kPods, ns, JsonText(pod));
      if (!created.ok()) return created.status();
      {
        absl::MutexLock l(&mu_);
        ++pods_created_;
      }
      running[index] = nullptr;
      if (options_.pods_start_ready && options_.run_pods_without_scheduler) {
        json p = Parse(created->json);
        std::string now = Now();
        p["status"] = {{"phase", "Running"},
                       {"startTime", now},
                       {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}}})}};
        absl::StatusOr<kube::Object> updated = cluster_.UpdateStatus(kube::kPods, ns, JsonText(p));
        if (!updated.ok()) return updated.status();
        ++ready;
      }
    }
  }

  status["active"] = (int32_t)running.size();
  status["ready"] = ready;
  status["succeeded"] = (int32_t)succeeded_indexes.size();
  status["failed"] = failed;
  status["terminating"] = 0;
  if (!status.contains("uncountedTerminatedPods")) status["uncountedTerminatedPods"] = json::object();
  if (status == old_status) return absl::OkStatus();
  job["status"] = status;
  absl::StatusOr<kube::Object> written = cluster_.UpdateStatus(kube::kJobs, ns, JsonText(job));
  return written.status();
}

absl::Status JobController::SetPodPhase(const std::string& ns, const std::string& job, int index,
                                        const std::string& phase) {
  // Only pods of the Job now carrying this name (a pod created for a deleted namesake may linger until
  // garbage collection).
  absl::StatusOr<kube::Object> current_job = cluster_.Get(kube::kJobs, ns, job);
  if (!current_job.ok()) return current_job.status();
  absl::StatusOr<kube::ObjectList> listed = cluster_.List(
      kube::kPods, ns, kube::ListOptions{.label_selector = absl::StrCat(kControllerUidLabel, "=", current_job->meta.uid)});
  if (!listed.ok()) return listed.status();
  int changed = 0;
  for (const kube::Object& o : listed->items) {
    json p = Parse(o.json);
    std::string current = Phase(p);
    if (current == "Succeeded" || current == "Failed" || Deleting(p)) continue;
    if (index >= 0 && PodIndex(p) != index) continue;
    std::string now = Now();
    p["status"]["phase"] = phase;
    if (phase == "Running") {
      p["status"]["conditions"] =
          json::array({{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}}});
    } else {
      p["status"]["conditions"] =
          json::array({{{"type", "Ready"}, {"status", "False"}, {"lastTransitionTime", now}}});
    }
    absl::StatusOr<kube::Object> updated = cluster_.UpdateStatus(kube::kPods, ns, JsonText(p));
    if (!updated.ok()) return updated.status();
    ++changed;
    if (index >= 0) return absl::OkStatus();
  }
  if (changed == 0) {
    return absl::NotFoundError(absl::StrCat("no running pod of ", job, index >= 0 ? absl::StrCat(" with index ", index) : ""));
  }
  return absl::OkStatus();
}

absl::Status JobController::SetPodPhaseRetrying(const std::string& ns, const std::string& job, int index,
                                                const std::string& phase) {
  // The worker writes pod status too (Running right after creation): retry on conflicts.
  return kube::RetryOnConflict([&] { return SetPodPhase(ns, job, index, phase); },
                               kube::RetryBackoff{.attempts = 20, .initial = absl::Milliseconds(1), .factor = 1.5});
}

absl::Status JobController::SucceedIndex(const std::string& ns, const std::string& job, int index) {
  return SetPodPhaseRetrying(ns, job, index, "Succeeded");
}
absl::Status JobController::FailIndex(const std::string& ns, const std::string& job, int index) {
  return SetPodPhaseRetrying(ns, job, index, "Failed");
}
absl::Status JobController::SucceedJob(const std::string& ns, const std::string& job) {
  return SetPodPhaseRetrying(ns, job, -1, "Succeeded");
}
absl::Status JobController::MakeReady(const std::string& ns, const std::string& job) {
  return SetPodPhaseRetrying(ns, job, -1, "Running");
}

}  // namespace phalanx::sim
