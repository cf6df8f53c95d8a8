// kube/memory_cluster.h
//
// MemoryCluster: an in-memory Kubernetes API with the API server's semantics, for tests and the
// simulator. It implements kube::Client, so code written against the client runs unchanged on it, and
// MemoryApiServer serves it over real HTTP.
//
// Semantics (as the v1.36 fixtures show them):
//  - one global resourceVersion counter; every write bumps it; a no-op update does not.
//  - optimistic concurrency: a write carrying a resourceVersion that is not current → kAborted (409
//    Conflict); delete preconditions (uid, resourceVersion) likewise.
//  - create: name validation (RFC 1123 subdomain, 422), generateName + 5-character suffix, uid,
//    creationTimestamp, generation 1, AlreadyExists (409); status is dropped for resources with a status
//    subresource (pods start with phase Pending).
//  - status subresource: main-resource writes keep the old status, status writes keep everything else;
//    metadata.generation is bumped only when the spec (everything outside metadata and status) changes.
//  - label and field selectors on list and watch; paginated lists with continue tokens.
//  - finalizers and deletionTimestamp: an object with finalizers is only marked; it disappears when an
//    update removes the last finalizer. No new finalizers once deleting.
//  - owner references and garbage collection, synchronously inside the write: Background (dependents
//    whose owners are all gone are deleted), Foreground (owner gets deletionTimestamp + the
//    `foregroundDeletion` finalizer and stays until its blockOwnerDeletion dependents are gone), Orphan
//    (owner references removed). Default propagation is Background, except batch/v1 Jobs: Orphan.
//  - watch from a resourceVersion: replays retained history; older than the retained window (see
//    Compact and MemoryClusterOptions::history_limit) → a single ERROR event with a 410 Expired Status;
//    "" / "0" start with synthetic ADDED events. Objects entering/leaving a watch's selector arrive as
//    ADDED/DELETED. BOOKMARKs on SendBookmarks() and when a watch's timeout ends it.
//  - pods/binding (409 if already bound) and pods/eviction (deletes the pod; no PodDisruptionBudgets).
//  - optional graceful deletion of bound pods (MemoryClusterOptions::graceful_pod_deletion).
// Admission: AddAdmissionHook. Equality label selectors use an index; other selectors scan. Not modelled: validation beyond names, server-side apply,
// namespaces' lifecycle, Exact lists at an older resourceVersion inside the window (served current).
// Thread-safe; watch events are queued per watcher, so a slow reader never blocks writers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "kube/client.h"

namespace phalanx::kube {

enum class AdmissionOperation { kCreate, kUpdate };

// Admission in MemoryCluster (what webhooks do on a real server): called for every create and update
// (status writes and patches included; `resource.subresource` tells which) with the object about to be
// stored — name, namespace and generated fields set — and, for updates, the stored one. May rewrite
// `*object` (mutation) or fail the write with its status (denial; a kube/errors.h ApiError keeps its HTTP
// code). Runs under the cluster's lock: it must not call the cluster.
using AdmissionHook = std::function<absl::Status(const Resource& resource, AdmissionOperation op,
                                                 std::string* object, const std::string* old_object)>;

struct MemoryClusterOptions {
  // Watch events retained for resuming watches; older resourceVersions get 410 Expired.
  size_t history_limit = 10000;
  // Source of creation/deletion timestamps; nullptr = the real clock.
  const Clock* clock = nullptr;
  // Seed for uids and generateName suffixes (deterministic runs).
  uint64_t seed = 1;
  // Pods bound to a node and not finished are deleted gracefully, as without a kubelet on a real
  // cluster: a delete (or garbage collection) only sets deletionTimestamp and
  // deletionGracePeriodSeconds (DeleteOptions, else spec.terminationGracePeriodSeconds, else 30); the
  // pod goes when deleted again with gracePeriodSeconds 0 (what a kubelet emulator does). Off: pods go
  // at once.
  bool graceful_pod_deletion = false;
};

class MemoryCluster final : public Client {
 public:
  explicit MemoryCluster(MemoryClusterOptions options = {});
  ~MemoryCluster() override;
  MemoryCluster(const MemoryCluster&) = delete;
  MemoryCluster& operator=(const MemoryCluster&) = delete;

  absl::StatusOr<Object> Create(const Resource& resource, absl::string_view ns, absl::string_view body) override;
  absl::StatusOr<Object> Get(const Resource& resource, absl::string_view ns, absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<Object> Update(const Resource& resource, absl::string_view ns, absl::string_view body) override;
  absl::StatusOr<Object> Patch(const Resource& resource, absl::string_view ns, absl::string_view name,
                               PatchType type, absl::string_view patch) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options = {}) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& resource, absl::string_view ns,
                                                     const WatchOptions& options) override;

  // Resources are registered on first use; the constants of kube/resource.h are registered up front.
  // MemoryApiServer resolves URL paths through FindResource.
  void RegisterResource(const Resource& resource);
  std::optional<Resource> FindResource(absl::string_view group, absl::string_view version,
                                       absl::string_view plural) const;
  // Every registered resource (main resources only), for discovery.
  std::vector<Resource> Resources() const;

  // Hooks run in the order added, on every later write.
  void AddAdmissionHook(AdmissionHook hook);

  // Forgets the watch history: watches and continue tokens from older resourceVersions get 410.
  void Compact();
  // Sends a BOOKMARK at the current resourceVersion to every open watch that allows bookmarks.
  void SendBookmarks();
  // Ends every open watch stream (their Next() returns kUnavailable), as an API server restart does.
  void CloseWatches();
  int64_t CurrentResourceVersion() const;
  // Number of objects stored for `resource` (all namespaces).
  size_t Count(const Resource& resource) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace phalanx::kube
