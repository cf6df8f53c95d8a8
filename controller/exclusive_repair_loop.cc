#include "controller/exclusive_repair_loop.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/labels.h"
#include "common/log.h"
#include "controller/runner.h"
#include "kube/resource.h"

namespace phalanx::controller {
ExclusiveRepairLoop::ExclusiveRepairLoop(kube::Client& client, ExclusiveRepairOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_),
      queue_(absl::Milliseconds(5), absl::Seconds(60), options_.clock) {
  kube::InformerOptions pods;
  pods.namespace_ = options_.namespace_;
  pods.label_selector = std::string(api::kJobSetNameKey);
  pods.cache_transform = kube::KeepIdentityOnly;
  pods_ = std::make_unique<kube::Informer>(client_, kube::kPods, pods);
  kube::InformerOptions nodes;
  nodes.cache_transform = kube::KeepIdentityOnly;
  nodes_ = std::make_unique<kube::Informer>(client_, kube::kNodes, nodes);
  pods_->AddHandlers({[this](const kube::Object& o) { OnPod(o); },
                      [this](const kube::Object&, const kube::Object& o) { OnPod(o); },
                      [this](const kube::Object& o) { OnPodDeleted(o); }});
  nodes_->AddHandlers({[this](const kube::Object& o) {
                         absl::MutexLock l(&mu_);
                         node_labels_[o.meta.name] = o.meta.labels;
                       },
                       [this](const kube::Object&, const kube::Object& o) {
                         absl::MutexLock l(&mu_);
                         node_labels_[o.meta.name] = o.meta.labels;
                       },
                       [this](const kube::Object& o) {
                         absl::MutexLock l(&mu_);
                         node_labels_.erase(o.meta.name);
                       }});
}

ExclusiveRepairLoop::~ExclusiveRepairLoop() { Stop(); }

void ExclusiveRepairLoop::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  nodes_->Start();
  pods_->Start();
  worker_ = std::thread([this] { Worker(); });
}

void ExclusiveRepairLoop::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
  }
  queue_.ShutDown();
  if (worker_.joinable()) worker_.join();
  pods_->Stop();
  nodes_->Stop();
}

bool ExclusiveRepairLoop::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  return pods_->WaitForSync(timeout) && nodes_->WaitForSync(deadline - absl::Now());
}

int64_t ExclusiveRepairLoop::Deleted() const {
  absl::MutexLock l(&mu_);
  return deleted_;
}

void ExclusiveRepairLoop::OnPod(const kube::Object& obj) {
  absl::StatusOr<RepairPod> pod = ReadRepairPod(obj.json);
  if (!pod.ok()) {
    PHALANX_LOG(kWarning, "unreadable pod", {{"pod", obj.meta.name}, {"error", pod.status().ToString()}});
    return;
  }
  std::vector<std::string> leaders;
  {
    absl::MutexLock l(&mu_);
    Key name{pod->ns, pod->name};
    auto old = pods_by_name_.find(name);
    if (old != pods_by_name_.end()) names_by_job_[Key{old->second.ns, old->second.job_key}].erase(pod->name);
    if (!pod->exclusive_key || pod->job_key.empty()) {
      if (old != pods_by_name_.end()) pods_by_name_.erase(old);
      return;
    }
    names_by_job_[Key{pod->ns, pod->job_key}].insert(pod->name);
    // The Job's scheduled leaders look again whenever one of its pods changes.
    for (const std::string& n : names_by_job_[Key{pod->ns, pod->job_key}]) {
      const RepairPod* p = n == pod->name ? &*pod : &pods_by_name_[Key{pod->ns, n}];
      if (IsRepairLeader(*p)) leaders.push_back(absl::StrCat(p->ns, "/", p->name));
    }
    pods_by_name_[name] = *std::move(pod);
  }
  for (const std::string& k : leaders) queue_.Add(k);
}

void ExclusiveRepairLoop::OnPodDeleted(const kube::Object& obj) {
  absl::MutexLock l(&mu_);
  auto it = pods_by_name_.find(Key{obj.meta.namespace_, obj.meta.name});
  if (it == pods_by_name_.end()) return;
  auto job = names_by_job_.find(Key{it->second.ns, it->second.job_key});
  if (job != names_by_job_.end()) {
    job->second.erase(obj.meta.name);
    if (job->second.empty()) names_by_job_.erase(job);
  }
  pods_by_name_.erase(it);
}

void ExclusiveRepairLoop::Worker() {
  while (std::optional<std::string> key = queue_.Get()) {
    absl::Status st = RepairLeader(*key);
    if (st.ok()) {
      queue_.Forget(*key);
    } else {
      PHALANX_LOG(kInfo, "exclusive placement repair requeued", {{"leader", *key}, {"error", st.ToString()}});
      queue_.AddRateLimited(*key);
    }
    queue_.Done(*key);
  }
}

absl::Status ExclusiveRepairLoop::RepairLeader(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  if (parts.size() != 2) return absl::InvalidArgumentError(absl::StrCat("bad key ", key));
  RepairPod leader;
  std::vector<RepairPod> job_pods;
  std::optional<std::map<std::string, std::string>> labels;
  {
    absl::MutexLock l(&mu_);
    auto it = pods_by_name_.find(Key{parts[0], parts[1]});
    if (it == pods_by_name_.end() || !IsRepairLeader(it->second)) return absl::OkStatus();
    leader = it->second;
    auto job = names_by_job_.find(Key{leader.ns, leader.job_key});
    if (job != names_by_job_.end()) {
      for (const std::string& n : job->second) job_pods.push_back(pods_by_name_[Key{leader.ns, n}]);
    }
    auto node = node_labels_.find(leader.node_name);
    if (node != node_labels_.end()) labels = node->second;
  }
  RepairDecision d = DecideRepair(leader, job_pods, labels);
  if (d.retry) return absl::UnavailableError(*d.retry);
  if (d.delete_followers.empty()) return absl::OkStatus();
  PHALANX_LOG(kInfo, "followers violate exclusive placement; deleting them",
              {{"leader", key}, {"followers", static_cast<int64_t>(d.delete_followers.size())}});
  const std::string patch = DisruptionTargetPatch(clock_.Now());
  absl::Status st = ParallelFor(d.delete_followers.size(), options_.max_parallelism, [&](size_t i) -> absl::Status {
    const RepairPod& f = d.delete_followers[i];
    if (!f.has_disruption_target) {
      absl::StatusOr<kube::Object> written =
          client_.Patch(kube::kPodsStatus, f.ns, f.name, kube::PatchType::kStrategicMerge, patch);
      if (absl::IsNotFound(written.status())) return absl::OkStatus();
      if (!written.ok()) return written.status();
    }
    kube::DeleteOptions opts;
    opts.propagation = kube::Propagation::kBackground;
    if (!f.uid.empty()) opts.precondition_uid = f.uid;
    absl::Status s = client_.Delete(kube::kPods, f.ns, f.name, opts);
    if (absl::IsNotFound(s)) return absl::OkStatus();
    if (s.ok()) {
      absl::MutexLock l(&mu_);
      ++deleted_;
    }
    return s;
  });
  return st;
}

}  // namespace phalanx::controller
