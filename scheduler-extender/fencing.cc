#include "scheduler-extender/fencing.h"

#include <rapidjson/document.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/internal/rapidjson_read.h"
#include "common/log.h"
#include "common/strings.h"
#include "kube/resource.h"

namespace phalanx::extender {
namespace {

using api::internal::Member;
using api::internal::Str;
using api::internal::WrongType;

api::PatchValue Taint(std::string_view value) {
  return api::PatchValue::Object({{"key", api::PatchValue::String(kReservedTaintKey)},
                                  {"value", api::PatchValue::String(value)},
                                  {"effect", api::PatchValue::String("NoSchedule")}});
}

}  // namespace

api::PatchValue FenceToleration(std::string_view value) {
  return api::PatchValue::Object({{"key", api::PatchValue::String(kReservedTaintKey)},
                                  {"operator", api::PatchValue::String("Equal")},
                                  {"value", api::PatchValue::String(value)},
                                  {"effect", api::PatchValue::String("NoSchedule")}});
}

void StripFenceTaints(std::vector<placement::Taint>& taints) {
  taints.erase(std::remove_if(taints.begin(), taints.end(),
                              [](const placement::Taint& t) { return t.key == kReservedTaintKey; }),
               taints.end());
}

absl::StatusOr<NodeFence> ReadNodeFence(std::string_view node_json) {
  rapidjson::Document doc;
  doc.Parse(node_json.data(), node_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("node: malformed JSON");
  NodeFence f;
  if (const rapidjson::Value* meta = Member(doc, "metadata")) {
    if (!meta->IsObject()) return WrongType("metadata", "object", *meta);
    if (const rapidjson::Value* name = Member(*meta, "name")) {
      if (!name->IsString()) return WrongType("metadata.name", "string", *name);
      f.name = Str(*name);
    }
  }
  const rapidjson::Value* spec = Member(doc, "spec");
  if (spec == nullptr) return f;
  if (!spec->IsObject()) return WrongType("spec", "object", *spec);
  const rapidjson::Value* taints = Member(*spec, "taints");
  if (taints == nullptr) return f;
  if (!taints->IsArray()) return WrongType("spec.taints", "array", *taints);
  f.has_taints = true;
  for (rapidjson::SizeType i = 0; i < taints->Size(); ++i) {
    const rapidjson::Value& t = (*taints)[i];
    if (!t.IsObject()) return WrongType(absl::StrCat("spec.taints[", i, "]"), "object", t);
    const rapidjson::Value* key = Member(t, "key");
    if (key == nullptr || !key->IsString() || Str(*key) != kReservedTaintKey || f.index >= 0) continue;
    f.index = static_cast<int>(i);
    if (const rapidjson::Value* v = Member(t, "value"); v != nullptr && v->IsString()) f.value = Str(*v);
    if (const rapidjson::Value* e = Member(t, "effect"); e != nullptr && e->IsString()) f.effect = Str(*e);
  }
  return f;
}

std::optional<api::JsonPatch> FencePatch(const NodeFence& node, const std::optional<std::string>& want) {
  const bool has = node.index >= 0;
  if (!want && !has) return std::nullopt;
  if (want && has && node.value == *want && node.effect == "NoSchedule") return std::nullopt;
  api::JsonPatch patch;
  if (has) {
    const std::string at = absl::StrCat("/spec/taints/", node.index);
    patch.Test(at + "/key", api::PatchValue::String(kReservedTaintKey));
    if (want) {
      patch.Replace(at, Taint(*want));
    } else {
      patch.Remove(at);
    }
    return patch;
  }
  patch.AppendToList("/spec/taints", node.has_taints, Taint(*want));
  return patch;
}

Fencer::Fencer(kube::Client& client) : client_(client) {
  kube::InformerOptions io;
  io.cache_transform = kube::KeepIdentityOnly;
  nodes_ = std::make_unique<kube::Informer>(client_, kube::kNodes, io);
  nodes_->AddHandlers({[this](const kube::Object& o) { OnNode(o); },
                       [this](const kube::Object&, const kube::Object& o) { OnNode(o); },
                       [this](const kube::Object& o) { OnNodeDeleted(o); }});
}

Fencer::~Fencer() { Stop(); }

void Fencer::Start() { nodes_->Start(); }
void Fencer::Stop() { nodes_->Stop(); }
bool Fencer::Synced() const { return nodes_->HasSynced(); }

void Fencer::OnNode(const kube::Object& node) {
  absl::StatusOr<NodeFence> f = ReadNodeFence(node.json);
  if (!f.ok()) {
    PHALANX_LOG(kWarning, "unreadable node", {{"node", node.meta.name}, {"error", f.status().ToString()}});
    return;
  }
  absl::MutexLock l(&mu_);
  fences_[f->name] = *std::move(f);
}

void Fencer::OnNodeDeleted(const kube::Object& node) {
  absl::MutexLock l(&mu_);
  fences_.erase(node.meta.name);
}

absl::Status Fencer::Apply(const FenceMap& wanted) {
  std::vector<std::pair<std::string, api::JsonPatch>> patches;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [name, fence] : fences_) {
      auto it = wanted.find(name);
      std::optional<std::string> want;
      if (it != wanted.end()) want = it->second;
      if (std::optional<api::JsonPatch> p = FencePatch(fence, want)) patches.emplace_back(name, *std::move(p));
    }
  }
  absl::Status first;
  for (const auto& [name, patch] : patches) {
    absl::StatusOr<kube::Object> done = client_.Patch(kube::kNodes, "", name, kube::PatchType::kJson, patch.ToJson());
    if (done.ok()) {
      OnNode(*done);  // so the next round does not send it again before the watch catches up
      absl::MutexLock l(&mu_);
      ++patches_;
      continue;
    }
    if (absl::IsNotFound(done.status())) continue;
    PHALANX_LOG(kWarning, "fence patch failed", {{"node", name}, {"error", done.status().ToString()}});
    if (first.ok()) first = done.status();
  }
  return first;
}

size_t Fencer::FencedNodes() const {
  absl::MutexLock l(&mu_);
  return std::count_if(fences_.begin(), fences_.end(), [](const auto& e) { return e.second.index >= 0; });
}

int64_t Fencer::Patches() const {
  absl::MutexLock l(&mu_);
  return patches_;
}

}  // namespace phalanx::extender
