#include "kube/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "kube/internal/json.h"

namespace phalanx::kube {
namespace {

using internal::Json;

int DefaultHttpCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kUnimplemented: return 405;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kOutOfRange: return 410;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string DefaultReason(int http_code, absl::StatusCode code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return code == absl::StatusCode::kAlreadyExists ? "AlreadyExists" : "Conflict";
    case 410: return "Expired";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "InternalError";
  }
}

}  // namespace

absl::StatusCode CodeForHttp(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400: case 415: case 422: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 405: return absl::StatusCode::kUnimplemented;
    case 409: return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists : absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 429: return absl::StatusCode::kResourceExhausted;
    default: break;
  }
  if (http_code >= 500 || http_code <= 0) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

absl::Status StatusFromResponse(int http_code, absl::string_view body) {
  absl::StatusOr<Json> j = internal::ParseJson(body);
  std::string reason, message;
  bool is_status = j.ok() && j->is_object() && internal::GetString(*j, "kind") == "Status";
  if (is_status) {
    reason = internal::GetString(*j, "reason");
    message = internal::GetString(*j, "message");
  } else {
    message = std::string(body.substr(0, 512));
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  }
  if (message.empty()) message = absl::StrCat("HTTP ", http_code);
  absl::Status s(CodeForHttp(http_code, reason), std::string(message));
  if (is_status) {
    s.SetPayload(kStatusPayloadUrl, absl::Cord(std::string(body)));
  } else {
    Json st = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
               {"message", std::string(message)}, {"reason", DefaultReason(http_code, s.code())}, {"code", http_code}};
    s.SetPayload(kStatusPayloadUrl, absl::Cord(internal::Dump(st)));
  }
  return s;
}

absl::Status ApiError(int http_code, absl::string_view reason, absl::string_view message, absl::string_view name,
                      absl::string_view group, absl::string_view kind) {
  Json st = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
             {"message", std::string(message)}, {"reason", std::string(reason)}};
  if (!name.empty() || !group.empty() || !kind.empty()) {
    Json details = Json::object();
    if (!name.empty()) details["name"] = std::string(name);
    if (!group.empty()) details["group"] = std::string(group);
    if (!kind.empty()) details["kind"] = std::string(kind);
    st["details"] = details;
  }
  st["code"] = http_code;
  absl::Status s(CodeForHttp(http_code, reason), std::string(message));
  s.SetPayload(kStatusPayloadUrl, absl::Cord(internal::Dump(st)));
  return s;
}

int HttpCodeFor(const absl::Status& status) {
  if (absl::optional<absl::Cord> p = status.GetPayload(kStatusPayloadUrl)) {
    absl::StatusOr<Json> j = internal::ParseJson(std::string(*p));
    if (j.ok() && j->contains("code") && (*j)["code"].is_number_integer()) return (*j)["code"].get<int>();
  }
  return DefaultHttpCode(status.code());
}

std::string StatusBodyFor(const absl::Status& status) {
  if (absl::optional<absl::Cord> p = status.GetPayload(kStatusPayloadUrl)) return std::string(*p);
  int code = DefaultHttpCode(status.code());
  Json st = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
             {"message", std::string(status.message())}, {"reason", DefaultReason(code, status.code())},
             {"code", code}};
  return internal::Dump(st);
}

std::string ReasonOf(const absl::Status& status) {
  if (absl::optional<absl::Cord> p = status.GetPayload(kStatusPayloadUrl)) {
    absl::StatusOr<Json> j = internal::ParseJson(std::string(*p));
    if (j.ok()) return internal::GetString(*j, "reason");
  }
  return "";
}

}  // namespace phalanx::kube
