#include "webhook/handler.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/labels.h"
#include "api/pod.h"
#include "webhook/jobset_admission.h"
#include "webhook/pod_mutation.h"
#include "webhook/pod_validation.h"
#include "webhook/warning_text.h"

namespace phalanx::webhook {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

HttpReply Plain(int status, std::string message, std::string result) {
  HttpReply r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(message);
  r.body += "\n";
  r.result = std::move(result);
  return r;
}

// "application/json", optionally with parameters ("; charset=utf-8"), case-insensitive.
bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(Sv(media)));
  return lowered == "application/json";
}

api::AdmissionResponse Denied(const api::AdmissionRequest& request, int32_t code,
                              std::string reason, std::string message) {
  api::AdmissionResponse r;
  r.uid = request.uid;
  r.allowed = false;
  api::Status s;
  s.status = "Failure";
  s.code = code;
  s.reason = std::move(reason);
  s.message = std::move(message);
  r.status = std::move(s);
  return r;
}

// A pod review the pod policy cannot read. A non-pod object is let through (the webhook
// configuration, not the object, is wrong; pods must keep being created); an undecodable pod is a
// 400 like every other admission decoder answers it.
std::optional<api::AdmissionResponse> CheckPodRequest(
    const api::AdmissionRequest& request, const std::optional<absl::StatusOr<api::Pod>>& pod) {
  if (!pod) {
    api::AdmissionResponse allow;
    allow.uid = request.uid;
    if (request.operation == api::AdmissionOperation::kCreate && request.kind.kind != "Pod") {
      allow.warnings.push_back(absl::StrCat("pod webhook received a ",
                                            QuoteForWarning(request.kind.kind), "; nothing done"));
    }
    return allow;
  }
  if (!pod->ok()) {
    return Denied(request, 400, "BadRequest", std::string(pod->status().message()));
  }
  return std::nullopt;
}

api::AdmissionResponse MutatePod(const api::AdmissionRequest& request,
                                 const std::optional<absl::StatusOr<api::Pod>>& pod,
                                 const PodWebhookOptions& options) {
  if (auto early = CheckPodRequest(request, pod)) return *std::move(early);
  api::AdmissionResponse r;
  r.uid = request.uid;
  PodMutation m = DecidePodMutation(**pod, request.operation);
  r.warnings = std::move(m.warnings);
  api::JsonPatch patch = PodMutationPatch(**pod, m);
  if (!patch.empty()) r.patch = patch.ToJson();
  if (m.add_placement_gate && options.on_gated) options.on_gated(**pod);
  return r;
}

// MutatePod plus the managed-cluster options, which read `object` beyond api::Pod.
api::AdmissionResponse MutatePodManaged(const api::AdmissionRequest& request, const api::Pod& pod,
                                        std::string_view object, const PodWebhookOptions& options) {
  api::AdmissionResponse r;
  r.uid = request.uid;
  PodMutation m = DecidePodMutation(pod, request.operation);
  r.warnings = std::move(m.warnings);
  api::JsonPatch patch = PodMutationPatch(pod, m);
  if (request.operation == api::AdmissionOperation::kCreate) {
    absl::StatusOr<PodSchedulingShape> shape = ReadPodSchedulingShape(object);
    if (!shape.ok()) return Denied(request, 400, "BadRequest", std::string(shape.status().message()));
    AddManagedClusterOps(pod, *shape, m.add_placement_gate || pod.HasSchedulingGate(api::kPlacementGate),
                         options.managed, patch, r.warnings);
  }
  if (!patch.empty()) r.patch = patch.ToJson();
  if (m.add_placement_gate && options.on_gated) options.on_gated(pod);
  return r;
}

// Upstream's pod mutation; `object` is the pod's JSON (its affinity lists decide the patch's shape).
api::AdmissionResponse MutatePodUpstream(const api::AdmissionRequest& request, const api::Pod& pod,
                                         std::string_view object, const LeaderLookup& lookup) {
  UpstreamMutation m = DecideUpstreamMutation(pod, request.operation, lookup);
  if (m.error) return Denied(request, 403, "Forbidden", *m.error);
  api::AdmissionResponse r;
  r.uid = request.uid;
  if (m.empty()) return r;
  absl::StatusOr<AffinityShape> shape = ReadAffinityShape(object);
  if (!shape.ok()) return Denied(request, 400, "BadRequest", std::string(shape.status().message()));
  api::JsonPatch patch = UpstreamMutationPatch(pod, *shape, m);
  if (!patch.empty()) r.patch = patch.ToJson();
  return r;
}

api::AdmissionResponse ValidatePodRequest(const api::AdmissionRequest& request,
                                          const std::optional<absl::StatusOr<api::Pod>>& pod,
                                          const PodWebhookOptions& options) {
  if (auto early = CheckPodRequest(request, pod)) return *std::move(early);
  PodVerdict v = options.exclusive_placement == ExclusivePlacementMode::kUpstream && options.lookup != nullptr
                     ? ValidatePodUpstream(**pod, request.operation, *options.lookup)
                     : ValidatePod(**pod, request.operation);
  if (!v.allowed) return Denied(request, 403, "Forbidden", std::move(v.message));
  api::AdmissionResponse r;
  r.uid = request.uid;
  r.warnings = std::move(v.warnings);
  return r;
}

api::AdmissionResponse JobSetRequest(std::string_view path, const api::AdmissionRequest& request) {
  if (request.kind.kind != "JobSet") {
    return Denied(request, 400, "BadRequest",
                  absl::StrCat("expected a JobSet, got kind \"", request.kind.kind, "\""));
  }
  return path == kMutateJobSetPath ? MutateJobSet(request) : ValidateJobSet(request);
}

HttpReply NotAReview(const absl::Status& status) {
  return Plain(400, absl::StrCat("not an AdmissionReview request: ", status.message()),
               "bad_request");
}

std::string ResultOf(const api::AdmissionResponse& r) {
  if (!r.allowed) return "denied";
  return r.patch ? "patched" : "allowed";
}

}  // namespace

bool IsAdmissionPath(std::string_view path) {
  return path == kMutateJobSetPath || path == kValidateJobSetPath || path == kMutatePodPath ||
         path == kValidatePodPath;
}

HttpReply HandleAdmission(std::string_view path, std::string_view content_type,
                          std::string_view body) {
  return HandleAdmission(path, content_type, body, PodWebhookOptions{});
}

HttpReply HandleAdmission(std::string_view path, std::string_view content_type,
                          std::string_view body, const PodWebhookOptions& options) {
  if (!IsAdmissionPath(path)) return Plain(404, "404 page not found", "not_found");
  if (!IsJson(content_type)) {
    return Plain(400,
                 absl::StrCat("contentType=", Sv(content_type), ", expected application/json"),
                 "bad_request");
  }
  if (body.empty()) return Plain(400, "request body is empty", "bad_request");
  const bool pod_path = path == kMutatePodPath || path == kValidatePodPath;
  std::string api_version;
  api::AdmissionResponse response;
  const bool upstream =
      options.exclusive_placement == ExclusivePlacementMode::kUpstream && options.lookup != nullptr;
  if (path == kMutatePodPath && (upstream || options.managed.enabled())) {
    // The patch depends on fields api::Pod does not model (affinity, tolerations, schedulerName): keep
    // the object.
    auto review = api::DecodeAdmissionReview(body);
    if (!review.ok()) return NotAReview(review.status());
    api_version = std::move(review->api_version);
    const api::AdmissionRequest& request = review->request;
    std::optional<absl::StatusOr<api::Pod>> pod;
    if (request.object && request.kind.kind == "Pod" && request.kind.group.empty()) {
      pod = api::DecodePod(*request.object);
    }
    if (auto early = CheckPodRequest(request, pod)) {
      response = *std::move(early);
    } else {
      response = upstream ? MutatePodUpstream(request, **pod, *request.object, *options.lookup)
                          : MutatePodManaged(request, **pod, *request.object, options);
    }
  } else if (pod_path) {
    // One parse: the pod is decoded from the review's own parse.
    auto review = api::DecodePodAdmissionReview(body);
    if (!review.ok()) return NotAReview(review.status());
    api_version = std::move(review->review.api_version);
    response = path == kMutatePodPath ? MutatePod(review->review.request, review->pod, options)
                                      : ValidatePodRequest(review->review.request, review->pod, options);
  } else {
    auto review = api::DecodeAdmissionReview(body);
    if (!review.ok()) return NotAReview(review.status());
    api_version = std::move(review->api_version);
    response = JobSetRequest(path, review->request);
  }
  HttpReply reply;
  reply.result = ResultOf(response);
  reply.body = api::EncodeAdmissionReview(api_version, response);
  return reply;
}

}  // namespace phalanx::webhook
