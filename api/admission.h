// api/admission.h
//
// AdmissionReview (admission.k8s.io/v1) as the API server sends it to a webhook and as the webhook
// answers, decoded into value types. The reviewed object and old object stay JSON text: the webhook
// decodes them with the codec of their kind (DecodePod, DecodeJobSet) and answers with a JSON Patch
// against the object as received, never a re-serialized object. Decode never throws and is on the
// pod-admission hot path (RapidJSON, nesting limited); Encode produces what the API server requires
// (apiVersion + kind echoed, uid echoed, patch base64 with patchType "JSONPatch"). Value types; safe
// to share between threads once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/meta.h"
#include "api/pod.h"

namespace phalanx::api {

inline constexpr std::string_view kAdmissionApiVersionV1 = "admission.k8s.io/v1";
inline constexpr std::string_view kAdmissionApiVersionV1beta1 = "admission.k8s.io/v1beta1";
inline constexpr std::string_view kAdmissionReviewKind = "AdmissionReview";

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
};

struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;
};

enum class AdmissionOperation { kCreate, kUpdate, kDelete, kConnect };
std::string_view AdmissionOperationName(AdmissionOperation op);  // "CREATE", ...

struct AdmissionRequest {
  std::string uid;  // echoed in the response; the API server rejects any other value
  GroupVersionKind kind;
  GroupVersionResource resource;
  std::string sub_resource;  // "status" for PUT .../status; "" otherwise
  // Empty on CREATE with generateName at the mutating webhook (the name is generated later).
  std::string name;
  std::string namespace_;
  AdmissionOperation operation = AdmissionOperation::kCreate;
  std::string username;              // userInfo.username
  // Compact JSON text of request.object / request.oldObject; nullopt when null or absent
  // (object on DELETE, oldObject on CREATE).
  std::optional<std::string> object;
  std::optional<std::string> old_object;
  bool dry_run = false;               // side effects must be skipped (Phalanx's webhook has none)
};

struct AdmissionReview {
  std::string api_version;  // as received, echoed in the response
  std::string kind;         // "AdmissionReview"
  AdmissionRequest request;
};

// metav1.Status pieces used when a webhook denies a request.
struct StatusCause {
  std::string reason;  // e.g. "FieldValueInvalid"
  std::string message;
  std::string field;
};

struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
};

struct Status {
  std::string status;  // "Failure" (or "Success"); omitted when empty
  std::string message;
  std::string reason;  // e.g. "Invalid", "BadRequest"; omitted when empty
  int32_t code = 0;    // HTTP-like code returned to the client; omitted when 0
  std::optional<StatusDetails> details;
};

struct AdmissionResponse {
  std::string uid;
  bool allowed = true;
  std::optional<Status> status;  // the "status" field (metav1.Status); only meaningful when denied
  // A JSON Patch document (JSON text, not base64). Encoded as base64 "patch" plus
  // patchType "JSONPatch"; absent means no patch and no patchType.
  std::optional<std::string> patch;
  std::vector<std::string> warnings;
  StringMap audit_annotations;
};

// DecodeAdmissionReview: kInvalidArgument when `body` is not JSON, not an object, has an apiVersion
// other than admission.k8s.io/v1 or v1beta1, a kind other than AdmissionReview, no request, a request
// without uid, an unknown operation, or a modeled field of the wrong type. Messages name the field.
absl::StatusOr<AdmissionReview> DecodeAdmissionReview(std::string_view body);

// DecodePodAdmissionReview: the pod webhooks' hot path. Like DecodeAdmissionReview, but when the
// request is for a core/v1 Pod its object is decoded straight into `pod` from the same parse, and
// request.object stays nullopt. `pod` is nullopt when the request is not for a Pod or has no object,
// and holds the pod's decode error (kInvalidArgument naming the field) when the object is not a
// readable Pod; the review itself decoded fine then.
struct PodAdmissionReview {
  AdmissionReview review;
  std::optional<absl::StatusOr<Pod>> pod;
};
absl::StatusOr<PodAdmissionReview> DecodePodAdmissionReview(std::string_view body);

// EncodeAdmissionReview: the response body {"apiVersion":<api_version>,"kind":"AdmissionReview",
// "response":{...}}, compact JSON.
std::string EncodeAdmissionReview(std::string_view api_version, const AdmissionResponse& response);

// A decoded response envelope, for tests and tools that read webhook answers. `patch` is the decoded
// JSON Patch text; `patch_type` is kept to check that patch and patchType come together.
struct AdmissionResponseReview {
  std::string api_version;
  std::string kind;
  AdmissionResponse response;
  std::optional<std::string> patch_type;
};
absl::StatusOr<AdmissionResponseReview> DecodeAdmissionResponseReview(std::string_view body);

}  // namespace phalanx::api
