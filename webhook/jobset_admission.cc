#include "webhook/jobset_admission.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/defaulting.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "webhook/warning_text.h"

namespace phalanx::webhook {
namespace {

std::string S(std::string_view s) { return std::string(s); }
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

api::AdmissionResponse Allow(const api::AdmissionRequest& request) {
  api::AdmissionResponse r;
  r.uid = request.uid;
  r.allowed = true;
  return r;
}

// A 400 answer for an object the webhook cannot read (controller-runtime answers these the same way).
api::AdmissionResponse BadRequest(const api::AdmissionRequest& request, std::string message) {
  api::AdmissionResponse r;
  r.uid = request.uid;
  r.allowed = false;
  api::Status s;
  s.status = "Failure";
  s.code = 400;
  s.reason = "BadRequest";
  s.message = std::move(message);
  r.status = std::move(s);
  return r;
}

std::string JobSetName(const api::JobSet& js, const api::AdmissionRequest& request) {
  if (js.metadata.name && !js.metadata.name->empty()) return *js.metadata.name;
  return request.name;
}

// Field error text without the leading "<field>: " (Kubernetes' ErrorBody, used for causes).
std::string ErrorBody(const api::FieldError& e) {
  std::string full = e.ToString();
  std::string prefix = absl::StrCat(e.field, ": ");
  if (!e.field.empty() && absl::StartsWith(full, prefix)) return full.substr(prefix.size());
  return full;
}

void WarnAnnotations(const api::StringMap* annotations, std::string_view where,
                     std::vector<std::string>& out) {
  if (annotations == nullptr) return;
  auto gang = annotations->find(S(api::kGangPolicyKey));
  if (gang != annotations->end() && gang->second != "Job" && gang->second != "ReplicatedJob" &&
      gang->second != "JobSet") {
    out.push_back(absl::StrCat(Sv(where), ": unknown ", Sv(api::kGangPolicyKey), " ",
                               QuoteForWarning(gang->second), "; treated as Job"));
  }
  auto exclusive = annotations->find(S(api::kExclusiveKey));
  if (exclusive != annotations->end()) {
    if (exclusive->second.empty()) {
      out.push_back(
          absl::StrCat(Sv(where), ": empty ", Sv(api::kExclusiveKey), " names no topology key"));
    }
    if (annotations->count(S(api::kNodeSelectorStrategyKey)) > 0) {
      out.push_back(absl::StrCat(Sv(where), ": ", Sv(api::kNodeSelectorStrategyKey),
                                 " disables exclusive-topology placement"));
    }
  }
}

absl::StatusOr<api::JobSet> DecodeObject(const std::optional<std::string>& object,
                                         std::string_view what) {
  if (!object) return absl::InvalidArgumentError(absl::StrCat("request.", Sv(what), " is missing"));
  return api::DecodeJobSet(*object);
}

}  // namespace

api::Status InvalidJobSetStatus(const std::string& name, const std::vector<api::FieldError>& errors) {
  // Like Kubernetes' ErrorList.ToAggregate: the message lists each distinct error once, in order;
  // the causes keep every error.
  std::vector<std::string> texts;
  texts.reserve(errors.size());
  for (const auto& e : errors) {
    std::string text = e.ToString();
    if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(std::move(text));
  }
  std::string joined =
      texts.size() == 1 ? texts[0] : absl::StrCat("[", absl::StrJoin(texts, ", "), "]");
  api::Status s;
  s.status = "Failure";
  s.code = 422;
  s.reason = "Invalid";
  s.message = absl::StrCat(Sv(api::kJobSetKind), ".", Sv(api::kJobSetGroup), " \"", name,
                           "\" is invalid: ", joined);
  api::StatusDetails d;
  d.name = name;
  d.group = S(api::kJobSetGroup);
  d.kind = S(api::kJobSetKind);
  for (const auto& e : errors) d.causes.push_back({e.CauseReason(), ErrorBody(e), e.field});
  s.details = std::move(d);
  return s;
}

std::vector<std::string> JobSetWarnings(const api::JobSet& jobset) {
  std::vector<std::string> out;
  WarnAnnotations(jobset.metadata.annotations ? &*jobset.metadata.annotations : nullptr, "metadata",
                  out);
  if (jobset.spec.replicated_jobs) {
    const auto& rjobs = *jobset.spec.replicated_jobs;
    for (size_t i = 0; i < rjobs.size(); ++i) {
      const auto& meta = rjobs[i].template_.metadata;
      WarnAnnotations(meta.annotations ? &*meta.annotations : nullptr,
                      absl::StrCat("spec.replicatedJobs[", i, "]"), out);
    }
  }
  return out;
}

api::AdmissionResponse MutateJobSet(const api::AdmissionRequest& request) {
  api::AdmissionResponse r = Allow(request);
  // Defaulting runs on CREATE only (upstream stopped defaulting on UPDATE: it fought server-side apply).
  if (request.operation != api::AdmissionOperation::kCreate) return r;
  if (!request.object) return BadRequest(request, "request.object is missing");
  auto patch = api::DefaultingPatch(*request.object);
  if (!patch.ok()) return BadRequest(request, std::string(patch.status().message()));
  if (*patch != "[]") r.patch = std::move(*patch);
  return r;
}

api::AdmissionResponse ValidateJobSet(const api::AdmissionRequest& request) {
  api::AdmissionResponse r = Allow(request);
  if (request.sub_resource == "status") return r;  // status writes belong to the controller
  std::vector<api::FieldError> errors;
  switch (request.operation) {
    case api::AdmissionOperation::kCreate: {
      auto js = DecodeObject(request.object, "object");
      if (!js.ok()) return BadRequest(request, std::string(js.status().message()));
      errors = api::ValidateCreate(*js);
      if (!errors.empty()) {
        r.allowed = false;
        r.status = InvalidJobSetStatus(JobSetName(*js, request), errors);
        return r;
      }
      r.warnings = JobSetWarnings(*js);
      return r;
    }
    case api::AdmissionOperation::kUpdate: {
      auto js = DecodeObject(request.object, "object");
      if (!js.ok()) return BadRequest(request, std::string(js.status().message()));
      auto old = DecodeObject(request.old_object, "oldObject");
      if (!old.ok()) return BadRequest(request, std::string(old.status().message()));
      errors = api::ValidateUpdate(*old, *js);
      if (!errors.empty()) {
        r.allowed = false;
        r.status = InvalidJobSetStatus(JobSetName(*js, request), errors);
        return r;
      }
      r.warnings = JobSetWarnings(*js);
      return r;
    }
    case api::AdmissionOperation::kDelete:
    case api::AdmissionOperation::kConnect:
      return r;
  }
  return r;
}

}  // namespace phalanx::webhook
