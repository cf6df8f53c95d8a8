// api/quantity.h
//
// Kubernetes resource quantities ("250m", "4Gi", "1.5", "2e3", "8") as integers, and back to text.
// Requests are rounded up, as the scheduler does. Never throws; pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace phalanx::api {

// The quantity in units of 1/`scale` (scale 1000 → milli-units, for cpu; scale 1 → plain units, for
// memory bytes and extended resources), rounded up. kInvalidArgument on malformed input, a negative
// value, or a value beyond int64.
absl::StatusOr<int64_t> ParseQuantity(std::string_view text, int64_t scale = 1);

// Milli-units for "cpu", plain units for everything else.
absl::StatusOr<int64_t> ParseResource(std::string_view resource, std::string_view text);

// The canonical text of `value` units of 1/`scale` (scale 1000: milli-units; scale 1: plain units), as
// Kubernetes prints a quantity (Quantity.String(), what `kubectl describe` shows): the largest suffix
// that keeps the number whole. Decimal: 500 milli → "500m", 2000 milli → "2", 1500 milli → "1500m",
// 1000 → "1k", 1500 → "1500", 0 → "0". With `binary`, a whole multiple of 1024 gets a binary suffix
// when that gives the smaller number (1073741824000 → "1000Gi", 1536 Ki → "1536Ki", but 2×10^9 →
// "2G" rather than "1953125Ki"); anything else is decimal ("1G").
// `scale` must be 1 or 1000; binary applies to scale 1 only.
std::string FormatQuantity(int64_t value, int64_t scale = 1, bool binary = false);

// Whether `resource` counts bytes (memory, ephemeral-storage, storage, hugepages-<size>), and so is
// printed with binary suffixes when exact.
bool IsByteResource(std::string_view resource);

// The inverse of ParseResource for printing: "cpu" from milli-units, byte resources binary when exact,
// everything else (extended resources such as google.com/tpu) plain decimal.
std::string FormatResource(std::string_view resource, int64_t value);

}  // namespace phalanx::api
