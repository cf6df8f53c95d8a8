// tests/kube/fake_clock.h
//
// A settable phalanx::Clock for kube/ tests.
#pragma once

#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace phalanx::kube::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1795000000)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::kube::testing
