// cli/flags.h
//
// A small flag parser for the CLI: `-f X`, `--file X`, `--file=X`, repeated flags, boolean switches.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace phalanx::cli {

struct FlagSpec {
  std::set<std::string> with_value;  // names incl. dashes, e.g. "-f", "--file"
  std::set<std::string> switches;    // e.g. "--help"
  std::map<std::string, std::string> aliases;  // "-f" → "--file"
};

struct ParsedFlags {
  std::map<std::string, std::vector<std::string>> values;  // canonical name → values in order
  std::set<std::string> switches;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::string Last(const std::string& name, const std::string& fallback = "") const;
};

// kInvalidArgument naming the bad flag on an unknown flag or a missing value.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec);

}  // namespace phalanx::cli
