#include "webhook/cluster_view.h"

#include <rapidjson/document.h>

#include "api/internal/rapidjson_read.h"
#include "api/labels.h"
#include "common/log.h"
#include "common/strings.h"
#include "kube/resource.h"

namespace phalanx::webhook {
namespace {

using api::internal::Member;
using api::internal::Str;
using api::internal::WrongType;

// The string at obj.<a>.<b>, "" when absent.
absl::StatusOr<std::string> NestedString(const rapidjson::Value& obj, const char* a, const char* b) {
  const rapidjson::Value* outer = Member(obj, a);
  if (outer == nullptr) return std::string();
  if (!outer->IsObject()) return WrongType(a, "object", *outer);
  const rapidjson::Value* v = Member(*outer, b);
  if (v == nullptr) return std::string();
  if (!v->IsString()) return WrongType(std::string(a) + "." + b, "string", *v);
  return Str(*v);
}

}  // namespace

absl::StatusOr<PodSummary> SummarizePod(const kube::Object& pod) {
  PodSummary s;
  s.ns = pod.meta.namespace_;
  s.name = pod.meta.name;
  s.deleting = pod.meta.deletion_timestamp.has_value();
  if (const kube::OwnerReference* ref = pod.meta.ControllerRef()) s.owner_uid = ref->uid;
  rapidjson::Document doc;
  doc.Parse(pod.json.data(), pod.json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("pod: malformed JSON");
  absl::StatusOr<std::string> node = NestedString(doc, "spec", "nodeName");
  if (!node.ok()) return node.status();
  absl::StatusOr<std::string> phase = NestedString(doc, "status", "phase");
  if (!phase.ok()) return phase.status();
  s.node_name = *std::move(node);
  s.phase = *std::move(phase);
  return s;
}

ClusterView::ClusterView(kube::Client& client) {
  kube::InformerOptions pods;
  pods.label_selector = std::string(api::kJobSetNameKey);
  pods.cache_transform = kube::KeepIdentityOnly;
  pods_ = std::make_unique<kube::Informer>(client, kube::kPods, pods);
  kube::InformerOptions nodes;
  nodes.cache_transform = kube::KeepIdentityOnly;
  nodes_ = std::make_unique<kube::Informer>(client, kube::kNodes, nodes);
  pods_->AddHandlers({[this](const kube::Object& o) { OnPod(o); },
                      [this](const kube::Object&, const kube::Object& o) { OnPod(o); },
                      [this](const kube::Object& o) { OnPodDeleted(o); }});
  nodes_->AddHandlers({[this](const kube::Object& o) { OnNode(o); },
                       [this](const kube::Object&, const kube::Object& o) { OnNode(o); },
                       [this](const kube::Object& o) { OnNodeDeleted(o); }});
}

ClusterView::~ClusterView() { Stop(); }

void ClusterView::Start() {
  pods_->Start();
  nodes_->Start();
}

void ClusterView::Stop() {
  pods_->Stop();
  nodes_->Stop();
}

bool ClusterView::Synced() const { return pods_->HasSynced() && nodes_->HasSynced(); }

bool ClusterView::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  return pods_->WaitForSync(timeout) && nodes_->WaitForSync(deadline - absl::Now());
}

void ClusterView::ForgetPodLocked(const Key& pod) {
  auto it = index_of_.find(pod);
  if (it == index_of_.end()) return;
  Key index{pod.first, it->second};
  auto bucket = by_index_.find(index);
  if (bucket != by_index_.end()) {
    bucket->second.erase(pod.second);
    if (bucket->second.empty()) by_index_.erase(bucket);
  }
  index_of_.erase(it);
}

void ClusterView::OnPod(const kube::Object& pod) {
  Key key{pod.meta.namespace_, pod.meta.name};
  std::optional<std::string> index =
      LeaderIndexKey(pod.meta.name, pod.meta.annotations.contains(std::string(api::kExclusiveKey)));
  absl::StatusOr<PodSummary> summary = index ? SummarizePod(pod) : absl::StatusOr<PodSummary>(PodSummary{});
  if (!summary.ok()) {
    PHALANX_LOG(kWarning, "unreadable pod", {{"pod", pod.meta.name}, {"error", summary.status().ToString()}});
  }
  absl::MutexLock l(&mu_);
  ForgetPodLocked(key);
  if (!index || !summary.ok()) return;
  by_index_[Key{key.first, *index}][key.second] = *std::move(summary);
  index_of_[key] = *index;
}

void ClusterView::OnPodDeleted(const kube::Object& pod) {
  absl::MutexLock l(&mu_);
  ForgetPodLocked(Key{pod.meta.namespace_, pod.meta.name});
}

void ClusterView::OnNode(const kube::Object& node) {
  absl::MutexLock l(&mu_);
  nodes_labels_[node.meta.name] = node.meta.labels;
}

void ClusterView::OnNodeDeleted(const kube::Object& node) {
  absl::MutexLock l(&mu_);
  nodes_labels_.erase(node.meta.name);
}

std::vector<PodSummary> ClusterView::PodsByIndexKey(std::string_view ns, std::string_view index_key) const {
  std::vector<PodSummary> out;
  absl::MutexLock l(&mu_);
  auto it = by_index_.find(Key{std::string(ns), std::string(index_key)});
  if (it == by_index_.end()) return out;
  for (const auto& [_, s] : it->second) out.push_back(s);
  return out;
}

std::optional<std::map<std::string, std::string>> ClusterView::NodeLabels(std::string_view name) const {
  absl::MutexLock l(&mu_);
  auto it = nodes_labels_.find(name);
  if (it == nodes_labels_.end()) return std::nullopt;
  return it->second;
}

}  // namespace phalanx::webhook
