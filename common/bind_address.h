// common/bind_address.h
//
// What the daemons' `--*-bind-address` flags accept: "host:port", ":port" (all interfaces), a bare
// port, or "[v6-host]:port"; port 0 picks a free one. Pure.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace phalanx {

// → (host, port), host "0.0.0.0" when empty; kInvalidArgument for a port that is not 0–65535.
absl::StatusOr<std::pair<std::string, int>> ParseBindAddress(const std::string& address);

}  // namespace phalanx
