#include "placement/resources.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
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

std::string FormatQuantity(std::string_view resource, int64_t qty) {
  if (qty == 0) return "0";
  const uint64_t magnitude =
      qty < 0 ? uint64_t{0} - static_cast<uint64_t>(qty) : static_cast<uint64_t>(qty);
  const char* sign = qty < 0 ? "-" : "";
  static constexpr const char* kDecimal[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  uint64_t d = magnitude;
  int k = resource == "cpu" ? 0 : 1;  // cpu counts milli-units
  for (; d % 1000 == 0 && k < 7; ++k) d /= 1000;
  const bool bytes = resource == "memory" || resource == "ephemeral-storage" ||
                     resource == "storage" || resource.rfind("hugepages-", 0) == 0;
  if (bytes && magnitude >= 1024 && magnitude % 1024 == 0) {
    static constexpr const char* kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    uint64_t b = magnitude;
    int e = 0;
    for (; b % 1024 == 0 && e < 6; ++e) b /= 1024;
    if (b <= d) return absl::StrCat(sign, b, kBinary[e]);  // the smaller number: "1000Gi", "2G"
  }
  return absl::StrCat(sign, d, kDecimal[k]);
}

std::string FormatRequest(const ResourceTable& table, const RequestVec& r) {
  std::vector<std::pair<std::string_view, int64_t>> named;
  for (const Request& e : r) {
    if (e.id != 0) named.emplace_back(table.name(e.id), e.qty);
  }
  std::sort(named.begin(), named.end());
  std::string out;
  for (const auto& [name, qty] : named) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", AsAbsl(name), ": ", FormatQuantity(name, qty));
  }
  return out;
}

}  // namespace phalanx::placement
