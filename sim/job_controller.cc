#include "sim/job_controller.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "kube/micro_time.h"
#include "kube/resource.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"
#include "rapidjson/document.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

constexpr char kJobNameLabel[] = "batch.kubernetes.io/job-name";
constexpr char kControllerUidLabel[] = "batch.kubernetes.io/controller-uid";
constexpr char kIndexKey[] = "batch.kubernetes.io/job-completion-index";

json Parse(const std::string& text) { return json::parse(text, nullptr, false); }

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
                  const std::string& message, const std::string& now) {
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

std::string StrOf(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// What spec.podFailurePolicy decides for one Failed pod.
struct PolicyOutcome {
  enum class Action { kCount, kIgnore, kFailJob } action = Action::kCount;
  std::string message;  // for kFailJob
};

// The first rule of `policy` matching the Failed `pod` (upstream's order: rules in order; within
// onExitCodes, init containers then containers, non-zero exit codes of terminated containers only).
PolicyOutcome MatchPodFailurePolicy(const json& policy, const json& pod, const std::string& ns) {
  PolicyOutcome out;
  if (!policy.is_object() || !policy.contains("rules") || !policy["rules"].is_array()) return out;
  const std::string pod_name = pod["metadata"].value("name", "");
  const json status = pod.value("status", json::object());
  const json& rules = policy["rules"];
  for (size_t i = 0; i < rules.size(); ++i) {
    const json& rule = rules[i];
    if (!rule.is_object()) continue;
    const std::string action = StrOf(rule, "action");
    std::string matched;  // non-empty: the rule matches (the FailJob message)
    if (rule.contains("onExitCodes") && rule["onExitCodes"].is_object()) {
      const json& req = rule["onExitCodes"];
      const std::string container = StrOf(req, "containerName");
      const std::string op = StrOf(req, "operator");
      std::set<int64_t> values;
      if (req.contains("values") && req["values"].is_array()) {
        for (const json& v : req["values"]) {
          if (v.is_number_integer()) values.insert(v.get<int64_t>());
        }
      }
      for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
        if (!matched.empty() || !status.is_object() || !status.contains(list) || !status[list].is_array()) continue;
        for (const json& cs : status[list]) {
          if (!cs.is_object() || !cs.contains("state") || !cs["state"].is_object()) continue;
          const json& state = cs["state"];
          if (!state.contains("terminated") || !state["terminated"].is_object()) continue;
          const json& term = state["terminated"];
          if (!term.contains("exitCode") || !term["exitCode"].is_number_integer()) continue;
          const int64_t code = term["exitCode"].get<int64_t>();
          const std::string name = StrOf(cs, "name");
          if (code == 0 || (!container.empty() && name != container)) continue;
          const bool in = values.count(code) > 0;
          if ((op == "In" && in) || (op == "NotIn" && !in)) {
            matched = absl::StrCat("Container ", name, " for pod ", ns, "/", pod_name, " failed with exit code ", code,
                                   " matching FailJob rule at index ", i);
            break;
          }
        }
      }
    } else if (rule.contains("onPodConditions") && rule["onPodConditions"].is_array()) {
      for (const json& pattern : rule["onPodConditions"]) {
        if (!matched.empty()) break;
        const std::string type = StrOf(pattern, "type");
        std::string want = StrOf(pattern, "status");
        if (want.empty()) want = "True";
        if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) continue;
        for (const json& c : status["conditions"]) {
          if (StrOf(c, "type") == type && StrOf(c, "status") == want) {
            matched = absl::StrCat("Pod ", ns, "/", pod_name, " has condition ", type,
                                   " matching FailJob rule at index ", i);
            break;
          }
        }
      }
    }
    if (matched.empty()) continue;
    if (action == "FailJob") {
      out.action = PolicyOutcome::Action::kFailJob;
      out.message = std::move(matched);
    } else if (action == "Ignore") {
      out.action = PolicyOutcome::Action::kIgnore;
    }
    return out;  // Count, FailIndex (not modelled): counted as usual
  }
  return out;
}

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

bool StringIs(const rapidjson::Value* v, absl::string_view want) {
  return v != nullptr && v->IsString() && absl::string_view(v->GetString(), v->GetStringLength()) == want;
}

// The fields of `text` a sync reads, as Phase, PodIndex, Deleting and the Ready condition read them.
void DecodePodView(const std::string& text, std::string* name, std::string* phase, int* index, bool* deleting,
                   bool* ready) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  *phase = "Pending";
  *index = -1;
  *deleting = false;
  *ready = false;
  if (doc.HasParseError() || !doc.IsObject()) return;
  if (const rapidjson::Value* meta = Member(doc, "metadata")) {
    const rapidjson::Value* n = Member(*meta, "name");
    if (n != nullptr && n->IsString()) name->assign(n->GetString(), n->GetStringLength());
    *deleting = meta->IsObject() && meta->HasMember("deletionTimestamp");
    const rapidjson::Value* annotations = Member(*meta, "annotations");
    const rapidjson::Value* v = annotations != nullptr ? Member(*annotations, kIndexKey) : nullptr;
    int parsed = -1;
    if (v != nullptr && v->IsString() && absl::SimpleAtoi(absl::string_view(v->GetString(), v->GetStringLength()), &parsed)) {
      *index = parsed;
    }
  }
  const rapidjson::Value* status = Member(doc, "status");
  if (status == nullptr) return;
  const rapidjson::Value* ph = Member(*status, "phase");
  if (ph != nullptr && ph->IsString()) phase->assign(ph->GetString(), ph->GetStringLength());
  const rapidjson::Value* conditions = Member(*status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) return;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (!StringIs(Member(c, "type"), "Ready")) continue;
    *ready = StringIs(Member(c, "status"), "True");
    break;
  }
}

}  // namespace

JobController::PodView JobController::ViewOf(const kube::Object& obj, bool* changed) {
  const std::pair<std::string, std::string> key(obj.meta.namespace_, obj.meta.name);
  std::optional<PodView> before;
  {
    absl::MutexLock l(&mu_);
    auto it = pod_views_.find(key);
    if (it != pod_views_.end() && it->second.uid == obj.meta.uid) {
      if (!obj.meta.resource_version.empty() && it->second.resource_version == obj.meta.resource_version) {
        if (changed != nullptr) *changed = false;
        return it->second;
      }
      before = it->second;
    }
  }
  PodView view;
  view.uid = obj.meta.uid;
  view.resource_version = obj.meta.resource_version;
  DecodePodView(obj.json, &view.name, &view.phase, &view.index, &view.deleting, &view.ready);
  auto label = [&](const char* k) {
    auto it = obj.meta.labels.find(k);
    return it == obj.meta.labels.end() ? std::string() : it->second;
  };
  view.job_name = label(kJobNameLabel);
  view.controller_uid = label(kControllerUidLabel);
  if (changed != nullptr) *changed = !before.has_value() || !before->SameOutcome(view);
  absl::MutexLock l(&mu_);
  pod_views_[key] = view;
  return view;
}

JobController::JobController(kube::MemoryCluster& cluster, JobControllerOptions options)
    : cluster_(cluster), options_(options), clock_(options_.clock != nullptr ? *options_.clock : real_clock_) {}

std::string JobController::Now() const { return kube::FormatTime(clock_.Now()); }

JobController::~JobController() { Stop(); }

void JobController::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  Setup();
  jobs_->Start();
  pods_->Start();
  worker_ = std::thread([this] { Run(); });
}

void JobController::Setup() {
  if (jobs_ != nullptr) return;
  // Syncs read the cluster itself; the informers only say which Job to look at.
  kube::InformerOptions io;
  io.cache_transform = [](kube::Object& o) { o.json.clear(); };
  jobs_ = std::make_unique<kube::Informer>(cluster_, kube::kJobs, io);
  pods_ = std::make_unique<kube::Informer>(cluster_, kube::kPods, io);
  jobs_->AddHandlers({[this](const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); },
                      [this](const kube::Object&, const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); },
                      [this](const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); }});
  auto pod_changed = [this](const kube::Object& o) {
    auto it = o.meta.labels.find(kJobNameLabel);
    if (it != o.meta.labels.end()) Enqueue(o.meta.namespace_, it->second);
  };
  // An update that changes nothing a sync reads (a binding, a status detail) would sync to the same
  // outcome: skipped. A Failed pod's whole status feeds the failure policy: always looked at.
  auto pod_updated = [this, pod_changed](const kube::Object&, const kube::Object& o) {
    bool changed = true;
    const PodView view = ViewOf(o, &changed);
    if (changed || view.phase == "Failed") pod_changed(o);
  };
  auto pod_added = [this, pod_changed](const kube::Object& o) {
    ViewOf(o, nullptr);
    pod_changed(o);
  };
  auto pod_deleted = [this, pod_changed](const kube::Object& o) {
    {
      absl::MutexLock l(&mu_);
      pod_views_.erase({o.meta.namespace_, o.meta.name});
    }
    pod_changed(o);
  };
  pods_->AddHandlers({pod_added, pod_updated, pod_deleted});
}

bool JobController::Step() {
  Setup();
  bool progress = jobs_->Pump() > 0;
  progress = pods_->Pump() > 0 || progress;
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock l(&mu_);
    for (auto it = retry_at_.begin(); it != retry_at_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      if (queued_.insert(it->first).second) queue_.push_back(it->first);
      it = retry_at_.erase(it);
    }
  }
  while (true) {
    std::pair<std::string, std::string> key;
    {
      absl::MutexLock l(&mu_);
      if (queue_.empty()) break;
      key = queue_.front();
      queue_.pop_front();
      queued_.erase(key);
    }
    progress = true;
    absl::Status st = SyncJob(key.first, key.second);
    if (!st.ok() && !absl::IsNotFound(st)) {
      absl::MutexLock l(&mu_);
      retry_at_[key] = now + absl::Seconds(1);
    }
    // This sync's writes come back before the next Job is looked at (its own events requeue it once).
    jobs_->Pump();
    pods_->Pump();
  }
  return progress;
}

absl::Time JobController::NextWakeup() const {
  absl::MutexLock l(&mu_);
  absl::Time t = absl::InfiniteFuture();
  for (const auto& [key, at] : retry_at_) t = std::min(t, at);
  return t;
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
  std::vector<PodView> pods;
  std::vector<const kube::Object*> pod_objects;  // parallel to `pods`
  for (const kube::Object& o : listed->items) {
    auto owner = o.meta.labels.find(kControllerUidLabel);
    if (owner != o.meta.labels.end() && owner->second == uid) {
      pods.push_back(ViewOf(o, nullptr));
      pod_objects.push_back(&o);
    } else if (!o.meta.deletion_timestamp) {
      absl::Status st = cluster_.Delete(kube::kPods, ns, o.meta.name);
      if (!st.ok() && !absl::IsNotFound(st)) return st;
    }
  }
  if (!got.ok()) return absl::OkStatus();
  json job = Parse(got->json);
  if (job.is_discarded()) return absl::InternalError("job is not JSON");

  auto delete_running = [&]() -> absl::Status {
    for (const PodView& p : pods) {
      if (p.phase == "Succeeded" || p.phase == "Failed" || p.deleting) continue;
      absl::Status st = cluster_.Delete(kube::kPods, ns, p.name);
      if (!st.ok() && !absl::IsNotFound(st)) return st;
    }
    return absl::OkStatus();
  };

  if (Deleting(job)) {
    for (const PodView& p : pods) {
      if (p.deleting) continue;
      absl::Status st = cluster_.Delete(kube::kPods, ns, p.name);
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

  const json policy = spec.value("podFailurePolicy", json());
  std::set<int> succeeded_indexes;
  std::map<int, const PodView*> running;
  std::map<std::string, size_t> failed_pods;  // name order: the policy's verdicts are repeatable
  int32_t failed = 0, ready = 0;
  for (size_t i = 0; i < pods.size(); ++i) {
    const PodView& p = pods[i];
    if (p.phase == "Succeeded") {
      succeeded_indexes.insert(p.index);
    } else if (p.phase == "Failed") {
      failed_pods[p.name] = i;
    } else if (!p.deleting) {
      running[p.index] = &p;
      if (p.phase == "Running" && p.ready) ++ready;
    }
  }

  std::string fail_job_message;  // a FailJob rule matched
  for (const auto& [pod_name, i] : failed_pods) {
    // Only a policy reads more of a Failed pod than its view: the whole pod then.
    PolicyOutcome verdict =
        policy.is_object() ? MatchPodFailurePolicy(policy, Parse(pod_objects[i]->json), ns) : PolicyOutcome{};
    if (verdict.action == PolicyOutcome::Action::kIgnore) continue;
    ++failed;
    if (verdict.action == PolicyOutcome::Action::kFailJob && fail_job_message.empty()) {
      fail_job_message = std::move(verdict.message);
    }
  }

  if (finished) {
    return delete_running();
  }

  const std::string now = Now();
  bool create_pods = false;
  if (!fail_job_message.empty()) {
    SetCondition(status, "FailureTarget", "True", "PodFailurePolicy", fail_job_message, now);
    SetCondition(status, "Failed", "True", "PodFailurePolicy", fail_job_message, now);
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
  } else if ((int32_t)succeeded_indexes.size() >= completions) {
    SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
    SetCondition(status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
    status["completionTime"] = now;
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
  } else if (failed > backoff_limit) {
    SetCondition(status, "FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
    SetCondition(status, "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
  } else if (suspend) {
    absl::Status st = delete_running();
    if (!st.ok()) return st;
    running.clear();
    ready = 0;
    SetCondition(status, "Suspended", "True", "JobSuspended", "Job suspended", now);
  } else {
    if (ConditionTrue(status, "Suspended")) SetCondition(status, "Suspended", "False", "JobResumed", "Job resumed", now);
    if (!status.contains("startTime")) status["startTime"] = now;
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
