// sim/virtual_clock.h
//
// VirtualClock: a Clock that only moves when told to — the simulator's time. Set() never moves it
// backwards. Thread-safe (components on other threads in tests may read it).
#pragma once

#include <algorithm>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace phalanx::sim {

class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock l(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock l(&mu_);
    now_ = std::max(now_, t);
  }
  void Advance(absl::Duration d) {
    absl::MutexLock l(&mu_);
    now_ += std::max(d, absl::ZeroDuration());
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::sim
