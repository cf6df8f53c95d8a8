#include "kube/rate_limiter.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace phalanx::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)), last_(absl::Now()) {}

absl::Duration RateLimiter::Reserve(bool only_if_free, bool* got) {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
  last_ = now;
  if (only_if_free && tokens_ < 1) {
    *got = false;
    return absl::ZeroDuration();
  }
  *got = true;
  tokens_ -= 1;  // may go negative: the debt is the caller's wait
  if (tokens_ >= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / qps_);
}

void RateLimiter::Wait() {
  if (qps_ <= 0) return;
  bool got;
  absl::Duration wait = Reserve(false, &got);
  if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
}

bool RateLimiter::TryAcquire() {
  if (qps_ <= 0) return true;
  bool got;
  (void)Reserve(true, &got);
  return got;
}

}  // namespace phalanx::kube
