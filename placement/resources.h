// placement/resources.h
//
// Resource bookkeeping in dense form: resource names are interned into small ids, node capacity and
// usage are vectors indexed by id, pod requests are short sorted (id, quantity) lists. Every pod
// implicitly requests one unit of "pods"; a node that does not publish "pods" has no pod limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "placement/model.h"

namespace phalanx::placement {

using ResourceId = uint16_t;

// Id given to a requested resource that no node has ever published (so no node has any of it).
inline constexpr ResourceId kUnknownResource = 0xFFFF;

// Pod limit assumed for nodes that publish no "pods" allocatable.
inline constexpr int64_t kUnlimitedPods = 1'000'000;

// Dense quantities indexed by ResourceId; ids past the end read as 0.
using ResourceVec = absl::InlinedVector<int64_t, 6>;

struct Request {
  ResourceId id = 0;
  int64_t qty = 0;
  friend bool operator==(const Request&, const Request&) = default;
};
// Sparse per-pod request, sorted by id, zero quantities dropped, "pods" (id 0) always first.
using RequestVec = absl::InlinedVector<Request, 4>;

// Interns resource names. Id 0 is always "pods".
class ResourceTable {
 public:
  ResourceTable();

  ResourceId Intern(std::string_view name);
  std::optional<ResourceId> Find(std::string_view name) const;
  // The name of `id`; "unknown resource" for kUnknownResource.
  const std::string& name(ResourceId id) const;
  size_t size() const { return names_.size(); }

 private:
  absl::flat_hash_map<std::string, ResourceId> ids_;
  std::vector<std::string> names_;
};

// Capacity vector of a node; "pods" defaults to kUnlimitedPods.
ResourceVec ToCapacity(ResourceTable& table, const ResourceList& allocatable);
// Per-pod request including pods=1; interns names.
RequestVec ToRequest(ResourceTable& table, const ResourceList& requests);
// Per-pod request for read-only callers: names never published map to kUnknownResource.
RequestVec ToRequestReadOnly(const ResourceTable& table, const ResourceList& requests);

inline int64_t At(const ResourceVec& v, ResourceId id) { return id < v.size() ? v[id] : 0; }

// v[id] += sign * qty for each request entry (grows v as needed; kUnknownResource ignored).
void Add(ResourceVec& v, const RequestVec& r, int64_t sign);
// dst += sign * src, element-wise.
void Add(ResourceVec& dst, const ResourceVec& src, int64_t sign);

// How many pods of `req` fit into capacity - used, at most `cap`.
int64_t CountFits(const ResourceVec& capacity, const ResourceVec& used, const RequestVec& req,
                  int64_t cap);
// The first resource of which `capacity - used` lacks one pod's `req`, or nullopt if it fits.
std::optional<ResourceId> FirstShort(const ResourceVec& capacity, const ResourceVec& used,
                                     const RequestVec& req);

// `qty` of `resource` as Kubernetes users write it, in canonical quantity form (what `kubectl describe`
// prints): quantities here are Kubernetes' parsed values, so "cpu" is in milli-units ("500m", "1",
// "64"); memory, ephemeral-storage, storage and hugepages-* count bytes and take a binary suffix when
// exact and shorter ("1000Gi"; else decimal: "1G", "2G"); anything else is decimal SI ("4", "1k"). placement/ has no
// dependency on api/, so this is its own copy of api::FormatResource's rules (tests compare the two).
std::string FormatQuantity(std::string_view resource, int64_t qty);

// "cpu: 1, google.com/tpu: 4, memory: 1000Gi": the non-"pods" entries of `r` by name, for messages;
// "" when there are none.
std::string FormatRequest(const ResourceTable& table, const RequestVec& r);

}  // namespace phalanx::placement
