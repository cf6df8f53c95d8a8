// common/clock.h
//
// Clock: the one way code reads the time, so tests can use a fake clock. Pure logic never reads a
// clock; it receives `absl::Time now` from its caller.
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace phalanx {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace phalanx
