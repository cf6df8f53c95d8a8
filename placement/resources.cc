#include "placement/resources.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "placement/string_key.h"

namespace phalanx::placement {

ResourceTable::ResourceTable() { Intern(kPodsResource); }

ResourceId ResourceTable::Intern(std::string_view name) {
  auto it = ids_.find(Key(name));
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<ResourceId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

std::optional<ResourceId> ResourceTable::Find(std::string_view name) const {
  auto it = ids_.find(Key(name));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& ResourceTable::name(ResourceId id) const {
  static const std::string* const kUnknown = new std::string("unknown resource");
  return id < names_.size() ? names_[id] : *kUnknown;
}

ResourceVec ToCapacity(ResourceTable& table, const ResourceList& allocatable) {
  ResourceVec v(1, kUnlimitedPods);
  for (const auto& [name, qty] : allocatable) {
    const ResourceId id = table.Intern(name);
    if (id >= v.size()) v.resize(id + 1, 0);
    v[id] = qty;
  }
  return v;
}

namespace {

void Normalize(RequestVec& r) {
  std::sort(r.begin(), r.end(), [](const Request& a, const Request& b) { return a.id < b.id; });
}

}  // namespace

RequestVec ToRequest(ResourceTable& table, const ResourceList& requests) {
  RequestVec r;
  r.push_back({0, 1});
  for (const auto& [name, qty] : requests) {
    if (qty <= 0 || name == kPodsResource) continue;
    r.push_back({table.Intern(name), qty});
  }
  Normalize(r);
  return r;
}

RequestVec ToRequestReadOnly(const ResourceTable& table, const ResourceList& requests) {
  RequestVec r;
  r.push_back({0, 1});
  for (const auto& [name, qty] : requests) {
    if (qty <= 0 || name == kPodsResource) continue;
    r.push_back({table.Find(name).value_or(kUnknownResource), qty});
  }
  Normalize(r);
  return r;
}

void Add(ResourceVec& v, const RequestVec& r, int64_t sign) {
  for (const Request& e : r) {
    if (e.id == kUnknownResource) continue;
    if (e.id >= v.size()) v.resize(e.id + 1, 0);
    v[e.id] += sign * e.qty;
  }
}

void Add(ResourceVec& dst, const ResourceVec& src, int64_t sign) {
  if (src.size() > dst.size()) dst.resize(src.size(), 0);
  for (size_t i = 0; i < src.size(); ++i) dst[i] += sign * src[i];
}

int64_t CountFits(const ResourceVec& capacity, const ResourceVec& used, const RequestVec& req,
                  int64_t cap) {
  int64_t n = cap;
  for (const Request& e : req) {
    const int64_t free = At(capacity, e.id) - At(used, e.id);
    if (free < e.qty) return 0;
    n = std::min(n, free / e.qty);
  }
  return n;
}

std::optional<ResourceId> FirstShort(const ResourceVec& capacity, const ResourceVec& used,
                                     const RequestVec& req) {
  for (const Request& e : req) {
    if (At(capacity, e.id) - At(used, e.id) < e.qty) return e.id;
  }
  return std::nullopt;
}

std::string FormatRequest(const ResourceTable& table, const RequestVec& r) {
  std::string out;
  for (const Request& e : r) {
    if (e.id == 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : ", ", e.qty, " ", table.name(e.id));
  }
  if (out.empty()) out = "no resources";
  return out;
}

}  // namespace phalanx::placement
