#include "api/job_codec.h"

#include <utility>

#include "api/internal/json.h"
#include "common/json_text.h"
#include "api/internal/template_codec.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::api {
namespace {

using internal::AsJson;
using internal::Json;
using internal::MakeRaw;
using internal::PutInt32;
using internal::PutString;
using internal::TakeInt32;
using internal::TakeString;

absl::Status DecodeJobCondition(Json obj, std::string_view path, JobCondition& out) {
  if (!obj.is_object()) return internal::TypeError(path, "object", obj);
  std::optional<std::string> s;
  for (auto [key, field] :
       {std::pair{"type", &out.type}, std::pair{"status", &out.status},
        std::pair{"reason", &out.reason}, std::pair{"message", &out.message},
        std::pair{"lastTransitionTime", &out.last_transition_time}}) {
    s.reset();
    PHALANX_RETURN_IF_ERROR(TakeString(obj, key, path, s));
    *field = s.value_or("");
  }
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeJobCondition(const JobCondition& c) {
  Json j = AsJson(c.extra);
  j["type"] = c.type;
  j["status"] = c.status;
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (!c.message.empty()) j["message"] = c.message;
  if (!c.last_transition_time.empty()) j["lastTransitionTime"] = c.last_transition_time;
  return j;
}

absl::Status DecodeJobStatus(Json obj, std::string_view path, JobStatus& out) {
  std::optional<Json> conds;
  PHALANX_RETURN_IF_ERROR(internal::TakeArray(obj, "conditions", path, conds));
  if (conds) {
    for (size_t i = 0; i < conds->size(); ++i) {
      JobCondition c;
      PHALANX_RETURN_IF_ERROR(DecodeJobCondition(std::move((*conds)[i]),
                                                 internal::Index(internal::Child(path, "conditions"), i), c));
      out.conditions.push_back(std::move(c));
    }
  }
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "active", path, out.active));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "ready", path, out.ready));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "succeeded", path, out.succeeded));
  PHALANX_RETURN_IF_ERROR(TakeInt32(obj, "failed", path, out.failed));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "startTime", path, out.start_time));
  PHALANX_RETURN_IF_ERROR(TakeString(obj, "completionTime", path, out.completion_time));
  out.extra = MakeRaw(std::move(obj));
  return absl::OkStatus();
}

Json EncodeJobStatus(const JobStatus& s) {
  Json j = AsJson(s.extra);
  if (!s.conditions.empty()) {
    Json a = Json::array();
    for (const auto& c : s.conditions) a.push_back(EncodeJobCondition(c));
    j["conditions"] = std::move(a);
  }
  PutInt32(j, "active", s.active);
  PutInt32(j, "ready", s.ready);
  PutInt32(j, "succeeded", s.succeeded);
  PutInt32(j, "failed", s.failed);
  PutString(j, "startTime", s.start_time);
  PutString(j, "completionTime", s.completion_time);
  return j;
}

// Parses a top-level object of the given type; metadata decoded into `meta`.
absl::StatusOr<Json> ParseTopLevel(std::string_view text, std::string_view api_version,
                                   std::string_view kind, ObjectMeta& meta) {
  PHALANX_ASSIGN_OR_RETURN(Json obj, internal::ParseJson(text));
  if (!obj.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("not a ", AsAbsl(kind), ": the document is not an object"));
  }
  PHALANX_RETURN_IF_ERROR(internal::TakeTypeMeta(obj, api_version, kind));
  std::optional<Json> m;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "metadata", "", m));
  if (m) PHALANX_RETURN_IF_ERROR(internal::DecodeObjectMeta(std::move(*m), "metadata", meta));
  return obj;
}

Json StartTopLevel(const RawJson& extra, std::string_view api_version, std::string_view kind,
                   const ObjectMeta& meta) {
  Json j = AsJson(extra);
  j["apiVersion"] = api_version;
  j["kind"] = kind;
  Json m = internal::EncodeObjectMeta(meta);
  if (!m.empty()) j["metadata"] = std::move(m);
  return j;
}

}  // namespace

absl::StatusOr<Job> DecodeJob(std::string_view text) {
  Job job;
  PHALANX_ASSIGN_OR_RETURN(Json obj, ParseTopLevel(text, "batch/v1", "Job", job.metadata));
  std::optional<Json> spec, status;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "spec", "", spec));
  if (spec) PHALANX_RETURN_IF_ERROR(internal::DecodeJobSpec(std::move(*spec), "spec", job.spec));
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "status", "", status));
  if (status) {
    job.status.emplace();
    PHALANX_RETURN_IF_ERROR(DecodeJobStatus(std::move(*status), "status", *job.status));
  }
  job.extra = MakeRaw(std::move(obj));
  return job;
}

std::string EncodeJob(const Job& job) {
  Json j = StartTopLevel(job.extra, job.api_version, job.kind, job.metadata);
  Json spec = internal::EncodeJobSpec(job.spec);
  if (!spec.empty()) j["spec"] = std::move(spec);
  if (job.status) {
    Json st = EncodeJobStatus(*job.status);
    if (!st.empty()) j["status"] = std::move(st);
  }
  return JsonText(j);
}

absl::StatusOr<Service> DecodeService(std::string_view text) {
  Service svc;
  PHALANX_ASSIGN_OR_RETURN(Json obj, ParseTopLevel(text, "v1", "Service", svc.metadata));
  std::optional<Json> spec;
  PHALANX_RETURN_IF_ERROR(internal::TakeObject(obj, "spec", "", spec));
  if (spec) {
    PHALANX_RETURN_IF_ERROR(TakeString(*spec, "clusterIP", "spec", svc.cluster_ip));
    PHALANX_RETURN_IF_ERROR(internal::TakeStringMap(*spec, "selector", "spec", svc.selector));
    PHALANX_RETURN_IF_ERROR(internal::TakeBool(*spec, "publishNotReadyAddresses", "spec",
                                               svc.publish_not_ready_addresses));
    svc.spec_extra = MakeRaw(std::move(*spec));
  }
  svc.extra = MakeRaw(std::move(obj));
  return svc;
}

std::string EncodeService(const Service& svc) {
  Json j = StartTopLevel(svc.extra, svc.api_version, svc.kind, svc.metadata);
  Json spec = AsJson(svc.spec_extra);
  PutString(spec, "clusterIP", svc.cluster_ip);
  internal::PutStringMap(spec, "selector", svc.selector);
  internal::PutBool(spec, "publishNotReadyAddresses", svc.publish_not_ready_addresses);
  if (!spec.empty()) j["spec"] = std::move(spec);
  return JsonText(j);
}

std::string EncodeList(const std::vector<std::string>& encoded_items) {
  Json items = Json::array();
  for (const auto& text : encoded_items) {
    items.push_back(Json::parse(text, nullptr, /*allow_exceptions=*/false));
  }
  Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"metadata", Json::object()}};
  list["items"] = std::move(items);
  return JsonText(list);
}

}  // namespace phalanx::api
