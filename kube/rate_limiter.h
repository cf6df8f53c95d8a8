// kube/rate_limiter.h
//
// RateLimiter: a client-side token bucket (`--kube-api-qps`, `--kube-api-burst`). Wait() blocks until a
// token is available; tokens refill at `qps` per second up to `burst`. qps <= 0 disables limiting.
// Thread-safe; waiters are served in no particular order.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace phalanx::kube {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst);

  // Takes one token, sleeping as long as needed.
  void Wait();
  // Takes one token if available now.
  bool TryAcquire();

 private:
  // Reserves a token and returns how long the caller must wait for it.
  absl::Duration Reserve(bool only_if_free, bool* got);

  const double qps_;
  const double burst_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::kube
