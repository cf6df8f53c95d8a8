// kube/memory_watch.h
//
// Internal to kube/: the per-watcher event queue shared by MemoryCluster (producer, under its lock) and
// the WatchStream handed to the caller (consumer). Not part of the public API.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/client.h"
#include "kube/selector.h"

namespace phalanx::kube::internal {

class WatchQueue {
 public:
  WatchQueue(std::string rkey, std::string ns, LabelSelector labels, FieldSelector fields, bool bookmarks,
             absl::Time deadline, Object bookmark_template)
      : rkey_(std::move(rkey)),
        ns_(std::move(ns)),
        labels_(std::move(labels)),
        fields_(std::move(fields)),
        bookmarks_(bookmarks),
        deadline_(deadline),
        bookmark_template_(std::move(bookmark_template)) {}

  const std::string& rkey() const { return rkey_; }
  const std::string& ns() const { return ns_; }
  const LabelSelector& labels() const { return labels_; }
  const FieldSelector& fields() const { return fields_; }
  bool bookmarks() const { return bookmarks_; }

  void Push(WatchEvent event);
  // Records that the watcher has seen everything up to `rv` (for bookmarks).
  void Advance(int64_t rv);
  void PushBookmark();
  // No more events; Next() drains the queue then returns kUnavailable.
  void Close();
  void Stop();
  bool Done();
  absl::StatusOr<WatchEvent> Next(absl::Duration timeout);

 private:
  WatchEvent BookmarkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string rkey_;
  const std::string ns_;
  const LabelSelector labels_;
  const FieldSelector fields_;
  const bool bookmarks_;
  const absl::Time deadline_;
  const Object bookmark_template_;
  absl::Mutex mu_;
  std::deque<WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  int64_t seen_rv_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// The caller's handle: Stop() on destruction.
class MemoryWatchStream final : public WatchStream {
 public:
  explicit MemoryWatchStream(std::shared_ptr<WatchQueue> q) : q_(std::move(q)) {}
  ~MemoryWatchStream() override { q_->Stop(); }
  absl::StatusOr<WatchEvent> Next(absl::Duration timeout) override { return q_->Next(timeout); }
  void Stop() override { q_->Stop(); }

 private:
  std::shared_ptr<WatchQueue> q_;
};

}  // namespace phalanx::kube::internal
