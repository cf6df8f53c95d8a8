#include "webhook/managed_cluster.h"

#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "api/internal/rapidjson_read.h"
#include "common/strings.h"
#include "webhook/warning_text.h"

namespace phalanx::webhook {

using api::internal::Member;
using api::internal::Str;
using api::internal::WrongType;

absl::StatusOr<PodSchedulingShape> ReadPodSchedulingShape(std::string_view pod_json) {
  rapidjson::Document doc;
  doc.Parse(pod_json.data(), pod_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("pod: malformed JSON");
  PodSchedulingShape shape;
  const rapidjson::Value* spec = Member(doc, "spec");
  if (spec == nullptr) return shape;
  if (!spec->IsObject()) return WrongType("spec", "object", *spec);
  if (const rapidjson::Value* name = Member(*spec, "schedulerName")) {
    if (!name->IsString()) return WrongType("spec.schedulerName", "string", *name);
    shape.scheduler_name = Str(*name);
  }
  const rapidjson::Value* tolerations = Member(*spec, "tolerations");
  if (tolerations == nullptr) return shape;
  if (!tolerations->IsArray()) return WrongType("spec.tolerations", "array", *tolerations);
  shape.has_tolerations = true;
  for (rapidjson::SizeType i = 0; i < tolerations->Size(); ++i) {
    const rapidjson::Value& t = (*tolerations)[i];
    if (!t.IsObject()) return WrongType(absl::StrCat("spec.tolerations[", i, "]"), "object", t);
    auto text = [&](const char* field) {
      const rapidjson::Value* v = Member(t, field);
      return v != nullptr && v->IsString() ? Str(*v) : std::string();
    };
    const std::string key = text("key"), op = text("operator"), effect = text("effect");
    const bool key_ok = key == kFenceTaintKey || (key.empty() && op == "Exists");
    if (key_ok && op == "Exists" && (effect.empty() || effect == "NoSchedule")) shape.tolerates_fence = true;
  }
  return shape;
}

bool IsDaemonSetPod(const api::Pod& pod) {
  const api::OwnerReference* owner = pod.ControllerOwner();
  return owner != nullptr && owner->kind == "DaemonSet" && owner->api_version == "apps/v1";
}

void AddManagedClusterOps(const api::Pod& pod, const PodSchedulingShape& shape, bool gated,
                          const ManagedClusterOptions& options, api::JsonPatch& patch,
                          std::vector<std::string>& warnings) {
  if (gated && !options.scheduler_name.empty() && shape.scheduler_name != options.scheduler_name) {
    if (shape.scheduler_name.empty() || shape.scheduler_name == "default-scheduler") {
      patch.Add("/spec/schedulerName", api::PatchValue::String(options.scheduler_name));
    } else {
      warnings.push_back(absl::StrCat("pod names scheduler ", QuoteForWarning(shape.scheduler_name),
                                      "; Phalanx placement needs ", QuoteForWarning(options.scheduler_name)));
    }
  }
  if (options.tolerate_fence_in_daemonsets && IsDaemonSetPod(pod) && !shape.tolerates_fence) {
    patch.AppendToList("/spec/tolerations", shape.has_tolerations,
                       api::PatchValue::Object({{"key", api::PatchValue::String(kFenceTaintKey)},
                                                {"operator", api::PatchValue::String("Exists")},
                                                {"effect", api::PatchValue::String("NoSchedule")}}));
  }
}

}  // namespace phalanx::webhook
