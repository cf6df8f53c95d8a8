// JSON ↔ AdmissionReview (api/admission.h).
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/internal/json.h"
#include "api/json_patch.h"
#include "common/status_macros.h"

namespace phalanx::api {
namespace {

using internal::Json;

// Abseil here is built with its own string_view type; StrCat needs it spelled out.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status WrongType(std::string_view path, std::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(path), ": expected ", Sv(want), ", got ", got.type_name()));
}

// Reads an optional string member: absent or null leaves `out` unchanged.
absl::Status ReadString(const Json& obj, const char* key, std::string_view path, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return WrongType(absl::StrCat(Sv(path), ".", key), "string", *it);
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& obj, const char* key, std::string_view path, bool& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) return WrongType(absl::StrCat(Sv(path), ".", key), "boolean", *it);
  out = it->get<bool>();
  return absl::OkStatus();
}

// An optional object member; nullptr when absent or null.
absl::StatusOr<const Json*> ReadObject(const Json& obj, const char* key, std::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return WrongType(absl::StrCat(Sv(path), ".", key), "object", *it);
  return &*it;
}

absl::Status ReadGvk(const Json& obj, const char* key, std::string_view path, GroupVersionKind& out) {
  PHALANX_ASSIGN_OR_RETURN(const Json* j, ReadObject(obj, key, path));
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(Sv(path), ".", key);
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "group", p, out.group));
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "version", p, out.version));
  return ReadString(*j, "kind", p, out.kind);
}

absl::Status ReadGvr(const Json& obj, const char* key, std::string_view path,
                     GroupVersionResource& out) {
  PHALANX_ASSIGN_OR_RETURN(const Json* j, ReadObject(obj, key, path));
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(Sv(path), ".", key);
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "group", p, out.group));
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "version", p, out.version));
  return ReadString(*j, "resource", p, out.resource);
}

absl::StatusOr<AdmissionOperation> ParseOperation(std::string_view s) {
  if (s == "CREATE") return AdmissionOperation::kCreate;
  if (s == "UPDATE") return AdmissionOperation::kUpdate;
  if (s == "DELETE") return AdmissionOperation::kDelete;
  if (s == "CONNECT") return AdmissionOperation::kConnect;
  return absl::InvalidArgumentError(absl::StrCat("request.operation: unknown operation \"", Sv(s), "\""));
}

// Moves an object-valued member out as RawJson; nullopt when absent or null.
absl::StatusOr<std::optional<RawJson>> TakeRawObject(Json& obj, const char* key,
                                                     std::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<RawJson>();
  if (!it->is_object()) return WrongType(absl::StrCat(Sv(path), ".", key), "object", *it);
  return std::optional<RawJson>(internal::MakeRaw(std::move(*it)));
}

absl::Status CheckEnvelope(const Json& root, std::string& api_version, std::string& kind) {
  if (!root.is_object()) return WrongType("body", "an AdmissionReview object", root);
  PHALANX_RETURN_IF_ERROR(ReadString(root, "apiVersion", "", api_version));
  PHALANX_RETURN_IF_ERROR(ReadString(root, "kind", "", kind));
  if (api_version != kAdmissionApiVersionV1 && api_version != kAdmissionApiVersionV1beta1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "apiVersion: expected \"admission.k8s.io/v1\", got \"", api_version, "\""));
  }
  if (kind != kAdmissionReviewKind) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: expected \"AdmissionReview\", got \"", kind, "\""));
  }
  return absl::OkStatus();
}

Json EncodeStatus(const Status& s) {
  Json j = Json::object();
  j["metadata"] = Json::object();
  if (!s.status.empty()) j["status"] = s.status;
  if (!s.message.empty()) j["message"] = s.message;
  if (!s.reason.empty()) j["reason"] = s.reason;
  if (s.details) {
    Json d = Json::object();
    if (!s.details->name.empty()) d["name"] = s.details->name;
    if (!s.details->group.empty()) d["group"] = s.details->group;
    if (!s.details->kind.empty()) d["kind"] = s.details->kind;
    if (!s.details->causes.empty()) {
      Json causes = Json::array();
      for (const auto& c : s.details->causes) {
        Json cj = Json::object();
        if (!c.reason.empty()) cj["reason"] = c.reason;
        if (!c.message.empty()) cj["message"] = c.message;
        if (!c.field.empty()) cj["field"] = c.field;
        causes.push_back(std::move(cj));
      }
      d["causes"] = std::move(causes);
    }
    j["details"] = std::move(d);
  }
  if (s.code != 0) j["code"] = s.code;
  return j;
}

absl::Status DecodeStatus(const Json& j, std::string_view path, Status& out) {
  PHALANX_RETURN_IF_ERROR(ReadString(j, "status", path, out.status));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "message", path, out.message));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "reason", path, out.reason));
  auto code = j.find("code");
  if (code != j.end() && !code->is_null()) {
    if (!code->is_number_integer()) return WrongType(absl::StrCat(Sv(path), ".code"), "integer", *code);
    out.code = code->get<int32_t>();
  }
  PHALANX_ASSIGN_OR_RETURN(const Json* details, ReadObject(j, "details", path));
  if (details != nullptr) {
    std::string dpath = absl::StrCat(Sv(path), ".details");
    StatusDetails d;
    PHALANX_RETURN_IF_ERROR(ReadString(*details, "name", dpath, d.name));
    PHALANX_RETURN_IF_ERROR(ReadString(*details, "group", dpath, d.group));
    PHALANX_RETURN_IF_ERROR(ReadString(*details, "kind", dpath, d.kind));
    auto causes = details->find("causes");
    if (causes != details->end() && causes->is_array()) {
      for (const Json& c : *causes) {
        if (!c.is_object()) return WrongType(absl::StrCat(dpath, ".causes[]"), "object", c);
        StatusCause cause;
        PHALANX_RETURN_IF_ERROR(ReadString(c, "reason", dpath, cause.reason));
        PHALANX_RETURN_IF_ERROR(ReadString(c, "message", dpath, cause.message));
        PHALANX_RETURN_IF_ERROR(ReadString(c, "field", dpath, cause.field));
        d.causes.push_back(std::move(cause));
      }
    }
    out.details = std::move(d);
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view AdmissionOperationName(AdmissionOperation op) {
  switch (op) {
    case AdmissionOperation::kCreate:
      return "CREATE";
    case AdmissionOperation::kUpdate:
      return "UPDATE";
    case AdmissionOperation::kDelete:
      return "DELETE";
    case AdmissionOperation::kConnect:
      return "CONNECT";
  }
  return "CREATE";
}

absl::StatusOr<AdmissionReview> DecodeAdmissionReview(std::string_view body) {
  PHALANX_ASSIGN_OR_RETURN(Json root, internal::ParseJson(body));
  AdmissionReview review;
  PHALANX_RETURN_IF_ERROR(CheckEnvelope(root, review.api_version, review.kind));
  auto rit = root.find("request");
  if (rit == root.end() || rit->is_null()) {
    return absl::InvalidArgumentError("request: missing; expected an AdmissionReview request");
  }
  if (!rit->is_object()) return WrongType("request", "object", *rit);
  Json& req = *rit;
  AdmissionRequest& r = review.request;
  constexpr std::string_view kPath = "request";
  PHALANX_RETURN_IF_ERROR(ReadString(req, "uid", kPath, r.uid));
  if (r.uid.empty()) return absl::InvalidArgumentError("request.uid: missing");
  PHALANX_RETURN_IF_ERROR(ReadGvk(req, "kind", kPath, r.kind));
  PHALANX_RETURN_IF_ERROR(ReadGvr(req, "resource", kPath, r.resource));
  PHALANX_RETURN_IF_ERROR(ReadString(req, "subResource", kPath, r.sub_resource));
  PHALANX_RETURN_IF_ERROR(ReadString(req, "name", kPath, r.name));
  PHALANX_RETURN_IF_ERROR(ReadString(req, "namespace", kPath, r.namespace_));
  std::string op;
  PHALANX_RETURN_IF_ERROR(ReadString(req, "operation", kPath, op));
  PHALANX_ASSIGN_OR_RETURN(r.operation, ParseOperation(op));
  PHALANX_ASSIGN_OR_RETURN(const Json* user, ReadObject(req, "userInfo", kPath));
  if (user != nullptr) {
    PHALANX_RETURN_IF_ERROR(ReadString(*user, "username", "request.userInfo", r.username));
  }
  PHALANX_RETURN_IF_ERROR(ReadBool(req, "dryRun", kPath, r.dry_run));
  PHALANX_ASSIGN_OR_RETURN(r.object, TakeRawObject(req, "object", kPath));
  PHALANX_ASSIGN_OR_RETURN(r.old_object, TakeRawObject(req, "oldObject", kPath));
  return review;
}

std::string EncodeAdmissionReview(std::string_view api_version, const AdmissionResponse& response) {
  Json resp = Json::object();
  resp["uid"] = response.uid;
  resp["allowed"] = response.allowed;
  if (response.status) resp["status"] = EncodeStatus(*response.status);
  if (response.patch) {
    resp["patch"] = Base64Encode(*response.patch);
    resp["patchType"] = "JSONPatch";
  }
  if (!response.warnings.empty()) resp["warnings"] = response.warnings;
  if (!response.audit_annotations.empty()) {
    Json a = Json::object();
    for (const auto& [k, v] : response.audit_annotations) a[k] = v;
    resp["auditAnnotations"] = std::move(a);
  }
  Json root = Json::object();
  root["apiVersion"] = std::string(api_version);
  root["kind"] = std::string(kAdmissionReviewKind);
  root["response"] = std::move(resp);
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<AdmissionResponseReview> DecodeAdmissionResponseReview(std::string_view body) {
  PHALANX_ASSIGN_OR_RETURN(Json root, internal::ParseJson(body));
  AdmissionResponseReview out;
  PHALANX_RETURN_IF_ERROR(CheckEnvelope(root, out.api_version, out.kind));
  auto rit = root.find("response");
  if (rit == root.end() || !rit->is_object()) {
    return absl::InvalidArgumentError("response: missing or not an object");
  }
  const Json& resp = *rit;
  constexpr std::string_view kPath = "response";
  AdmissionResponse& r = out.response;
  PHALANX_RETURN_IF_ERROR(ReadString(resp, "uid", kPath, r.uid));
  auto allowed = resp.find("allowed");
  if (allowed == resp.end() || !allowed->is_boolean()) {
    return absl::InvalidArgumentError("response.allowed: missing or not a boolean");
  }
  r.allowed = allowed->get<bool>();
  PHALANX_ASSIGN_OR_RETURN(const Json* status, ReadObject(resp, "status", kPath));
  if (status != nullptr) {
    Status s;
    PHALANX_RETURN_IF_ERROR(DecodeStatus(*status, "response.status", s));
    r.status = std::move(s);
  }
  std::string patch;
  PHALANX_RETURN_IF_ERROR(ReadString(resp, "patch", kPath, patch));
  if (resp.contains("patch")) {
    PHALANX_ASSIGN_OR_RETURN(std::string decoded, Base64Decode(patch));
    r.patch = std::move(decoded);
  }
  if (resp.contains("patchType")) {
    std::string pt;
    PHALANX_RETURN_IF_ERROR(ReadString(resp, "patchType", kPath, pt));
    out.patch_type = std::move(pt);
  }
  auto warnings = resp.find("warnings");
  if (warnings != resp.end() && warnings->is_array()) {
    for (const Json& w : *warnings) {
      if (!w.is_string()) return WrongType("response.warnings[]", "string", w);
      r.warnings.push_back(w.get<std::string>());
    }
  }
  PHALANX_ASSIGN_OR_RETURN(const Json* audit, ReadObject(resp, "auditAnnotations", kPath));
  if (audit != nullptr) {
    for (const auto& [k, v] : audit->items()) {
      if (!v.is_string()) return WrongType("response.auditAnnotations", "string values", v);
      r.audit_annotations[k] = v.get<std::string>();
    }
  }
  return out;
}

}  // namespace phalanx::api
