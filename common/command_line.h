// common/command_line.h
//
// The daemons' command lines (phalanx-webhook, -controller, -extender), as Kubernetes components take
// them: `--name=value` or `--name value`; boolean flags as `--name` or `--name=true|false` (also 1|0);
// `-h`/`--help`; `--version`; `-v` (debug logs; `-v=N` and `--v=N` are accepted too). Parsing only:
// each binary converts and range-checks its values. Pure.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace phalanx {

struct CommandLine {
  bool help = false;
  bool version = false;
  bool verbose = false;
  // (name without dashes, value) in command-line order; boolean flags carry "true" or "false".
  std::vector<std::pair<std::string, std::string>> flags;
};

// `value_flags` and `bool_flags` are names without dashes. kInvalidArgument with a message fit for a
// usage error: an unknown flag, a missing value, a boolean that is not true/false, a positional argument.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv, const std::set<std::string>& value_flags,
                                             const std::set<std::string>& bool_flags = {});

}  // namespace phalanx
