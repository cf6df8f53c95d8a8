// JSON → Pod (api/pod.h). RapidJSON, reading only the modeled fields: pod admission is a hot path.
// Also the in-place, depth-limited RapidJSON parse the admission codec shares.
// Every Get*() is preceded by its Is*() check (RapidJSON asserts or misbehaves on the wrong type).
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "api/internal/rapidjson_read.h"
#include "api/pod.h"
#include "common/status_macros.h"

namespace phalanx::api {
namespace {

using Value = rapidjson::Value;

using internal::Member;
using internal::Str;
using internal::WrongType;

absl::Status ReadString(const Value& obj, const char* key, std::string_view path,
                        std::optional<std::string>& out) {
  const Value* j = Member(obj, key);
  if (j == nullptr) return absl::OkStatus();
  if (!j->IsString()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "string", *j);
  out = Str(*j);
  return absl::OkStatus();
}

absl::Status ReadMap(const Value& obj, const char* key, std::string_view path,
                     std::optional<StringMap>& out) {
  const Value* j = Member(obj, key);
  if (j == nullptr) return absl::OkStatus();
  std::string p = absl::StrCat(AsAbsl(path), ".", key);
  if (!j->IsObject()) return WrongType(p, "object", *j);
  StringMap m;
  for (auto it = j->MemberBegin(); it != j->MemberEnd(); ++it) {
    if (!it->value.IsString()) {
      return WrongType(absl::StrCat(p, "[", Str(it->name), "]"), "string", it->value);
    }
    m.insert_or_assign(Str(it->name), Str(it->value));
  }
  out = std::move(m);
  return absl::OkStatus();
}

absl::Status ReadBool(const Value& obj, const char* key, std::string_view path,
                      std::optional<bool>& out) {
  const Value* j = Member(obj, key);
  if (j == nullptr) return absl::OkStatus();
  if (!j->IsBool()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "boolean", *j);
  out = j->GetBool();
  return absl::OkStatus();
}

absl::Status ReadOwner(const Value& j, std::string_view path, OwnerReference& out) {
  if (!j.IsObject()) return WrongType(path, "object", j);
  std::optional<std::string> api_version, kind, name, uid;
  PHALANX_RETURN_IF_ERROR(ReadString(j, "apiVersion", path, api_version));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "kind", path, kind));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "name", path, name));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "uid", path, uid));
  out.api_version = api_version.value_or("");
  out.kind = kind.value_or("");
  out.name = name.value_or("");
  out.uid = uid.value_or("");
  PHALANX_RETURN_IF_ERROR(ReadBool(j, "controller", path, out.controller));
  return ReadBool(j, "blockOwnerDeletion", path, out.block_owner_deletion);
}

absl::Status ReadMeta(const Value& j, ObjectMeta& out) {
  constexpr std::string_view kPath = "metadata";
  if (!j.IsObject()) return WrongType(kPath, "object", j);
  PHALANX_RETURN_IF_ERROR(ReadString(j, "name", kPath, out.name));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "generateName", kPath, out.generate_name));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "namespace", kPath, out.namespace_));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "uid", kPath, out.uid));
  PHALANX_RETURN_IF_ERROR(ReadString(j, "deletionTimestamp", kPath, out.deletion_timestamp));
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "labels", kPath, out.labels));
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "annotations", kPath, out.annotations));
  if (const Value* owners = Member(j, "ownerReferences")) {
    if (!owners->IsArray()) return WrongType("metadata.ownerReferences", "array", *owners);
    out.owner_references.emplace();
    for (rapidjson::SizeType i = 0; i < owners->Size(); ++i) {
      OwnerReference ref;
      PHALANX_RETURN_IF_ERROR(
          ReadOwner((*owners)[i], absl::StrCat("metadata.ownerReferences[", i, "]"), ref));
      out.owner_references->push_back(std::move(ref));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSpec(const Value& j, Pod& pod) {
  constexpr std::string_view kPath = "spec";
  if (!j.IsObject()) return WrongType(kPath, "object", j);
  if (const Value* p = Member(j, "priority")) {
    if (p->IsInt()) {
      pod.priority = p->GetInt();
    } else if (p->IsInt64() || p->IsUint64()) {
      return absl::InvalidArgumentError("spec.priority: out of int32 range");
    } else {
      return WrongType("spec.priority", "integer", *p);
    }
  }
  if (const Value* gates = Member(j, "schedulingGates")) {
    if (!gates->IsArray()) return WrongType("spec.schedulingGates", "array", *gates);
    pod.scheduling_gates.emplace();
    for (rapidjson::SizeType i = 0; i < gates->Size(); ++i) {
      const Value& g = (*gates)[i];
      std::string gpath = absl::StrCat("spec.schedulingGates[", i, "]");
      if (!g.IsObject()) return WrongType(gpath, "object", g);
      std::optional<std::string> name;
      PHALANX_RETURN_IF_ERROR(ReadString(g, "name", gpath, name));
      pod.scheduling_gates->push_back(name.value_or(""));
    }
  }
  PHALANX_RETURN_IF_ERROR(ReadMap(j, "nodeSelector", kPath, pod.node_selector));
  std::optional<std::string> node_name;
  PHALANX_RETURN_IF_ERROR(ReadString(j, "nodeName", kPath, node_name));
  pod.node_name = node_name.value_or("");
  return absl::OkStatus();
}

}  // namespace

bool Pod::HasSchedulingGate(std::string_view name) const {
  if (!scheduling_gates) return false;
  for (const auto& g : *scheduling_gates) {
    if (g == name) return true;
  }
  return false;
}

const OwnerReference* Pod::ControllerOwner() const {
  if (!metadata.owner_references) return nullptr;
  for (const auto& r : *metadata.owner_references) {
    if (r.controller.value_or(false)) return &r;
  }
  return nullptr;
}

namespace internal {
namespace {

// Forwards SAX events to a Document, refusing nesting deeper than kMaxDepth. With the iterative
// parser nothing recurses while parsing; the limit protects code that walks the result recursively.
struct DepthLimiter {
  rapidjson::Document& doc;
  int depth = 0;
  bool too_deep = false;

  bool Open() {
    if (++depth > kMaxDepth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned u) { return doc.Uint(u); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t u) { return doc.Uint64(u); }
  bool Double(double d) { return doc.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return Open() && doc.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return doc.EndObject(n);
  }
  bool StartArray() { return Open() && doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return doc.EndArray(n);
  }
};

// Document::Populate's generator: one in-place, iterative, depth-limited parse.
struct InsituParse {
  char* text;
  rapidjson::ParseResult result;
  bool too_deep = false;

  bool operator()(rapidjson::Document& doc) {
    DepthLimiter limiter{doc};
    rapidjson::InsituStringStream stream(text);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag>(stream, limiter);
    too_deep = limiter.too_deep;
    return !result.IsError();
  }
};

}  // namespace

// Declared in admission_codec.cc. Parses `text` in place from a private copy in `buffer` (which
// must outlive `doc`: strings point into it). Embedded NULs are rejected: in-place parsing stops there.
absl::Status ParseJsonInsitu(std::string_view text, std::string& buffer, rapidjson::Document& doc) {
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("malformed JSON: NUL byte in input");
  }
  buffer.assign(text.data(), text.size());
  InsituParse parse{buffer.data(), rapidjson::ParseResult(), false};
  doc.Populate(parse);
  if (parse.too_deep) {
    return absl::InvalidArgumentError(absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels"));
  }
  if (parse.result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON at offset ", parse.result.Offset(),
                                                   ": ", GetParseError_En(parse.result.Code())));
  }
  return absl::OkStatus();
}

// Declared in admission_codec.cc (the pod admission fast path).
absl::StatusOr<Pod> DecodePodValue(const rapidjson::Value& doc) {
  if (!doc.IsObject()) return WrongType("pod", "object", doc);
  Pod pod;
  if (const Value* m = Member(doc, "metadata")) PHALANX_RETURN_IF_ERROR(ReadMeta(*m, pod.metadata));
  if (const Value* s = Member(doc, "spec")) PHALANX_RETURN_IF_ERROR(ReadSpec(*s, pod));
  return pod;
}
}  // namespace internal

absl::StatusOr<Pod> DecodePod(std::string_view json) {
  std::string buffer;
  rapidjson::Document doc;
  PHALANX_RETURN_IF_ERROR(internal::ParseJsonInsitu(json, buffer, doc));
  return internal::DecodePodValue(doc);
}

}  // namespace phalanx::api
