// JSON ↔ AdmissionReview (api/admission.h). Requests are decoded and responses encoded with RapidJSON
// (every pod creation of a JobSet passes through here); response decoding, used by tests and tools,
// uses nlohmann. Every RapidJSON Get*() is preceded by its Is*() check.
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/internal/json.h"
#include "api/internal/rapidjson_read.h"
#include "api/json_patch.h"
#include "common/status_macros.h"

namespace phalanx::api {
namespace internal {
// Defined in pod_codec.cc. Declared here, not in a header, so RapidJSON types stay out of api/'s
// headers: pod admission decodes the pod from the review's own parse.
absl::StatusOr<Pod> DecodePodValue(const rapidjson::Value& pod);
absl::Status ParseJsonInsitu(std::string_view text, std::string& buffer, rapidjson::Document& doc);
}  // namespace internal

namespace {

using internal::Json;


// --- RapidJSON side: requests in, responses out -------------------------------------------------

using RValue = rapidjson::Value;
using RWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using internal::Member;
using internal::WrongType;

// The same wording for the nlohmann side (responses).
absl::Status WrongType(std::string_view path, std::string_view want, const Json& got) {
  return internal::TypeError(path, want, got);
}

// RFC 3629 UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Strings read from the request are echoed (uid) or logged: they must be valid UTF-8. The parse
// itself skips validation (the objects are re-validated by the codec that reads them).
absl::Status ReadString(const RValue& obj, const char* key, std::string_view path,
                        std::string& out) {
  const RValue* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsString()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "string", *v);
  std::string_view text(v->GetString(), v->GetStringLength());
  if (!ValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ".", key, ": invalid UTF-8"));
  }
  out.assign(text.data(), text.size());
  return absl::OkStatus();
}

absl::Status ReadBool(const RValue& obj, const char* key, std::string_view path, bool& out) {
  const RValue* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsBool()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "boolean", *v);
  out = v->GetBool();
  return absl::OkStatus();
}

absl::StatusOr<const RValue*> ReadObject(const RValue& obj, const char* key,
                                         std::string_view path) {
  const RValue* v = Member(obj, key);
  if (v == nullptr) return nullptr;
  if (!v->IsObject()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "object", *v);
  return v;
}

absl::Status ReadGvk(const RValue& obj, const char* key, std::string_view path,
                     GroupVersionKind& out) {
  PHALANX_ASSIGN_OR_RETURN(const RValue* j, ReadObject(obj, key, path));
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(AsAbsl(path), ".", key);
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "group", p, out.group));
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "version", p, out.version));
  return ReadString(*j, "kind", p, out.kind);
}

absl::Status ReadGvr(const RValue& obj, const char* key, std::string_view path,
                     GroupVersionResource& out) {
  PHALANX_ASSIGN_OR_RETURN(const RValue* j, ReadObject(obj, key, path));
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(AsAbsl(path), ".", key);
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "group", p, out.group));
  PHALANX_RETURN_IF_ERROR(ReadString(*j, "version", p, out.version));
  return ReadString(*j, "resource", p, out.resource);
}

// An object-valued member as compact JSON text; nullopt when absent or null.
absl::StatusOr<std::optional<std::string>> ObjectText(const RValue& obj, const char* key,
                                                      std::string_view path) {
  PHALANX_ASSIGN_OR_RETURN(const RValue* v, ReadObject(obj, key, path));
  if (v == nullptr) return std::optional<std::string>();
  rapidjson::StringBuffer buf;
  RWriter w(buf);
  v->Accept(w);
  return std::optional<std::string>(std::string(buf.GetString(), buf.GetSize()));
}

void Key(RWriter& w, std::string_view k) { w.Key(k.data(), rapidjson::SizeType(k.size())); }
// Every string written is valid UTF-8, whatever a message quoted from the input: invalid bytes
// become U+FFFD (what Go's decoder would make of them anyway).
void String(RWriter& w, std::string_view v) {
  if (ValidUtf8(v)) {
    w.String(v.data(), rapidjson::SizeType(v.size()));
    return;
  }
  std::string clean;
  clean.reserve(v.size() + 8);
  size_t i = 0;
  while (i < v.size()) {
    // Longest valid prefix of at most 4 bytes starting at i.
    size_t len = 0;
    for (size_t n = 1; n <= 4 && i + n <= v.size(); ++n) {
      if (ValidUtf8(v.substr(i, n))) {
        len = n;
        break;
      }
    }
    if (len == 0) {
      clean += "\xEF\xBF\xBD";
      ++i;
    } else {
      clean.append(v.data() + i, len);
      i += len;
    }
  }
  w.String(clean.data(), rapidjson::SizeType(clean.size()));
}

void WriteStatus(RWriter& w, const Status& s) {
  w.StartObject();
  Key(w, "metadata");
  w.StartObject();
  w.EndObject();
  if (!s.status.empty()) {
    Key(w, "status");
    String(w, s.status);
  }
  if (!s.message.empty()) {
    Key(w, "message");
    String(w, s.message);
  }
  if (!s.reason.empty()) {
    Key(w, "reason");
    String(w, s.reason);
  }
  if (s.details) {
    Key(w, "details");
    w.StartObject();
    if (!s.details->name.empty()) {
      Key(w, "name");
      String(w, s.details->name);
    }
    if (!s.details->group.empty()) {
      Key(w, "group");
      String(w, s.details->group);
    }
    if (!s.details->kind.empty()) {
      Key(w, "kind");
      String(w, s.details->kind);
    }
    if (!s.details->causes.empty()) {
      Key(w, "causes");
      w.StartArray();
      for (const auto& c : s.details->causes) {
        w.StartObject();
        if (!c.reason.empty()) {
          Key(w, "reason");
          String(w, c.reason);
        }
        if (!c.message.empty()) {
          Key(w, "message");
          String(w, c.message);
        }
        if (!c.field.empty()) {
          Key(w, "field");
          String(w, c.field);
        }
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  if (s.code != 0) {
    Key(w, "code");
    w.Int(s.code);
  }
  w.EndObject();
}

// --- nlohmann side: response decoding for tests and tools --------------------------------------



// Reads an optional string member: absent or null leaves `out` unchanged.
absl::Status ReadString(const Json& obj, const char* key, std::string_view path, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "string", *it);
  out = it->get<std::string>();
  return absl::OkStatus();
}

// An optional object member; nullptr when absent or null.
absl::StatusOr<const Json*> ReadObject(const Json& obj, const char* key, std::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "object", *it);
  return &*it;
}

absl::StatusOr<AdmissionOperation> ParseOperation(std::string_view s) {
  if (s == "CREATE") return AdmissionOperation::kCreate;
  if (s == "UPDATE") return AdmissionOperation::kUpdate;
  if (s == "DELETE") return AdmissionOperation::kDelete;
  if (s == "CONNECT") return AdmissionOperation::kConnect;
  return absl::InvalidArgumentError(absl::StrCat("request.operation: unknown operation \"", AsAbsl(s), "\""));
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

absl::Status DecodeStatus(const Json& j, std::string_view path, Status& out) {
  PHALANX_RETURN_IF_ERROR(ReadString(j, "status", path, out.status));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "message", path, out.message));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "reason", path, out.reason));
  auto code = j.find("code");
  if (code != j.end() && !code->is_null()) {
    if (!code->is_number_integer()) return WrongType(absl::StrCat(AsAbsl(path), ".code"), "integer", *code);
    out.code = code->get<int32_t>();
  }
  PHALANX_ASSIGN_OR_RETURN(const Json* details, ReadObject(j, "details", path));
  if (details != nullptr) {
    std::string dpath = absl::StrCat(AsAbsl(path), ".details");
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

// Decodes the review; with `pod` non-null and a Pod request, the object goes into *pod instead of
// request.object.
absl::StatusOr<AdmissionReview> DecodeReview(std::string_view body,
                                             std::optional<absl::StatusOr<Pod>>* pod) {
  // No UTF-8 validation: the API server sends valid UTF-8, and the JobSet path re-parses the object
  // with a validating parser anyway.
  std::string buffer;
  rapidjson::Document doc;
  PHALANX_RETURN_IF_ERROR(internal::ParseJsonInsitu(body, buffer, doc));
  if (!doc.IsObject()) return WrongType("body", "an AdmissionReview object", doc);
  AdmissionReview review;
  PHALANX_RETURN_IF_ERROR(ReadString(doc, "apiVersion", "", review.api_version));
  PHALANX_RETURN_IF_ERROR(ReadString(doc, "kind", "", review.kind));
  if (review.api_version != kAdmissionApiVersionV1 &&
      review.api_version != kAdmissionApiVersionV1beta1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "apiVersion: expected \"admission.k8s.io/v1\", got \"", review.api_version, "\""));
  }
  if (review.kind != kAdmissionReviewKind) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: expected \"AdmissionReview\", got \"", review.kind, "\""));
  }
  const RValue* req = Member(doc, "request");
  if (req == nullptr) {
    return absl::InvalidArgumentError("request: missing; expected an AdmissionReview request");
  }
  if (!req->IsObject()) return WrongType("request", "object", *req);
  AdmissionRequest& r = review.request;
  constexpr std::string_view kPath = "request";
  PHALANX_RETURN_IF_ERROR(ReadString(*req, "uid", kPath, r.uid));
  if (r.uid.empty()) return absl::InvalidArgumentError("request.uid: missing");
  PHALANX_RETURN_IF_ERROR(ReadGvk(*req, "kind", kPath, r.kind));
  PHALANX_RETURN_IF_ERROR(ReadGvr(*req, "resource", kPath, r.resource));
  PHALANX_RETURN_IF_ERROR(ReadString(*req, "subResource", kPath, r.sub_resource));
  PHALANX_RETURN_IF_ERROR(ReadString(*req, "name", kPath, r.name));
  PHALANX_RETURN_IF_ERROR(ReadString(*req, "namespace", kPath, r.namespace_));
  std::string op;
  PHALANX_RETURN_IF_ERROR(ReadString(*req, "operation", kPath, op));
  PHALANX_ASSIGN_OR_RETURN(r.operation, ParseOperation(op));
  PHALANX_ASSIGN_OR_RETURN(const RValue* user, ReadObject(*req, "userInfo", kPath));
  if (user != nullptr) {
    PHALANX_RETURN_IF_ERROR(ReadString(*user, "username", "request.userInfo", r.username));
  }
  PHALANX_RETURN_IF_ERROR(ReadBool(*req, "dryRun", kPath, r.dry_run));
  if (pod != nullptr && r.kind.group.empty() && r.kind.kind == "Pod") {
    PHALANX_ASSIGN_OR_RETURN(const RValue* object, ReadObject(*req, "object", kPath));
    if (object != nullptr) *pod = internal::DecodePodValue(*object);
  } else {
    PHALANX_ASSIGN_OR_RETURN(r.object, ObjectText(*req, "object", kPath));
  }
  PHALANX_ASSIGN_OR_RETURN(r.old_object, ObjectText(*req, "oldObject", kPath));
  return review;
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
  return DecodeReview(body, nullptr);
}

absl::StatusOr<PodAdmissionReview> DecodePodAdmissionReview(std::string_view body) {
  PodAdmissionReview out;
  PHALANX_ASSIGN_OR_RETURN(out.review, DecodeReview(body, &out.pod));
  return out;
}

std::string EncodeAdmissionReview(std::string_view api_version, const AdmissionResponse& response) {
  rapidjson::StringBuffer buf;
  RWriter w(buf);
  w.StartObject();
  Key(w, "apiVersion");
  String(w, api_version);
  Key(w, "kind");
  String(w, kAdmissionReviewKind);
  Key(w, "response");
  w.StartObject();
  Key(w, "uid");
  String(w, response.uid);
  Key(w, "allowed");
  w.Bool(response.allowed);
  if (response.status) {
    Key(w, "status");
    WriteStatus(w, *response.status);
  }
  if (response.patch) {
    Key(w, "patch");
    String(w, Base64Encode(*response.patch));
    Key(w, "patchType");
    String(w, "JSONPatch");
  }
  if (!response.warnings.empty()) {
    Key(w, "warnings");
    w.StartArray();
    for (const auto& warning : response.warnings) String(w, warning);
    w.EndArray();
  }
  if (!response.audit_annotations.empty()) {
    Key(w, "auditAnnotations");
    w.StartObject();
    for (const auto& [k, v] : response.audit_annotations) {
      Key(w, k);
      String(w, v);
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
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
