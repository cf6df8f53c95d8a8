#include "sim/kubelet.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "kube/micro_time.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"
#include "rapidjson/document.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

constexpr char kUnreachableTaint[] = "node.kubernetes.io/unreachable";

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

json Condition(const char* type, const char* status, const std::string& now, const std::string& reason = "",
               const std::string& message = "") {
  json c = {{"type", type}, {"status", status}, {"lastProbeTime", nullptr}, {"lastTransitionTime", now}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

// `pod` with `status` merged into its status (conditions merged by type, other fields replaced): the
// whole object is written back with its resourceVersion, so a pod that moved on meanwhile gets a 409.
std::string WithStatus(json pod, const json& status) {
  if (!pod.contains("status") || !pod["status"].is_object()) pod["status"] = json::object();
  json& out = pod["status"];
  for (auto it = status.begin(); it != status.end(); ++it) {
    if (it.key() != "conditions") out[it.key()] = it.value();
  }
  if (!out.contains("conditions") || !out["conditions"].is_array()) out["conditions"] = json::array();
  for (const json& c : status.value("conditions", json::array())) {
    bool replaced = false;
    for (json& have : out["conditions"]) {
      if (have.is_object() && Str(have, "type") == Str(c, "type")) {
        have = c;
        replaced = true;
      }
    }
    if (!replaced) out["conditions"].push_back(c);
  }
  return JsonText(pod);
}

// obj[key] when `obj` is an object holding a string there, else "".
std::string RapidStr(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : "";
}

std::string PhaseOf(const json& pod) {
  std::string phase = Str(pod.value("status", json::object()), "phase");
  return phase.empty() ? "Pending" : phase;
}

// The terminated status of a pod ending now: the first container with `exit_code`/`reason`, the
// others Completed (fixtures api/patch-pod-status-succeeded-index0, api/patch-pod-status-failed).
json TerminatedStatus(const json& pod, int exit_code, const std::string& reason, const std::string& now) {
  const json spec = pod.value("spec", json::object());
  const json status = pod.value("status", json::object());
  std::string default_start = Str(status, "startTime");
  if (default_start.empty()) default_start = now;
  std::map<std::string, std::string> started_at;  // container → when its running state began
  if (status.is_object() && status.contains("containerStatuses") && status["containerStatuses"].is_array()) {
    for (const json& cs : status["containerStatuses"]) {
      if (!cs.is_object() || !cs.contains("state") || !cs["state"].is_object()) continue;
      const json& st = cs["state"];
      if (st.contains("running")) started_at[Str(cs, "name")] = Str(st["running"], "startedAt");
    }
  }
  json containers = json::array();
  bool first = true;
  if (spec.is_object() && spec.contains("containers") && spec["containers"].is_array()) {
    for (const json& c : spec["containers"]) {
      const std::string name = Str(c, "name");
      const int code = first ? exit_code : 0;
      std::string why = code == 0 ? "Completed" : (reason.empty() ? "Error" : reason);
      auto s = started_at.find(name);
      const std::string started = s != started_at.end() && !s->second.empty() ? s->second : default_start;
      containers.push_back({{"name", name},
                            {"ready", false},
                            {"started", false},
                            {"restartCount", 0},
                            {"image", Str(c, "image")},
                            {"imageID", ""},
                            {"state",
                             {{"terminated",
                               {{"exitCode", code}, {"reason", why}, {"startedAt", started}, {"finishedAt", now}}}}}});
      first = false;
    }
  }
  const bool ok = exit_code == 0;
  const char* cond_reason = ok ? "PodCompleted" : "PodFailed";
  return {{"phase", ok ? "Succeeded" : "Failed"},
          {"conditions", json::array({Condition("Ready", "False", now, cond_reason),
                                      Condition("ContainersReady", "False", now, cond_reason)})},
          {"containerStatuses", containers}};
}

}  // namespace

Kubelet::Kubelet(kube::Client& client, KubeletOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_) {}

Kubelet::~Kubelet() { Stop(); }

void Kubelet::Setup() {
  if (pods_ != nullptr) return;
  // The handlers keep the little a decision needs (views_); writes read the pod from the API.
  kube::InformerOptions io;
  io.cache_transform = [](kube::Object& o) { o.json.clear(); };
  pods_ = std::make_unique<kube::Informer>(client_, kube::kPods, io);
  auto changed = [this](const kube::Object& o) { Observe(&o); };
  pods_->AddHandlers({changed, [changed](const kube::Object&, const kube::Object& o) { changed(o); },
                      [this](const kube::Object& o) {
                        absl::MutexLock l(&mu_);
                        views_.erase({o.meta.namespace_, o.meta.name});
                        queue_.insert({o.meta.namespace_, o.meta.name});
                      }});
}

void Kubelet::Observe(const kube::Object* obj) {
  PodView view;
  // Every pod event comes through here: RapidJSON reads the two fields a decision needs.
  rapidjson::Document pod;
  pod.Parse(obj->json.data(), obj->json.size());
  if (!pod.HasParseError() && pod.IsObject()) {
    view.readable = true;
    auto spec = pod.FindMember("spec");
    if (spec != pod.MemberEnd()) view.node = RapidStr(spec->value, "nodeName");
    auto status = pod.FindMember("status");
    if (status != pod.MemberEnd()) view.phase = RapidStr(status->value, "phase");
    if (view.phase.empty()) view.phase = "Pending";
  }
  view.deleting = obj->meta.deletion_timestamp.has_value();
  view.uid = obj->meta.uid;
  Key key{obj->meta.namespace_, obj->meta.name};
  absl::MutexLock l(&mu_);
  views_[key] = std::move(view);
  queue_.insert(std::move(key));
}

void Kubelet::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  Setup();
  pods_->Start();
  worker_ = std::thread([this] { Run(); });
}

void Kubelet::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  if (pods_) pods_->Stop();
  if (worker_.joinable()) worker_.join();
}

bool Kubelet::WaitForSync(absl::Duration timeout) const { return pods_ != nullptr && pods_->WaitForSync(timeout); }

void Kubelet::Enqueue(const std::string& ns, const std::string& name) {
  absl::MutexLock l(&mu_);
  queue_.insert({ns, name});
}

void Kubelet::EnqueueNode(const std::string& node) {
  absl::MutexLock l(&mu_);
  auto it = pods_by_node_.find(node);
  if (it != pods_by_node_.end()) queue_.insert(it->second.begin(), it->second.end());
}

void Kubelet::Run() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      absl::Duration wait = absl::Milliseconds(200);
      if (!ending_order_.empty()) {
        wait = std::clamp(ending_order_.begin()->first - clock_.Now(), absl::Milliseconds(1), wait);
      }
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) return;
    }
    Pass();
  }
}

bool Kubelet::Pass() {
  std::set<Key> batch;
  {
    absl::MutexLock l(&mu_);
    batch.swap(queue_);
    batch.insert(retry_.begin(), retry_.end());
    retry_.clear();
  }
  bool wrote = false;
  for (const Key& key : batch) {
    if (!SyncPod(key, &wrote)) {
      absl::MutexLock l(&mu_);
      retry_.insert(key);
    }
  }
  // Pods whose run is over.
  const absl::Time now = clock_.Now();
  std::vector<std::pair<Key, Ending>> due;
  {
    absl::MutexLock l(&mu_);
    for (auto it = ending_order_.begin(); it != ending_order_.end() && it->first <= now; ++it) {
      due.emplace_back(it->second, endings_.at(it->second));
    }
  }
  for (const auto& [key, ending] : due) {
    absl::Status st = EndPod(key, ending.exit_code, ending.reason);
    if (st.ok()) wrote = true;
    if (st.ok() || absl::IsNotFound(st) || absl::IsFailedPrecondition(st)) {
      absl::MutexLock l(&mu_);
      auto it = endings_.find(key);
      if (it != endings_.end() && it->second.at == ending.at) {
        ending_order_.erase({it->second.at, key});
        endings_.erase(it);
      }
    }
    // Other failures: tried again on the next pass.
  }
  return wrote;
}

bool Kubelet::Step() {
  Setup();
  bool progress = pods_->Pump() > 0;
  // Every write comes back as an event; a pass that wrote nothing and saw nothing new ends the step
  // (a failed write is retried on the next Step()).
  while (true) {
    const bool wrote = Pass();
    const size_t seen = pods_->Pump();
    progress = progress || wrote || seen > 0;
    if (!wrote && seen == 0) break;
  }
  return progress;
}

absl::Time Kubelet::NextWakeup() const {
  absl::MutexLock l(&mu_);
  return ending_order_.empty() ? absl::InfiniteFuture() : ending_order_.begin()->first;
}

bool Kubelet::SyncPod(const Key& key, bool* wrote) {
  std::optional<PodView> view;
  {
    absl::MutexLock l(&mu_);
    auto it = views_.find(key);
    if (it != views_.end()) view = it->second;
  }
  auto forget = [&] {
    absl::MutexLock l(&mu_);
    auto it = endings_.find(key);
    if (it == endings_.end()) return;
    ending_order_.erase({it->second.at, key});
    endings_.erase(it);
  };
  auto place = [&](const std::string& node) {  // keeps pods_by_node_ in line
    absl::MutexLock l(&mu_);
    auto it = node_of_.find(key);
    if (it != node_of_.end()) {
      if (it->second == node) return;
      auto n = pods_by_node_.find(it->second);
      if (n != pods_by_node_.end()) {
        n->second.erase(key);
        if (n->second.empty()) pods_by_node_.erase(n);
      }
      node_of_.erase(it);
    }
    if (node.empty()) return;
    node_of_[key] = node;
    pods_by_node_[node].insert(key);
  };
  if (!view.has_value()) {
    forget();
    place("");
    return true;
  }
  if (!view->readable) return true;
  const std::string& node = view->node;
  const std::string& phase = view->phase;
  place(node);

  if (view->deleting) {
    if (!options_.finish_deletions) return true;
    forget();
    kube::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    opts.precondition_uid = view->uid;
    absl::Status st = client_.Delete(kube::kPods, key.first, key.second, opts);
    if (st.ok()) {
      *wrote = true;
      absl::MutexLock l(&mu_);
      ++deletions_;
    }
    return st.ok() || absl::IsNotFound(st) || absl::IsAborted(st);
  }
  if (node.empty() || phase == "Succeeded" || phase == "Failed") {
    if (phase == "Succeeded" || phase == "Failed") forget();
    return true;
  }

  bool node_failed;
  {
    absl::MutexLock l(&mu_);
    node_failed = failed_nodes_.count(node) > 0;
  }
  if (!node_failed && !(phase == "Pending" && options_.start_pods)) return true;
  // A write: the pod as stored now (a version newer than the view brings its own event).
  absl::StatusOr<kube::Object> got = client_.Get(kube::kPods, key.first, key.second);
  if (!got.ok()) return absl::IsNotFound(got.status());
  json pod = json::parse(got->json, nullptr, false);
  if (!pod.is_object() || PhaseOf(pod) != phase || got->meta.deletion_timestamp ||
      Str(pod.value("spec", json::object()), "nodeName") != node) {
    return true;
  }
  const std::string now = kube::FormatTime(clock_.Now());
  std::string updated;
  bool starting = false;
  if (node_failed) {
    json status = {{"phase", "Failed"},
                   {"reason", "NodeLost"},
                   {"message", absl::StrCat("Node ", node, " which was running pod ", key.second, " is unresponsive")},
                   {"conditions", json::array({Condition("Ready", "False", now, "PodFailed"),
                                               Condition("ContainersReady", "False", now, "PodFailed"),
                                               Condition("DisruptionTarget", "True", now, "DeletionByTaintManager",
                                                         "Taint manager: deleting due to NoExecute taint")})}};
    updated = WithStatus(pod, status);
  } else if (phase == "Pending" && options_.start_pods) {
    starting = true;
    json containers = json::array();
    const json spec = pod.value("spec", json::object());
    if (spec.is_object() && spec.contains("containers") && spec["containers"].is_array()) {
      for (const json& c : spec["containers"]) {
        containers.push_back({{"name", Str(c, "name")},
                              {"ready", true},
                              {"started", true},
                              {"restartCount", 0},
                              {"image", Str(c, "image")},
                              {"imageID", ""},
                              {"state", {{"running", {{"startedAt", now}}}}}});
      }
    }
    json status = {{"phase", "Running"},
                   {"startTime", now},
                   {"conditions", json::array({Condition("PodReadyToStartContainers", "True", now),
                                               Condition("Initialized", "True", now), Condition("Ready", "True", now),
                                               Condition("ContainersReady", "True", now)})},
                   {"containerStatuses", containers}};
    updated = WithStatus(pod, status);
  } else {
    return true;
  }
  absl::StatusOr<kube::Object> written = client_.UpdateStatus(kube::kPods, key.first, updated);
  if (written.ok()) {
    *wrote = true;
    std::optional<PodRun> run;
    if (starting && options_.run) run = options_.run(*written);
    absl::MutexLock l(&mu_);
    if (node_failed) {
      ++failed_pods_;
      auto it = endings_.find(key);
      if (it != endings_.end()) {
        ending_order_.erase({it->second.at, key});
        endings_.erase(it);
      }
    } else {
      ++started_pods_;
      if (run.has_value()) {
        Ending e{clock_.Now() + std::max(run->duration, absl::ZeroDuration()), run->exit_code, run->reason};
        ending_order_.insert({e.at, key});
        endings_[key] = std::move(e);
      }
    }
    return true;
  }
  // A conflict means a newer version exists: its event brings the pod back. Gone pods need nothing.
  return absl::IsNotFound(written.status()) || absl::IsAborted(written.status());
}

absl::Status Kubelet::EndPod(const Key& key, int exit_code, const std::string& reason) {
  bool wrote = false;
  absl::Status st = kube::RetryOnConflict([&]() -> absl::Status {
    absl::StatusOr<kube::Object> got = client_.Get(kube::kPods, key.first, key.second);
    if (!got.ok()) return got.status();
    json pod = json::parse(got->json, nullptr, false);
    if (!pod.is_object()) return absl::FailedPreconditionError("pod is not a JSON object");
    if (PhaseOf(pod) != "Running" || got->meta.deletion_timestamp) {
      return absl::FailedPreconditionError(
          absl::StrCat("pod ", key.first, "/", key.second, " is not running (phase ", PhaseOf(pod), ")"));
    }
    const std::string now = kube::FormatTime(clock_.Now());
    absl::Status w = client_.UpdateStatus(kube::kPods, key.first, WithStatus(pod, TerminatedStatus(pod, exit_code, reason, now)))
                         .status();
    wrote = w.ok();
    return w;
  });
  if (wrote) {
    absl::MutexLock l(&mu_);
    ++finished_pods_;
  }
  return st;
}

absl::Status Kubelet::FailPod(const std::string& ns, const std::string& name, int exit_code,
                              const std::string& reason) {
  const Key key{ns, name};
  absl::Status st = EndPod(key, exit_code == 0 ? 1 : exit_code, reason);
  if (st.ok()) {
    absl::MutexLock l(&mu_);
    auto it = endings_.find(key);
    if (it != endings_.end()) {
      ending_order_.erase({it->second.at, key});
      endings_.erase(it);
    }
  }
  return st;
}

absl::Status Kubelet::SetNodeReady(const std::string& node, bool ready) {
  const std::string now = kube::FormatTime(clock_.Now());
  json cond = ready ? Condition("Ready", "True", now, "KubeletReady", "kubelet is posting ready status")
                    : Condition("Ready", "False", now, "KubeletNotReady", "node failed (emulated by sim::Kubelet)");
  cond["lastHeartbeatTime"] = now;
  json patch = {{"status", {{"conditions", json::array({cond})}}}};
  absl::StatusOr<kube::Object> written =
      client_.Patch(kube::kNodesStatus, "", node, kube::PatchType::kStrategicMerge, JsonText(patch));
  return written.status();
}

absl::Status Kubelet::SetUnreachableTaint(const std::string& node, bool present) {
  return kube::RetryOnConflict([&]() -> absl::Status {
    absl::StatusOr<kube::Object> got = client_.Get(kube::kNodes, "", node);
    if (!got.ok()) return got.status();
    json doc = json::parse(got->json, nullptr, false);
    if (!doc.is_object()) return absl::InternalError(absl::StrCat("node ", node, " is not a JSON object"));
    if (!doc.contains("spec") || !doc["spec"].is_object()) doc["spec"] = json::object();
    json& spec = doc["spec"];
    json taints = json::array();
    bool had = false;
    if (spec.contains("taints") && spec["taints"].is_array()) {
      for (const json& t : spec["taints"]) {
        if (Str(t, "key") == kUnreachableTaint && Str(t, "effect") == "NoExecute") {
          had = true;
          if (!present) continue;
        }
        taints.push_back(t);
      }
    }
    if (had == present) return absl::OkStatus();
    if (present) {
      taints.push_back({{"key", kUnreachableTaint}, {"effect", "NoExecute"},
                        {"timeAdded", kube::FormatTime(clock_.Now())}});
    }
    if (taints.empty()) {
      spec.erase("taints");
    } else {
      spec["taints"] = taints;
    }
    return client_.Update(kube::kNodes, "", JsonText(doc)).status();
  });
}

absl::Status Kubelet::FailNode(const std::string& node) {
  {
    absl::MutexLock l(&mu_);
    failed_nodes_.insert(node);
  }
  absl::Status st = SetNodeReady(node, false);
  if (st.ok()) st = SetUnreachableTaint(node, true);
  if (!st.ok()) {
    absl::MutexLock l(&mu_);
    failed_nodes_.erase(node);
    return st;
  }
  EnqueueNode(node);  // every pod on the node gets looked at again
  return absl::OkStatus();
}

absl::Status Kubelet::RecoverNode(const std::string& node) {
  {
    absl::MutexLock l(&mu_);
    failed_nodes_.erase(node);
  }
  absl::Status st = SetNodeReady(node, true);
  if (st.ok()) st = SetUnreachableTaint(node, false);
  if (!st.ok()) return st;
  EnqueueNode(node);
  return absl::OkStatus();
}

int64_t Kubelet::PodsStarted() const {
  absl::MutexLock l(&mu_);
  return started_pods_;
}
int64_t Kubelet::PodsFailed() const {
  absl::MutexLock l(&mu_);
  return failed_pods_;
}
int64_t Kubelet::PodsFinished() const {
  absl::MutexLock l(&mu_);
  return finished_pods_;
}
int64_t Kubelet::DeletionsFinished() const {
  absl::MutexLock l(&mu_);
  return deletions_;
}

}  // namespace phalanx::sim
