#include "kube/memory_watch.h"

#include "absl/strings/str_cat.h"

namespace phalanx::kube::internal {

void WatchQueue::Push(WatchEvent event) {
  absl::MutexLock lock(&mu_);
  if (closed_ || stopped_) return;
  int64_t rv = ResourceVersionNumber(event.object.meta.resource_version);
  if (rv > seen_rv_) seen_rv_ = rv;
  queue_.push_back(std::move(event));
}

void WatchQueue::Advance(int64_t rv) {
  absl::MutexLock lock(&mu_);
  if (rv > seen_rv_) seen_rv_ = rv;
}

WatchEvent WatchQueue::BookmarkLocked() {
  WatchEvent ev{WatchEventType::kBookmark, bookmark_template_, absl::OkStatus()};
  ev.object.meta.resource_version = absl::StrCat(seen_rv_);
  ev.object.json = absl::StrCat(R"({"kind":")", bookmark_template_.kind, R"(","apiVersion":")",
                                bookmark_template_.api_version, R"(","metadata":{"resourceVersion":")", seen_rv_,
                                R"("}})");
  return ev;
}

void WatchQueue::PushBookmark() {
  absl::MutexLock lock(&mu_);
  if (closed_ || stopped_ || !bookmarks_) return;
  queue_.push_back(BookmarkLocked());
}

void WatchQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

void WatchQueue::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  queue_.clear();
}

bool WatchQueue::Done() {
  absl::MutexLock lock(&mu_);
  return stopped_ || closed_;
}

absl::StatusOr<WatchEvent> WatchQueue::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (timeout <= absl::ZeroDuration() && !stopped_ && !closed_ && queue_.empty() && absl::Now() < deadline_) {
    return absl::DeadlineExceededError("no watch event");  // a poll (Informer::Pump): never sleep
  }
  absl::Time until = absl::Now() + timeout;
  bool by_deadline = deadline_ < until;
  if (by_deadline) until = deadline_;
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_ || closed_ || !queue_.empty(); };
  mu_.AwaitWithDeadline(absl::Condition(&ready), until);
  if (stopped_) return absl::CancelledError("watch stopped");
  if (!queue_.empty()) {
    WatchEvent ev = std::move(queue_.front());
    queue_.pop_front();
    return ev;
  }
  if (closed_) return absl::UnavailableError("watch closed");
  if (by_deadline && absl::Now() >= deadline_) {
    // The server-side timeout: a last bookmark, then the stream ends.
    closed_ = true;
    if (bookmarks_) return BookmarkLocked();
    return absl::UnavailableError("watch timed out");
  }
  return absl::DeadlineExceededError("no watch event");
}

}  // namespace phalanx::kube::internal
