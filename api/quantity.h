// api/quantity.h
//
// Kubernetes resource quantities ("250m", "4Gi", "1.5", "2e3", "8") as integers. Requests are rounded
// up, as the scheduler does. Never throws.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace phalanx::api {

// The quantity in units of 1/`scale` (scale 1000 → milli-units, for cpu; scale 1 → plain units, for
// memory bytes and extended resources), rounded up. kInvalidArgument on malformed input, a negative
// value, or a value beyond int64.
absl::StatusOr<int64_t> ParseQuantity(std::string_view text, int64_t scale = 1);

// Milli-units for "cpu", plain units for everything else.
absl::StatusOr<int64_t> ParseResource(std::string_view resource, std::string_view text);

}  // namespace phalanx::api
