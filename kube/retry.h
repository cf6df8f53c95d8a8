// kube/retry.h
//
// RetryOnConflict: runs `fn` (typically get → modify → update) again while it returns kAborted (409
// Conflict), with a short exponential backoff (10 ms doubling, 5 attempts by default), as Kubernetes
// clients do. Other errors and success return at once.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace phalanx::kube {

struct RetryBackoff {
  int attempts = 5;
  absl::Duration initial = absl::Milliseconds(10);
  double factor = 2.0;
};

absl::Status RetryOnConflict(const std::function<absl::Status()>& fn, RetryBackoff backoff = {});

}  // namespace phalanx::kube
