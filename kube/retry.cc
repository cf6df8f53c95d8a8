#include "kube/retry.h"

#include "absl/time/clock.h"

namespace phalanx::kube {

absl::Status RetryOnConflict(const std::function<absl::Status()>& fn, RetryBackoff backoff) {
  absl::Duration delay = backoff.initial;
  absl::Status s;
  for (int i = 0; i < backoff.attempts; ++i) {
    s = fn();
    if (!absl::IsAborted(s)) return s;
    if (i + 1 < backoff.attempts) {
      absl::SleepFor(delay);
      delay = delay * backoff.factor;
    }
  }
  return s;
}

}  // namespace phalanx::kube
