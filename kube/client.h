// kube/client.h
//
// Client: the Kubernetes API as Phalanx uses it, generic over resources. Objects go in and come out as
// JSON text (callers encode/decode with their own codecs) plus a parsed ObjectMeta header. Two
// implementations: HttpClient (REST over HTTPS to a real API server) and MemoryCluster (in memory, with
// the API server's semantics). Errors are absl::Status with the codes listed in kube/errors.h:
// kNotFound, kAlreadyExists, kAborted (conflict: stale resourceVersion or failed precondition),
// kInvalidArgument, kPermissionDenied, kUnauthenticated, kOutOfRange (410 Expired), kResourceExhausted
// (429), kUnavailable (5xx / no connection).
//
// Namespaces: `ns` is ignored for cluster-scoped resources; "" lists/watches all namespaces.
// All methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kube/object.h"
#include "kube/resource.h"

namespace phalanx::kube {

struct ListOptions {
  std::string label_selector;     // kube/selector.h syntax
  std::string field_selector;
  int64_t limit = 0;              // page size; 0 = everything in one answer
  std::string continue_token;     // from the previous page's ObjectList::continue_token
  std::string resource_version;   // "" = most recent
  bool exact = false;             // resourceVersionMatch=Exact (410 kOutOfRange when too old)
};

struct ObjectList {
  std::vector<Object> items;
  std::string resource_version;   // of the list: watch from here
  std::string continue_token;     // "" on the last page
  std::optional<int64_t> remaining_item_count;
};

enum class PatchType { kMerge, kJson, kStrategicMerge };
// The Content-Type of a patch: application/merge-patch+json, application/json-patch+json,
// application/strategic-merge-patch+json.
absl::string_view PatchContentType(PatchType type);

enum class Propagation { kDefault, kBackground, kForeground, kOrphan };

struct DeleteOptions {
  Propagation propagation = Propagation::kDefault;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::optional<int64_t> grace_period_seconds;
};

struct WatchOptions {
  std::string resource_version;   // "" or "0": start with ADDED for every existing object
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  absl::Duration timeout = absl::ZeroDuration();  // server-side timeoutSeconds; 0 = server default
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
absl::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type;
  Object object;        // for kBookmark only meta.resource_version is meaningful
  absl::Status error;   // for kError: the Status carried by the event (410 Expired → kOutOfRange)
};

// One open watch. Next() blocks up to `timeout` for the next event.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; kDeadlineExceeded if none arrived within `timeout`; kCancelled after Stop();
  // kUnavailable once the stream has ended (server closed it, timed out, or the connection broke) —
  // resume with a new Watch from the last resourceVersion seen.
  virtual absl::StatusOr<WatchEvent> Next(absl::Duration timeout) = 0;
  // Ends the stream; a blocked Next() returns kCancelled. Idempotent.
  virtual void Stop() = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  // POST to the collection. For subresources posted to (pods/binding, pods/eviction) the parent's name is
  // metadata.name of `body`, and the answer is a Status object (no metadata).
  virtual absl::StatusOr<Object> Create(const Resource& resource, absl::string_view ns, absl::string_view body) = 0;
  virtual absl::StatusOr<Object> Get(const Resource& resource, absl::string_view ns, absl::string_view name) = 0;
  virtual absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                          const ListOptions& options) = 0;
  // PUT of the whole object (name from metadata.name). A metadata.resourceVersion that is not current is
  // kAborted. With resource.subresource == "status", only the status is written.
  virtual absl::StatusOr<Object> Update(const Resource& resource, absl::string_view ns, absl::string_view body) = 0;
  virtual absl::StatusOr<Object> Patch(const Resource& resource, absl::string_view ns, absl::string_view name,
                                       PatchType type, absl::string_view patch) = 0;
  virtual absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                              const DeleteOptions& options = {}) = 0;
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& resource, absl::string_view ns,
                                                             const WatchOptions& options) = 0;

  // Update(resource.WithSubresource("status"), ...).
  absl::StatusOr<Object> UpdateStatus(const Resource& resource, absl::string_view ns, absl::string_view body) {
    return Update(resource.WithSubresource("status"), ns, body);
  }
  // Every page of a List, concatenated (follows continue tokens; `options.limit` is the page size).
  absl::StatusOr<ObjectList> ListAll(const Resource& resource, absl::string_view ns, ListOptions options);
};

}  // namespace phalanx::kube
