// cli/commands.h
//
// The `phalanx` offline tool's subcommands, as functions of (arguments, stdin, stdout, stderr) → exit
// code so they are testable without a process. Exit codes: 0 success, 1 invalid input (one error per
// line on stderr), 2 usage error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace phalanx::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

// argv without the program name, e.g. {"expand", "-f", "js.yaml", "-o", "json"}.
int Run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace phalanx::cli
