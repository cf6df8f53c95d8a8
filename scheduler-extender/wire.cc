// ExtenderArgs → pod + candidate names, and the Filter / Prioritize answers (wire.h).
// RapidJSON, parsed in place with a depth limit; every Get*() is preceded by its Is*() check.
#include "scheduler-extender/wire.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

#include "api/internal/rapidjson_read.h"
#include "api/labels.h"
#include "api/quantity.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "scheduler-extender/to_placement.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>

namespace phalanx::extender {

using Value = rapidjson::Value;
using api::internal::Member;
using api::internal::Str;
using api::internal::WrongType;

struct ExtenderArgs::Body {
  std::string text;                 // parsed in place: decoded strings live here
  rapidjson::Document doc;          // owns the values; strings point into `text`
  std::vector<const Value*> nodes;  // kNodes form: the Node object of each name
};

ExtenderArgs::ExtenderArgs() = default;
ExtenderArgs::ExtenderArgs(ExtenderArgs&&) noexcept = default;
ExtenderArgs& ExtenderArgs::operator=(ExtenderArgs&&) noexcept = default;
ExtenderArgs::~ExtenderArgs() = default;

namespace {

// Same limit as the rest of api/: deep enough for any Kubernetes object, shallow enough that the
// recursive writer (full-Node answers) cannot exhaust the stack.
constexpr int kMaxDepth = 128;

// ---- parsing ------------------------------------------------------------------------------------

// ASCII case-insensitive match of `s` against a lower-case `want`, as Go's encoding/json matches
// keys to field names.
bool FoldEquals(const char* s, size_t n, std::string_view want) {
  if (n != want.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

// The strings of a top-level "NodeNames" array, taken straight from the parser instead of being
// built into the document (a large request is almost nothing else). Non-strings are still built
// into the document's array, and the first of them is remembered for the error message.
struct NameCapture {
  std::vector<std::string_view> names;
  rapidjson::SizeType first_bad = 0;
  const char* bad_type = nullptr;  // set when the array held a non-string
};

// Forwards SAX events to a Document, refusing nesting deeper than kMaxDepth, and diverting the
// strings of a top-level NodeNames array (any case of the key) into `capture` when it is set.
struct ParseHandler {
  rapidjson::Document& doc;
  NameCapture* capture = nullptr;
  int depth = 0;
  bool too_deep = false;
  bool names_key = false;             // the last top-level key was NodeNames
  bool in_names = false;              // inside that key's array (at depth 2)
  rapidjson::SizeType index = 0;      // position in that array
  rapidjson::SizeType forwarded = 0;  // its elements built into the document

  bool Open() {
    if (++depth > kMaxDepth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  // Called for every value; false when the value is a captured name (not forwarded).
  void NonString(const char* type) {
    if (!in_names || depth != 2) return;
    if (capture->bad_type == nullptr) {
      capture->bad_type = type;
      capture->first_bad = index;
    }
    ++index;
    ++forwarded;
  }
  bool Null() {
    NonString("null");
    return doc.Null();
  }
  bool Bool(bool b) {
    NonString("boolean");
    return doc.Bool(b);
  }
  bool Int(int i) {
    NonString("number");
    return doc.Int(i);
  }
  bool Uint(unsigned u) {
    NonString("number");
    return doc.Uint(u);
  }
  bool Int64(int64_t i) {
    NonString("number");
    return doc.Int64(i);
  }
  bool Uint64(uint64_t u) {
    NonString("number");
    return doc.Uint64(u);
  }
  bool Double(double d) {
    NonString("number");
    return doc.Double(d);
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    NonString("number");
    return doc.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (in_names && depth == 2) {
      capture->names.emplace_back(s, n);
      ++index;
      return true;
    }
    return doc.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (capture != nullptr && depth == 1) names_key = FoldEquals(s, n, "nodenames");
    return doc.Key(s, n, copy);
  }
  bool StartObject() {
    NonString("object");
    return Open() && doc.StartObject();
  }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return doc.EndObject(n);
  }
  bool StartArray() {
    NonString("array");
    if (capture != nullptr && depth == 1 && names_key) {
      // A repeated key: the last array wins, as in Go.
      capture->names.clear();
      capture->bad_type = nullptr;
      in_names = true;
      index = 0;
      forwarded = 0;
    }
    return Open() && doc.StartArray();
  }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    if (in_names && depth == 1) {
      in_names = false;
      return doc.EndArray(forwarded);
    }
    return doc.EndArray(n);
  }
};

struct InsituParse {
  char* text;
  NameCapture* capture;
  rapidjson::ParseResult result;
  bool too_deep = false;
  size_t consumed = 0;  // the in-place stream ends at the first NUL byte

  bool operator()(rapidjson::Document& doc) {
    ParseHandler handler{doc, capture};
    rapidjson::InsituStringStream stream(text);
    rapidjson::Reader reader;
    result =
        reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag>(stream, handler);
    too_deep = handler.too_deep;
    consumed = stream.Tell();
    return !result.IsError();
  }
};

// Parses `text` in place into `doc` (strings of `doc` then point into `text`); with `capture`, the
// strings of a top-level NodeNames array go there instead (see NameCapture).
absl::Status ParseInPlace(std::string& text, rapidjson::Document& doc,
                          NameCapture* capture = nullptr) {
  InsituParse parse{text.data(), capture, rapidjson::ParseResult(), false, 0};
  doc.Populate(parse);
  // A NUL byte ends the in-place stream: one after a complete value leaves input unread. (One
  // inside the value is a parse error below. `text` cannot be searched now: parsing in place wrote
  // NULs after the strings it decoded.)
  if (!parse.result.IsError() && parse.consumed != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON: NUL byte at offset ", parse.consumed));
  }
  if (parse.too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels"));
  }
  if (parse.result.IsError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", parse.result.Offset(), ": ",
                     rapidjson::GetParseError_En(parse.result.Code())));
  }
  return absl::OkStatus();
}

std::string_view View(const Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

bool KeyIs(const Value& key, std::string_view want) {
  return FoldEquals(key.GetString(), key.GetStringLength(), want);
}

// The last member of `obj` whose key folds to `want`; nullptr when absent or null.
const Value* FoldedMember(const Value& obj, std::string_view want) {
  const Value* found = nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (KeyIs(it->name, want)) found = &it->value;
  }
  return found != nullptr && !found->IsNull() ? found : nullptr;
}

// ---- pod decoding -------------------------------------------------------------------------------

absl::Status ReadString(const Value& obj, const char* key, std::string_view path,
                        std::string& out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsString()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "string", *v);
  out = Str(*v);
  return absl::OkStatus();
}

absl::Status ReadOptString(const Value& obj, const char* key, std::string_view path,
                           std::optional<std::string>& out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsString()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "string", *v);
  out = Str(*v);
  return absl::OkStatus();
}

absl::Status ReadStringMap(const Value& obj, const char* key, std::string_view path,
                           api::StringMap& out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsObject()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "object", *v);
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    if (!it->value.IsString()) {
      return WrongType(absl::StrCat(AsAbsl(path), ".", key, "[", Str(it->name), "]"), "string",
                       it->value);
    }
    out.insert_or_assign(Str(it->name), Str(it->value));
  }
  return absl::OkStatus();
}

absl::Status ReadStringArray(const Value& obj, const char* key, std::string_view path,
                             std::vector<std::string>& out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->IsArray()) return WrongType(absl::StrCat(AsAbsl(path), ".", key), "array", *v);
  out.reserve(v->Size());
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& s = (*v)[i];
    if (!s.IsString())
      return WrongType(absl::StrCat(AsAbsl(path), ".", key, "[", i, "]"), "string", s);
    out.push_back(Str(s));
  }
  return absl::OkStatus();
}

absl::Status ReadMeta(const Value& m, api::PodInfo& pod) {
  constexpr std::string_view kPath = "metadata";
  if (!m.IsObject()) return WrongType(kPath, "object", m);
  api::ObjectMeta& meta = pod.metadata;
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "name", kPath, meta.name));
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "namespace", kPath, meta.namespace_));
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "uid", kPath, meta.uid));
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "resourceVersion", kPath, meta.resource_version));
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "creationTimestamp", kPath, meta.creation_timestamp));
  PHALANX_RETURN_IF_ERROR(ReadOptString(m, "deletionTimestamp", kPath, meta.deletion_timestamp));
  if (Member(m, "labels") != nullptr) {
    meta.labels.emplace();
    PHALANX_RETURN_IF_ERROR(ReadStringMap(m, "labels", kPath, *meta.labels));
  }
  if (Member(m, "annotations") != nullptr) {
    meta.annotations.emplace();
    PHALANX_RETURN_IF_ERROR(ReadStringMap(m, "annotations", kPath, *meta.annotations));
  }
  if (const Value* owners = Member(m, "ownerReferences")) {
    if (!owners->IsArray()) return WrongType("metadata.ownerReferences", "array", *owners);
    meta.owner_references.emplace();
    for (rapidjson::SizeType i = 0; i < owners->Size(); ++i) {
      const Value& o = (*owners)[i];
      const std::string path = absl::StrCat("metadata.ownerReferences[", i, "]");
      if (!o.IsObject()) return WrongType(path, "object", o);
      api::OwnerReference ref;
      PHALANX_RETURN_IF_ERROR(ReadString(o, "apiVersion", path, ref.api_version));
      PHALANX_RETURN_IF_ERROR(ReadString(o, "kind", path, ref.kind));
      PHALANX_RETURN_IF_ERROR(ReadString(o, "name", path, ref.name));
      PHALANX_RETURN_IF_ERROR(ReadString(o, "uid", path, ref.uid));
      if (const Value* c = Member(o, "controller")) {
        if (!c->IsBool()) return WrongType(absl::StrCat(path, ".controller"), "boolean", *c);
        ref.controller = c->GetBool();
      }
      if (ref.controller.value_or(false)) pod.controller_kind = ref.kind;
      meta.owner_references->push_back(std::move(ref));
    }
  }
  return absl::OkStatus();
}

// A resource list ({"cpu": "500m", ...}); integers are accepted as Go's Quantity accepts them.
absl::Status ReadResourceList(const Value& list, std::string_view path, api::Resources& out) {
  if (!list.IsObject()) return WrongType(path, "object", list);
  for (auto it = list.MemberBegin(); it != list.MemberEnd(); ++it) {
    const std::string_view name = View(it->name);
    const Value& q = it->value;
    std::string number;
    std::string_view text;
    if (q.IsString()) {
      text = View(q);
    } else if (q.IsInt64()) {
      number = absl::StrCat(q.GetInt64());
      text = number;
    } else if (q.IsUint64()) {
      number = absl::StrCat(q.GetUint64());
      text = number;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ".", AsAbsl(name),
                                                     ": expected a quantity, got ",
                                                     api::internal::TypeName(q)));
    }
    auto v = api::ParseResource(name, text);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(path), ".", AsAbsl(name), ": ", v.status().message()));
    }
    out[std::string(name)] = *v;
  }
  return absl::OkStatus();
}

// `resources` of a container or of the pod: requests, with limits standing in for absent requests.
absl::Status ReadRequests(const Value& resources, std::string_view path, api::Resources& out) {
  if (!resources.IsObject()) return WrongType(path, "object", resources);
  if (const Value* r = Member(resources, "requests")) {
    PHALANX_RETURN_IF_ERROR(ReadResourceList(*r, absl::StrCat(AsAbsl(path), ".requests"), out));
  }
  if (const Value* l = Member(resources, "limits")) {
    api::Resources limits;
    PHALANX_RETURN_IF_ERROR(ReadResourceList(*l, absl::StrCat(AsAbsl(path), ".limits"), limits));
    for (auto& [k, v] : limits) out.emplace(k, v);
  }
  return absl::OkStatus();
}

absl::Status ContainerRequests(const Value& c, std::string_view path, api::Resources& out,
                               bool* restartable) {
  if (!c.IsObject()) return WrongType(path, "object", c);
  if (restartable != nullptr) {
    *restartable = false;
    if (const Value* p = Member(c, "restartPolicy")) {
      if (!p->IsString())
        return WrongType(absl::StrCat(AsAbsl(path), ".restartPolicy"), "string", *p);
      *restartable = View(*p) == "Always";
    }
  }
  if (const Value* r = Member(c, "resources")) {
    PHALANX_RETURN_IF_ERROR(ReadRequests(*r, absl::StrCat(AsAbsl(path), ".resources"), out));
  }
  return absl::OkStatus();
}

// kube-scheduler's pod request rule (api::PodRequests), fed from the pod's JSON.
absl::Status ReadPodRequests(const Value& spec, api::Resources& out) {
  std::vector<api::Resources> containers;
  if (const Value* cs = Member(spec, "containers")) {
    if (!cs->IsArray()) return WrongType("spec.containers", "array", *cs);
    for (rapidjson::SizeType i = 0; i < cs->Size(); ++i) {
      PHALANX_RETURN_IF_ERROR(ContainerRequests((*cs)[i], absl::StrCat("spec.containers[", i, "]"),
                                                containers.emplace_back(), nullptr));
    }
  }
  std::vector<api::ContainerRequests> init_containers;
  if (const Value* ics = Member(spec, "initContainers")) {
    if (!ics->IsArray()) return WrongType("spec.initContainers", "array", *ics);
    for (rapidjson::SizeType i = 0; i < ics->Size(); ++i) {
      api::ContainerRequests& c = init_containers.emplace_back();
      PHALANX_RETURN_IF_ERROR(ContainerRequests((*ics)[i], absl::StrCat("spec.initContainers[", i, "]"), c.requests,
                                                &c.restartable));
    }
  }
  std::optional<api::Resources> pod_level;
  if (const Value* pr = Member(spec, "resources")) {
    PHALANX_RETURN_IF_ERROR(ReadRequests(*pr, "spec.resources", pod_level.emplace()));
  }
  api::Resources overhead;
  if (const Value* oh = Member(spec, "overhead")) {
    PHALANX_RETURN_IF_ERROR(ReadResourceList(*oh, "spec.overhead", overhead));
  }
  out = api::PodRequests(containers, init_containers, pod_level, overhead);
  return absl::OkStatus();
}

absl::Status ReadRequirement(const Value& e, std::string_view path,
                             api::NodeSelectorRequirementInfo& out) {
  if (!e.IsObject()) return WrongType(path, "object", e);
  PHALANX_RETURN_IF_ERROR(ReadString(e, "key", path, out.key));
  PHALANX_RETURN_IF_ERROR(ReadString(e, "operator", path, out.op));
  return ReadStringArray(e, "values", path, out.values);
}

absl::Status ReadRequiredAffinity(const Value& spec, api::PodScheduling& out) {
  const Value* aff = Member(spec, "affinity");
  if (aff == nullptr) return absl::OkStatus();
  if (!aff->IsObject()) return WrongType("spec.affinity", "object", *aff);
  const Value* na = Member(*aff, "nodeAffinity");
  if (na == nullptr) return absl::OkStatus();
  if (!na->IsObject()) return WrongType("spec.affinity.nodeAffinity", "object", *na);
  constexpr std::string_view kReq =
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
  const Value* req = Member(*na, "requiredDuringSchedulingIgnoredDuringExecution");
  if (req == nullptr) return absl::OkStatus();
  if (!req->IsObject()) return WrongType(kReq, "object", *req);
  const Value* terms = Member(*req, "nodeSelectorTerms");
  if (terms == nullptr) return absl::OkStatus();
  if (!terms->IsArray())
    return WrongType(absl::StrCat(AsAbsl(kReq), ".nodeSelectorTerms"), "array", *terms);
  out.required_terms.reserve(terms->Size());
  for (rapidjson::SizeType t = 0; t < terms->Size(); ++t) {
    const Value& term = (*terms)[t];
    const std::string tpath = absl::StrCat(AsAbsl(kReq), ".nodeSelectorTerms[", t, "]");
    if (!term.IsObject()) return WrongType(tpath, "object", term);
    api::NodeSelectorTermInfo info;
    if (const Value* exprs = Member(term, "matchExpressions")) {
      if (!exprs->IsArray())
        return WrongType(absl::StrCat(tpath, ".matchExpressions"), "array", *exprs);
      for (rapidjson::SizeType i = 0; i < exprs->Size(); ++i) {
        api::NodeSelectorRequirementInfo r;
        PHALANX_RETURN_IF_ERROR(
            ReadRequirement((*exprs)[i], absl::StrCat(tpath, ".matchExpressions[", i, "]"), r));
        info.match_expressions.push_back(std::move(r));
      }
    }
    if (const Value* fields = Member(term, "matchFields")) {
      if (!fields->IsArray())
        return WrongType(absl::StrCat(tpath, ".matchFields"), "array", *fields);
      for (rapidjson::SizeType i = 0; i < fields->Size(); ++i) {
        api::NodeSelectorRequirementInfo r;
        PHALANX_RETURN_IF_ERROR(
            ReadRequirement((*fields)[i], absl::StrCat(tpath, ".matchFields[", i, "]"), r));
        // metadata.name In [...] is the only field selector the API allows for node affinity that
        // narrows to names; other operators are left to the scheduler's own filters.
        if (r.key != "metadata.name" || r.op != "In") continue;
        for (std::string& v : r.values) info.node_names.push_back(std::move(v));
      }
    }
    out.required_terms.push_back(std::move(info));
  }
  return absl::OkStatus();
}

absl::Status ReadTolerations(const Value& spec, api::PodScheduling& out) {
  const Value* tols = Member(spec, "tolerations");
  if (tols == nullptr) return absl::OkStatus();
  if (!tols->IsArray()) return WrongType("spec.tolerations", "array", *tols);
  out.tolerations.reserve(tols->Size());
  for (rapidjson::SizeType i = 0; i < tols->Size(); ++i) {
    const Value& t = (*tols)[i];
    const std::string path = absl::StrCat("spec.tolerations[", i, "]");
    if (!t.IsObject()) return WrongType(path, "object", t);
    api::TolerationInfo tol;
    tol.op.clear();
    PHALANX_RETURN_IF_ERROR(ReadString(t, "key", path, tol.key));
    PHALANX_RETURN_IF_ERROR(ReadString(t, "operator", path, tol.op));
    PHALANX_RETURN_IF_ERROR(ReadString(t, "value", path, tol.value));
    PHALANX_RETURN_IF_ERROR(ReadString(t, "effect", path, tol.effect));
    if (tol.op.empty()) tol.op = "Equal";
    out.tolerations.push_back(std::move(tol));
  }
  return absl::OkStatus();
}

absl::Status ReadSpec(const Value& spec, api::PodInfo& pod) {
  if (!spec.IsObject()) return WrongType("spec", "object", spec);
  api::PodScheduling& s = pod.scheduling;
  PHALANX_RETURN_IF_ERROR(ReadString(spec, "nodeName", "spec", pod.node_name));
  if (const Value* p = Member(spec, "priority")) {
    if (p->IsInt()) {
      s.priority = p->GetInt();
    } else if (p->IsInt64() || p->IsUint64()) {
      return absl::InvalidArgumentError("spec.priority: out of int32 range");
    } else {
      return WrongType("spec.priority", "integer", *p);
    }
  }
  if (const Value* gates = Member(spec, "schedulingGates")) {
    if (!gates->IsArray()) return WrongType("spec.schedulingGates", "array", *gates);
    for (rapidjson::SizeType i = 0; i < gates->Size(); ++i) {
      const Value& g = (*gates)[i];
      const std::string path = absl::StrCat("spec.schedulingGates[", i, "]");
      if (!g.IsObject()) return WrongType(path, "object", g);
      std::string name;
      PHALANX_RETURN_IF_ERROR(ReadString(g, "name", path, name));
      s.scheduling_gates.push_back(std::move(name));
    }
  }
  PHALANX_RETURN_IF_ERROR(ReadStringMap(spec, "nodeSelector", "spec", s.node_selector));
  PHALANX_RETURN_IF_ERROR(ReadRequiredAffinity(spec, s));
  PHALANX_RETURN_IF_ERROR(ReadTolerations(spec, s));
  return ReadPodRequests(spec, s.requests);
}

absl::StatusOr<api::PodInfo> DecodePodValue(const Value& v) {
  if (!v.IsObject()) return WrongType("pod", "object", v);
  api::PodInfo pod;
  if (const Value* m = Member(v, "metadata")) PHALANX_RETURN_IF_ERROR(ReadMeta(*m, pod));
  if (const Value* s = Member(v, "spec")) PHALANX_RETURN_IF_ERROR(ReadSpec(*s, pod));
  if (const Value* st = Member(v, "status")) {
    if (!st->IsObject()) return WrongType("status", "object", *st);
    PHALANX_RETURN_IF_ERROR(ReadString(*st, "phase", "status", pod.phase));
  }
  return pod;
}

absl::Status Prefix(absl::Status s, std::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(AsAbsl(prefix), s.message()));
}

// ---- encoding -----------------------------------------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kQuote = "\"";
constexpr std::string_view kCommaQuote = ",\"";
constexpr std::string_view kQuoteCommaQuote = "\",\"";

// Appends the inside of `s` as a JSON string (no quotes): quotes, backslashes and control
// characters escaped; other bytes (UTF-8) as they are. Plain text is one append.
void AppendEscaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  AppendEscaped(out, s);
  out.push_back('"');
}

// RapidJSON output stream appending to a std::string.
struct StringOut {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

// The length of `s` escaped as in AppendEscaped.
size_t EscapedSize(std::string_view s) {
  size_t n = s.size();
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    const bool short_form =
        c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f';
    n += short_form ? 1 : 5;
  }
  return n;
}

// Output of a size known in advance (an upper bound): plain copies, no capacity checks. The answers
// to large requests are megabytes of small pieces; this keeps them at memcpy speed.
class SizedOut {
 public:
  explicit SizedOut(size_t capacity) : buf_(capacity, '\0'), p_(buf_.data()) {}
  void Put(std::string_view s) {
    if (s.empty()) return;  // memcpy from a null data() is undefined even for 0 bytes
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Put(char c) { *p_++ = c; }
  // `plain`: `s` needs no escaping (its EscapedSize is its size).
  void PutEscaped(std::string_view s, bool plain) {
    if (plain) {
      Put(s);
      return;
    }
    std::string escaped;
    AppendEscaped(escaped, s);
    Put(escaped);
  }
  std::string Take() && {
    buf_.resize(static_cast<size_t>(p_ - buf_.data()));
    return std::move(buf_);
  }

 private:
  std::string buf_;
  char* p_;
};

// One failure map: `"name":"reason"` for each node with verdict `want`. `suffixes[id]` is
// `":"<reason id, escaped>"`, escaped once per answer rather than per node.
void PutFailureMap(SizedOut& out, absl::Span<const std::string_view> names, bool plain,
                   const placement::FilterResult& result, const std::vector<std::string>& suffixes,
                   placement::Verdict want) {
  out.Put('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (result.verdicts[i] != want) continue;
    out.Put(first ? kQuote : kCommaQuote);
    first = false;
    out.PutEscaped(names[i], plain);
    out.Put(suffixes[result.reason_ids[i]]);
  }
  out.Put('}');
}

}  // namespace

absl::StatusOr<api::PodInfo> DecodePodInfo(std::string_view pod_json) {
  std::string text(pod_json);
  rapidjson::Document doc;
  PHALANX_RETURN_IF_ERROR(ParseInPlace(text, doc));
  return DecodePodValue(doc);
}

placement::PodDemand ToPodDemand(const api::PodInfo& pod) {
  placement::PodDemand out;
  out.job = JobKeyOf(pod);
  out.exclusive_key = pod.metadata.Annotation(api::kExclusiveKey).value_or("");
  out.daemonset = pod.controller_kind == "DaemonSet";
  out.requests = ToResources(pod.scheduling.requests);
  out.eligibility = ToEligibility(pod.scheduling);
  return out;
}

absl::StatusOr<ExtenderArgs> ParseExtenderArgs(std::string body) {
  ExtenderArgs args;
  args.body_ = std::make_unique<ExtenderArgs::Body>();
  ExtenderArgs::Body& b = *args.body_;
  b.text = std::move(body);
  NameCapture capture;
  PHALANX_RETURN_IF_ERROR(Prefix(ParseInPlace(b.text, b.doc, &capture), "ExtenderArgs: "));
  const Value& root = b.doc;
  if (!root.IsObject()) return WrongType("ExtenderArgs", "object", root);

  const Value* pod = FoldedMember(root, "pod");
  if (pod == nullptr) return absl::InvalidArgumentError("ExtenderArgs.Pod: missing");
  if (!pod->IsObject()) return WrongType("ExtenderArgs.Pod", "object", *pod);
  auto decoded = DecodePodValue(*pod);
  if (!decoded.ok()) return Prefix(decoded.status(), "ExtenderArgs.Pod.");
  args.pod_ = *std::move(decoded);

  const Value* names = FoldedMember(root, "nodenames");
  const Value* nodes = FoldedMember(root, "nodes");
  if (names != nullptr) {
    if (!names->IsArray()) return WrongType("ExtenderArgs.NodeNames", "array", *names);
    if (nodes != nullptr && !nodes->IsObject())
      return WrongType("ExtenderArgs.Nodes", "object or null", *nodes);
    args.form_ = NodeListForm::kNodeNames;
    // The last NodeNames array's strings were captured while parsing; `names` holds the rest.
    if (capture.bad_type != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("ExtenderArgs.NodeNames[", capture.first_bad,
                                                     "]: expected string, got ", capture.bad_type));
    }
    args.node_names_ = std::move(capture.names);
    return args;
  }
  if (nodes == nullptr) {
    return absl::InvalidArgumentError("ExtenderArgs: neither NodeNames nor Nodes is set");
  }
  if (!nodes->IsObject()) return WrongType("ExtenderArgs.Nodes", "object", *nodes);
  args.form_ = NodeListForm::kNodes;
  const Value* items = FoldedMember(*nodes, "items");
  if (items == nullptr) return args;  // an empty NodeList
  if (!items->IsArray()) return WrongType("ExtenderArgs.Nodes.items", "array", *items);
  args.node_names_.reserve(items->Size());
  b.nodes.reserve(items->Size());
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const Value& node = (*items)[i];
    if (!node.IsObject())
      return WrongType(absl::StrCat("ExtenderArgs.Nodes.items[", i, "]"), "object", node);
    const Value* meta = Member(node, "metadata");
    const Value* name = meta != nullptr && meta->IsObject() ? Member(*meta, "name") : nullptr;
    if (name == nullptr || !name->IsString() || name->GetStringLength() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ExtenderArgs.Nodes.items[", i, "].metadata.name: a Node needs a name"));
    }
    args.node_names_.push_back(View(*name));
    b.nodes.push_back(&node);
  }
  return args;
}

std::string EncodeFilterResult(const ExtenderArgs& args, const placement::FilterResult& result) {
  const absl::Span<const std::string_view> names = args.node_names();
  if (result.verdicts.size() != names.size()) {
    return EncodeFilterError(absl::StrCat("internal error: ", result.verdicts.size(),
                                          " verdicts for ", names.size(), " nodes"));
  }
  std::vector<std::string> suffixes(result.reasons.size());
  for (size_t i = 0; i < result.reasons.size(); ++i) {
    suffixes[i] = "\":";
    AppendJsonString(suffixes[i], result.reasons[i]);
  }
  // Full-Node form: the passing Node objects, written by RapidJSON from the parsed values.
  std::string nodes;
  if (args.form() == NodeListForm::kNodes) {
    nodes = "{\"metadata\":{},\"items\":[";
    StringOut stream{&nodes};
    rapidjson::Writer<StringOut> writer(stream);
    bool first = true;
    for (size_t i = 0; i < names.size(); ++i) {
      if (result.verdicts[i] != placement::Verdict::kPass) continue;
      if (!first) nodes.push_back(',');
      first = false;
      writer.Reset(stream);
      args.body_->nodes[i]->Accept(writer);
    }
    nodes.append("]}");
  }
  // An upper bound of the answer's size: fixed text, and per node its escaped name with quotes and
  // a comma, plus its reason for a failed node. Every name is also checked for needing escapes.
  bool plain = true;
  size_t size = 160 + nodes.size();
  for (size_t i = 0; i < names.size(); ++i) {
    const size_t escaped = EscapedSize(names[i]);
    plain = plain && escaped == names[i].size();
    size += escaped + 3;
    if (result.verdicts[i] != placement::Verdict::kPass) {
      if (i >= result.reason_ids.size() || result.reason_ids[i] >= suffixes.size()) {
        return EncodeFilterError(absl::StrCat("internal error: no reason for node ", i));
      }
      size += suffixes[result.reason_ids[i]].size();
    }
  }
  SizedOut out(size);
  if (args.form() == NodeListForm::kNodeNames) {
    out.Put("{\"Nodes\":null,\"NodeNames\":[");
    bool first = true;
    for (size_t i = 0; i < names.size(); ++i) {
      if (result.verdicts[i] != placement::Verdict::kPass) continue;
      out.Put(first ? kQuote : kQuoteCommaQuote);
      first = false;
      out.PutEscaped(names[i], plain);
    }
    out.Put(first ? std::string_view("],") : std::string_view("\"],"));
  } else {
    out.Put("{\"Nodes\":");
    out.Put(nodes);
    out.Put(",\"NodeNames\":null,");
  }
  out.Put("\"FailedNodes\":");
  PutFailureMap(out, names, plain, result, suffixes, placement::Verdict::kFail);
  out.Put(",\"FailedAndUnresolvableNodes\":");
  PutFailureMap(out, names, plain, result, suffixes, placement::Verdict::kUnresolvable);
  out.Put(",\"Error\":\"\"}");
  return std::move(out).Take();
}

std::string EncodeFilterError(std::string_view message) {
  std::string out =
      "{\"Nodes\":null,\"NodeNames\":null,\"FailedNodes\":null,\"FailedAndUnresolvableNodes\":null,"
      "\"Error\":";
  AppendJsonString(out, message);
  out.push_back('}');
  return out;
}

std::string EncodePrioritizeResult(const ExtenderArgs& args, absl::Span<const int64_t> scores) {
  // Each entry is three copies: the opening literal, the escaped name, the score literal.
  static constexpr std::string_view kScores[11] = {
      "\",\"Score\":0}", "\",\"Score\":1}", "\",\"Score\":2}", "\",\"Score\":3}",
      "\",\"Score\":4}", "\",\"Score\":5}", "\",\"Score\":6}", "\",\"Score\":7}",
      "\",\"Score\":8}", "\",\"Score\":9}", "\",\"Score\":10}"};
  static constexpr std::string_view kFirst = "{\"Host\":\"";
  static constexpr std::string_view kNext = ",{\"Host\":\"";
  const absl::Span<const std::string_view> names = args.node_names();
  bool plain = true;
  size_t size = 2;
  for (std::string_view n : names) {
    const size_t escaped = EscapedSize(n);
    plain = plain && escaped == n.size();
    size += escaped + kNext.size() + kScores[10].size();
  }
  SizedOut out(size);
  out.Put('[');
  for (size_t i = 0; i < names.size(); ++i) {
    out.Put(i == 0 ? kFirst : kNext);
    out.PutEscaped(names[i], plain);
    const int64_t score = i < scores.size() ? std::clamp<int64_t>(scores[i], 0, 10) : 0;
    out.Put(kScores[score]);
  }
  out.Put(']');
  return std::move(out).Take();
}

}  // namespace phalanx::extender
