// kube/resource.h
//
// Resource: which REST collection a request addresses (group, version, plural, optional subresource),
// plus the few facts the client and MemoryCluster need about it (kind, namespaced, has a status
// subresource). The constants below are every resource Phalanx talks to; the client itself is generic,
// so callers may describe other resources the same way. Resource holds string_views: build it from
// string literals (or strings that outlive every use), as the constants do.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace phalanx::kube {

struct Resource {
  absl::string_view group;        // "" for the core group
  absl::string_view version;      // "v1", "v1alpha2"
  absl::string_view plural;       // "jobsets"
  absl::string_view kind;         // "JobSet"
  bool namespaced = true;
  bool has_status = false;       // objects have a status subresource (status ignored by main-resource writes)
  absl::string_view subresource;  // "", "status", "binding", "eviction"

  // "v1" or "group/version".
  std::string ApiVersion() const;
  // The same resource with a different subresource ("" for the main resource).
  constexpr Resource WithSubresource(absl::string_view sub) const {
    Resource r = *this;
    r.subresource = sub;
    return r;
  }
  constexpr Resource Main() const { return WithSubresource(""); }
  // "/api/v1" or "/apis/<group>/<version>".
  std::string GroupVersionPath() const;
  // Collection URL path; `ns` is ignored for cluster-scoped resources, and "" means all namespaces.
  std::string CollectionPath(absl::string_view ns) const;
  // Object URL path, with "/<subresource>" appended when set.
  std::string ObjectPath(absl::string_view ns, absl::string_view name) const;
  // "jobs.batch" / "pods": the form used in Kubernetes error messages.
  std::string GroupResource() const;

  friend bool operator==(const Resource& a, const Resource& b) {
    return a.group == b.group && a.version == b.version && a.plural == b.plural &&
           a.subresource == b.subresource;
  }
};

inline constexpr Resource kJobSets{"jobset.x-k8s.io", "v1alpha2", "jobsets", "JobSet", true, true, ""};
inline constexpr Resource kJobSetsStatus = kJobSets.WithSubresource("status");
inline constexpr Resource kJobs{"batch", "v1", "jobs", "Job", true, true, ""};
inline constexpr Resource kJobsStatus = kJobs.WithSubresource("status");
inline constexpr Resource kPods{"", "v1", "pods", "Pod", true, true, ""};
inline constexpr Resource kPodsStatus = kPods.WithSubresource("status");
inline constexpr Resource kPodsBinding = kPods.WithSubresource("binding");
inline constexpr Resource kPodsEviction = kPods.WithSubresource("eviction");
inline constexpr Resource kServices{"", "v1", "services", "Service", true, true, ""};
inline constexpr Resource kNodes{"", "v1", "nodes", "Node", false, true, ""};
inline constexpr Resource kNodesStatus = kNodes.WithSubresource("status");
inline constexpr Resource kNamespaces{"", "v1", "namespaces", "Namespace", false, true, ""};
inline constexpr Resource kEvents{"events.k8s.io", "v1", "events", "Event", true, false, ""};
inline constexpr Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true, false, ""};

}  // namespace phalanx::kube
