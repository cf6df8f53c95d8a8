// webhook/cluster_view.h
//
// ClusterView: what upstream exclusive placement (webhook/exclusive_upstream.h) reads about the
// cluster, served from list+watch informers instead of a GET per admission: JobSet pods (label
// jobset.sigs.k8s.io/jobset-name exists; only those with the exclusive-topology annotation are filed,
// under LeaderIndexKey) and node labels. The informers' own caches keep only object keys; this class
// keeps one small PodSummary per filed pod and one label map per node.
// Start() runs the informers on threads of their own; lookups are thread-safe and answer from whatever
// has been seen so far (Synced() tells whether the first lists are in).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "webhook/exclusive_upstream.h"

namespace phalanx::webhook {

// The summary of a Pod object (JSON as the API sent it). kInvalidArgument on unreadable JSON or a
// wrong-typed spec.nodeName / status.phase.
absl::StatusOr<PodSummary> SummarizePod(const kube::Object& pod);

class ClusterView : public LeaderLookup {
 public:
  explicit ClusterView(kube::Client& client);
  ~ClusterView() override;  // Stop()
  ClusterView(const ClusterView&) = delete;
  ClusterView& operator=(const ClusterView&) = delete;

  void Start();
  void Stop();
  bool Synced() const;
  bool WaitForSync(absl::Duration timeout) const;

  std::vector<PodSummary> PodsByIndexKey(std::string_view ns, std::string_view index_key) const override;
  std::optional<std::map<std::string, std::string>> NodeLabels(std::string_view name) const override;

  // Event entry points (also used by tests without informers).
  void OnPod(const kube::Object& pod);
  void OnPodDeleted(const kube::Object& pod);
  void OnNode(const kube::Object& node);
  void OnNodeDeleted(const kube::Object& node);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name-or-index-key

  void ForgetPodLocked(const Key& pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<kube::Informer> pods_;
  std::unique_ptr<kube::Informer> nodes_;
  mutable absl::Mutex mu_;
  std::map<Key, std::map<std::string, PodSummary>> by_index_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::string> index_of_ ABSL_GUARDED_BY(mu_);  // (ns, pod name) → index key
  std::map<std::string, std::map<std::string, std::string>, std::less<>> nodes_labels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::webhook
