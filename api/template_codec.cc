// Codecs for the Job template embedded in a ReplicatedJob and in child Jobs.
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/template_codec.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::api::internal {
namespace {

absl::Status DecodePodSpec(Json obj, std::string_view path, PodSpec& out) {
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "restartPolicy", path, out.restart_policy));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "subdomain", path, out.subdomain));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "priorityClassName", path, out.priority_class_name));
  PHALANX_RETURN_IF_ERROR(TakeStringMap(obj, "nodeSelector", path, out.node_selector));
  PHALANX_RETURN_IF_ERROR(TakeRawList(obj, "tolerations", path, out.tolerations));
  PHALANX_RETURN_IF_ERROR(TakeRawList(obj, "schedulingGates", path, out.scheduling_gates));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodePodSpec(const PodSpec& s) {
  Json j = AsJson(s.extra);
  PutString(j, "restartPolicy", s.restart_policy);
  PutString(j, "subdomain", s.subdomain);
  PutString(j, "priorityClassName", s.priority_class_name);
  PutStringMap(j, "nodeSelector", s.node_selector);
  PutRawList(j, "tolerations", s.tolerations);
  PutRawList(j, "schedulingGates", s.scheduling_gates);
  return j;
}

absl::Status DecodePodTemplateSpec(Json obj, std::string_view path, PodTemplateSpec& out) {
  std::optional<Json> meta, spec;
  PHALANX_RETURN_IF_ERROR(TakeObject(obj, "metadata", path, meta));
  PHALANX_RETURN_IF_ERROR(TakeObject(obj, "spec", path, spec));
  if (meta) {
    PHALANX_RETURN_IF_ERROR(DecodeObjectMeta(std::move(*meta), Child(path, "metadata"), out.metadata));
  }
  if (spec) PHALANX_RETURN_IF_ERROR(DecodePodSpec(std::move(*spec), Child(path, "spec"), out.spec));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

// Writes "metadata"/"spec" only when they carry something, so `{}` templates stay `{}`.
Json EncodePodTemplateSpec(const PodTemplateSpec& t) {
  Json j = AsJson(t.extra);
  Json meta = EncodeObjectMeta(t.metadata);
  if (!meta.empty()) j["metadata"] = std::move(meta);
  Json spec = EncodePodSpec(t.spec);
  if (!spec.empty()) j["spec"] = std::move(spec);
  return j;
}

}  // namespace

Json EncodePodSpecForScheduling(const PodSpec& spec) { return EncodePodSpec(spec); }

absl::Status DecodeJobSpec(Json obj, std::string_view path, JobSpec& out) {
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "parallelism", path, out.parallelism));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "completions", path, out.completions));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "completionMode", path, out.completion_mode));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "backoffLimit", path, out.backoff_limit));
  PHALANX_RETURN_IF_ERROR(
      TakeString(obj, "podReplacementPolicy", path, out.pod_replacement_policy));
  PHALANX_RETURN_IF_ERROR(TakeBool(obj, "suspend", path, out.suspend));
  std::optional<Json> tmpl;
  PHALANX_RETURN_IF_ERROR(TakeObject(obj, "template", path, tmpl));
  if (tmpl) {
    PHALANX_RETURN_IF_ERROR(
        DecodePodTemplateSpec(std::move(*tmpl), Child(path, "template"), out.template_));
  }
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeJobSpec(const JobSpec& s) {
  Json j = AsJson(s.extra);
  PutInt32(j, "parallelism", s.parallelism);
  PutInt32(j, "completions", s.completions);
  PutString(j, "completionMode", s.completion_mode);
  PutInt32(j, "backoffLimit", s.backoff_limit);
  PutString(j, "podReplacementPolicy", s.pod_replacement_policy);
  PutBool(j, "suspend", s.suspend);
  Json tmpl = EncodePodTemplateSpec(s.template_);
  if (!tmpl.empty()) j["template"] = std::move(tmpl);
  return j;
}

absl::Status DecodeJobTemplateSpec(Json obj, std::string_view path, JobTemplateSpec& out) {
  std::optional<Json> meta, spec;
  PHALANX_RETURN_IF_ERROR(TakeObject(obj, "metadata", path, meta));
  PHALANX_RETURN_IF_ERROR(TakeObject(obj, "spec", path, spec));
  if (meta) {
    PHALANX_RETURN_IF_ERROR(DecodeObjectMeta(std::move(*meta), Child(path, "metadata"), out.metadata));
  }
  if (spec) PHALANX_RETURN_IF_ERROR(DecodeJobSpec(std::move(*spec), Child(path, "spec"), out.spec));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeJobTemplateSpec(const JobTemplateSpec& t) {
  Json j = AsJson(t.extra);
  Json meta = EncodeObjectMeta(t.metadata);
  if (!meta.empty()) j["metadata"] = std::move(meta);
  Json spec = EncodeJobSpec(t.spec);
  if (!spec.empty()) j["spec"] = std::move(spec);
  return j;
}

absl::Status TakeTypeMeta(Json& obj, std::string_view want_api_version, std::string_view want_kind) {
  std::optional<std::string> api_version, kind;
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "apiVersion", "", api_version));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "kind", "", kind));
  if (!api_version || !kind) {
    return absl::InvalidArgumentError(absl::StrCat("not a ", AsAbsl(want_kind), ": apiVersion and kind are required"));
  }
  if (*kind != want_kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a ", AsAbsl(want_kind), ": kind is \"", *kind, "\""));
  }
  if (*api_version != want_api_version) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported apiVersion \"", *api_version,
                                                   "\" for ", AsAbsl(want_kind), ": want \"",
                                                   AsAbsl(want_api_version), "\""));
  }
  return absl::OkStatus();
}

}  // namespace phalanx::api::internal
