#include "kube/internal/object_rapidjson.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace phalanx::kube::internal {
namespace {

using rapidjson::Value;

// Kubernetes objects nest a few dozen levels at most; deeper input is refused rather than recursed into.
constexpr int kMaxDepth = 200;

const Value* Member(const Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}


absl::Status ReadStringMap(const Value& meta, const char* key, std::map<std::string, std::string>* out) {
  const Value* m = Member(meta, key);
  if (m == nullptr || m->IsNull()) return absl::OkStatus();
  if (!m->IsObject()) return absl::InvalidArgumentError(absl::StrCat("metadata.", key, " is not an object"));
  for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
    std::string k(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) {
      return absl::InvalidArgumentError(absl::StrCat("metadata.", key, ".", k, " is not a string"));
    }
    (*out)[std::move(k)] = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  return absl::OkStatus();
}

// Forwards SAX events to a Document, refusing nesting deeper than kMaxDepth.
struct DepthLimited {
  rapidjson::Document& doc;
  int depth = 0;
  bool too_deep = false;
  bool Open() { return ++depth <= kMaxDepth || (too_deep = true, false); }
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
  bool EndObject(rapidjson::SizeType n) { return --depth, doc.EndObject(n); }
  bool StartArray() { return Open() && doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return --depth, doc.EndArray(n); }
};

}  // namespace

absl::Status ParseRapid(absl::string_view text, rapidjson::Document& doc) {
  struct Parse {
    absl::string_view text;
    rapidjson::ParseResult result;
    bool too_deep = false;
    bool operator()(rapidjson::Document& d) {
      DepthLimited handler{d};
      rapidjson::MemoryStream ms(text.data(), text.size());
      rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
      rapidjson::Reader reader;
      result = reader.Parse<rapidjson::kParseIterativeFlag>(in, handler);
      too_deep = handler.too_deep;
      return !result.IsError();
    }
  } parse{text, {}, false};
  doc.Populate(parse);
  if (parse.too_deep) return absl::InvalidArgumentError("JSON nests too deeply");
  if (parse.result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON at offset ", parse.result.Offset(), ": ",
                                                   rapidjson::GetParseError_En(parse.result.Code())));
  }
  return absl::OkStatus();
}

std::string StringMember(const Value& obj, const char* key) {
  const Value* v = obj.IsObject() ? Member(obj, key) : nullptr;
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

std::string WriteValue(const Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  value.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<Object> ObjectFromValue(const Value& j, std::string text) {
  if (!j.IsObject()) return absl::InvalidArgumentError("object is not a JSON object");
  Object obj;
  obj.json = std::move(text);
  obj.api_version = StringMember(j, "apiVersion");
  obj.kind = StringMember(j, "kind");
  const Value* mp = Member(j, "metadata");
  if (mp == nullptr || mp->IsNull()) return obj;
  const Value& m = *mp;
  if (!m.IsObject()) return absl::InvalidArgumentError("metadata is not an object");
  ObjectMeta& meta = obj.meta;
  meta.name = StringMember(m, "name");
  meta.generate_name = StringMember(m, "generateName");
  meta.namespace_ = StringMember(m, "namespace");
  meta.uid = StringMember(m, "uid");
  meta.resource_version = StringMember(m, "resourceVersion");
  meta.creation_timestamp = StringMember(m, "creationTimestamp");
  if (const Value* g = Member(m, "generation"); g != nullptr && g->IsInt64()) meta.generation = g->GetInt64();
  if (const Value* d = Member(m, "deletionTimestamp"); d != nullptr && d->IsString()) {
    meta.deletion_timestamp = std::string(d->GetString(), d->GetStringLength());
  }
  if (absl::Status s = ReadStringMap(m, "labels", &meta.labels); !s.ok()) return s;
  if (absl::Status s = ReadStringMap(m, "annotations", &meta.annotations); !s.ok()) return s;
  if (const Value* f = Member(m, "finalizers"); f != nullptr && f->IsArray()) {
    for (const Value& x : f->GetArray()) {
      if (x.IsString()) meta.finalizers.emplace_back(x.GetString(), x.GetStringLength());
    }
  }
  if (const Value* refs = Member(m, "ownerReferences"); refs != nullptr && refs->IsArray()) {
    for (const Value& r : refs->GetArray()) {
      if (!r.IsObject()) return absl::InvalidArgumentError("metadata.ownerReferences entry is not an object");
      OwnerReference ref;
      ref.api_version = StringMember(r, "apiVersion");
      ref.kind = StringMember(r, "kind");
      ref.name = StringMember(r, "name");
      ref.uid = StringMember(r, "uid");
      if (const Value* c = Member(r, "controller"); c != nullptr && c->IsBool()) ref.controller = c->GetBool();
      if (const Value* b = Member(r, "blockOwnerDeletion"); b != nullptr && b->IsBool()) {
        ref.block_owner_deletion = b->GetBool();
      }
      meta.owner_references.push_back(std::move(ref));
    }
  }
  return obj;
}

}  // namespace phalanx::kube::internal
