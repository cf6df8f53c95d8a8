#include "kube/resource.h"

#include "absl/strings/str_cat.h"

namespace phalanx::kube {

std::string Resource::ApiVersion() const {
  if (group.empty()) return std::string(version);
  return absl::StrCat(group, "/", version);
}

std::string Resource::GroupVersionPath() const {
  if (group.empty()) return absl::StrCat("/api/", version);
  return absl::StrCat("/apis/", group, "/", version);
}

std::string Resource::CollectionPath(absl::string_view ns) const {
  if (namespaced && !ns.empty()) return absl::StrCat(GroupVersionPath(), "/namespaces/", ns, "/", plural);
  return absl::StrCat(GroupVersionPath(), "/", plural);
}

std::string Resource::ObjectPath(absl::string_view ns, absl::string_view name) const {
  std::string path = absl::StrCat(CollectionPath(ns), "/", name);
  if (!subresource.empty()) absl::StrAppend(&path, "/", subresource);
  return path;
}

std::string Resource::GroupResource() const {
  if (group.empty()) return std::string(plural);
  return absl::StrCat(plural, ".", group);
}

}  // namespace phalanx::kube
