#include "controller/work_queue.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace phalanx::controller {

WorkQueue::WorkQueue(absl::Duration base_delay, absl::Duration max_delay, const Clock* clock)
    : clock_(clock != nullptr ? *clock : real_clock_), base_delay_(base_delay), max_delay_(max_delay) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_) return;
  if (!dirty_.insert(key).second) return;
  if (processing_.count(key)) return;  // handed out again after Done()
  queue_.push_back(key);
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock l(&mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock l(&mu_);
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key);
    return;
  }
  waiting_.emplace(clock_.Now() + delay, key);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock l(&mu_);
    int n = failures_[key]++;
    delay = base_delay_ * (1LL << std::min(n, 40));
    if (delay > max_delay_ || delay < absl::ZeroDuration()) delay = max_delay_;
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock l(&mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(absl::Time now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string key = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  absl::MutexLock l(&mu_);
  while (true) {
    if (shutdown_) return std::nullopt;
    PromoteDueLocked(clock_.Now());
    if (std::optional<std::string> key = PopLocked()) return key;
    absl::Duration wait = absl::Milliseconds(100);
    if (!waiting_.empty()) wait = std::min(wait, waiting_.begin()->first - clock_.Now());
    if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return shutdown_ || !queue_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  }
}

std::optional<std::string> WorkQueue::PopLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = queue_.front();
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::TryGet() {
  absl::MutexLock l(&mu_);
  if (shutdown_) return std::nullopt;
  PromoteDueLocked(clock_.Now());
  return PopLocked();
}

absl::Time WorkQueue::NextDelayed() const {
  absl::MutexLock l(&mu_);
  return waiting_.empty() ? absl::InfiniteFuture() : waiting_.begin()->first;
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock l(&mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutdown_) queue_.push_back(key);
}

void WorkQueue::ShutDown() {
  absl::MutexLock l(&mu_);
  shutdown_ = true;
}

size_t WorkQueue::Len() const {
  absl::MutexLock l(&mu_);
  return queue_.size();
}

bool WorkQueue::Idle() const {
  absl::MutexLock l(&mu_);
  return queue_.empty() && processing_.empty() && waiting_.empty();
}

}  // namespace phalanx::controller
