// kube/micro_time.h
//
// Kubernetes MicroTime ("2026-11-28T16:58:36.239649Z", six fractional digits, UTC) and Time
// ("2026-11-28T16:58:36Z") text forms, as Leases and events.k8s.io Events carry them.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace phalanx::kube {

std::string FormatMicroTime(absl::Time t);
std::string FormatTime(absl::Time t);
// Accepts both forms (any number of fractional digits); kInvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseTime(absl::string_view text);

}  // namespace phalanx::kube
