// cli/input.h
//
// Input and error helpers shared by the CLI's subcommands.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/jobset.h"

namespace phalanx::cli {

// The whole file, or standard input for "-"; bounded by api::kMaxDocumentBytes.
absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in);

// One JobSet from `path` (YAML or JSON); errors are prefixed with the path.
absl::StatusOr<api::JobSet> LoadJobSet(const std::string& path, std::istream& in);

// Prints "error: [<prefix>: ]<message>" and returns kExitInvalid.
int Fail(std::ostream& err, const absl::Status& status, const std::string& prefix = "");

// The usage text of `phalanx`.
std::string_view UsageText();

// The usage text of one command ("default", "validate", "expand", "plan", "version"), for
// `phalanx <command> --help`; "" for an unknown command.
std::string CommandUsage(std::string_view command);

// Prints "error: <message>" and the usage text; returns kExitUsage.
int UsageError(std::ostream& err, const std::string& message);

}  // namespace phalanx::cli
