#include "kube/client.h"

namespace phalanx::kube {

absl::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
    case WatchEventType::kError: return "ERROR";
  }
  return "ERROR";
}

absl::StatusOr<ObjectList> Client::ListAll(const Resource& resource, absl::string_view ns, ListOptions options) {
  ObjectList all;
  while (true) {
    absl::StatusOr<ObjectList> page = List(resource, ns, options);
    if (!page.ok()) return page.status();
    if (all.resource_version.empty()) all.resource_version = page->resource_version;
    for (Object& o : page->items) all.items.push_back(std::move(o));
    if (page->continue_token.empty()) break;
    options.continue_token = page->continue_token;
    options.resource_version.clear();
    options.exact = false;
  }
  return all;
}

}  // namespace phalanx::kube
