#include "sim/kubelet.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "kube/micro_time.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {
namespace {

using nlohmann::json;

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

}  // namespace

Kubelet::Kubelet(kube::Client& client, KubeletOptions options) : client_(client), options_(options) {}

Kubelet::~Kubelet() { Stop(); }

void Kubelet::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  pods_ = std::make_unique<kube::Informer>(client_, kube::kPods);
  auto changed = [this](const kube::Object& o) { Enqueue(o.meta.namespace_, o.meta.name); };
  pods_->AddHandlers({changed, [changed](const kube::Object&, const kube::Object& o) { changed(o); }, nullptr});
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

void Kubelet::Run() {
  std::set<Key> retry;
  while (true) {
    std::set<Key> batch;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (stopping_) return;
      batch.swap(queue_);
    }
    batch.insert(retry.begin(), retry.end());
    retry.clear();
    for (const Key& key : batch) {
      if (!SyncPod(key)) retry.insert(key);
    }
  }
}

bool Kubelet::SyncPod(const Key& key) {
  std::shared_ptr<const kube::Object> obj = pods_->Get(key.first, key.second);
  if (obj == nullptr) return true;
  json pod = json::parse(obj->json, nullptr, false);
  if (!pod.is_object()) return true;
  const std::string node = Str(pod.value("spec", json::object()), "nodeName");
  std::string phase = Str(pod.value("status", json::object()), "phase");
  if (phase.empty()) phase = "Pending";

  if (obj->meta.deletion_timestamp) {
    if (!options_.finish_deletions) return true;
    kube::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    opts.precondition_uid = obj->meta.uid;
    absl::Status st = client_.Delete(kube::kPods, key.first, key.second, opts);
    if (st.ok()) {
      absl::MutexLock l(&mu_);
      ++deletions_;
    }
    return st.ok() || absl::IsNotFound(st) || absl::IsAborted(st);
  }
  if (node.empty() || phase == "Succeeded" || phase == "Failed") return true;

  bool node_failed;
  {
    absl::MutexLock l(&mu_);
    node_failed = failed_nodes_.count(node) > 0;
  }
  const std::string now = kube::FormatTime(absl::Now());
  std::string updated;
  if (node_failed) {
    json status = {{"phase", "Failed"},
                   {"reason", "NodeLost"},
                   {"message", absl::StrCat("Node ", node, " which was running pod ", key.second, " is unresponsive")},
                   {"conditions", json::array({Condition("Ready", "False", now, "PodFailed"),
                                               Condition("ContainersReady", "False", now, "PodFailed")})}};
    updated = WithStatus(pod, status);
  } else if (phase == "Pending" && options_.start_pods) {
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
    absl::MutexLock l(&mu_);
    if (node_failed) {
      ++failed_pods_;
    } else {
      ++started_pods_;
    }
    return true;
  }
  // A conflict means a newer version exists: its event brings the pod back. Gone pods need nothing.
  return absl::IsNotFound(written.status()) || absl::IsAborted(written.status());
}

absl::Status Kubelet::SetNodeReady(const std::string& node, bool ready) {
  const std::string now = kube::FormatTime(absl::Now());
  json cond = ready ? Condition("Ready", "True", now, "KubeletReady", "kubelet is posting ready status")
                    : Condition("Ready", "False", now, "KubeletNotReady", "node failed (emulated by sim::Kubelet)");
  cond["lastHeartbeatTime"] = now;
  json patch = {{"status", {{"conditions", json::array({cond})}}}};
  absl::StatusOr<kube::Object> written =
      client_.Patch(kube::kNodesStatus, "", node, kube::PatchType::kStrategicMerge, JsonText(patch));
  return written.status();
}

absl::Status Kubelet::FailNode(const std::string& node) {
  {
    absl::MutexLock l(&mu_);
    failed_nodes_.insert(node);
  }
  absl::Status st = SetNodeReady(node, false);
  if (!st.ok()) {
    absl::MutexLock l(&mu_);
    failed_nodes_.erase(node);
    return st;
  }
  // Every pod on the node gets looked at again.
  if (pods_ != nullptr) {
    for (const auto& p : pods_->Snapshot()) Enqueue(p->meta.namespace_, p->meta.name);
  }
  return absl::OkStatus();
}

absl::Status Kubelet::RecoverNode(const std::string& node) {
  {
    absl::MutexLock l(&mu_);
    failed_nodes_.erase(node);
  }
  absl::Status st = SetNodeReady(node, true);
  if (!st.ok()) return st;
  if (pods_ != nullptr) {
    for (const auto& p : pods_->Snapshot()) Enqueue(p->meta.namespace_, p->meta.name);
  }
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
int64_t Kubelet::DeletionsFinished() const {
  absl::MutexLock l(&mu_);
  return deletions_;
}

}  // namespace phalanx::sim
