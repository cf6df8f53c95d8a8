#include "common/command_line.h"

#include <string_view>

#include "absl/strings/str_cat.h"

namespace phalanx {

absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv, const std::set<std::string>& value_flags,
                                             const std::set<std::string>& bool_flags) {
  CommandLine out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    if (arg == "--version") {
      out.version = true;
      continue;
    }
    if (arg == "-v" || arg.rfind("-v=", 0) == 0 || arg.rfind("--v=", 0) == 0) {
      out.verbose = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument ", arg));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (bool_flags.count(name)) {
      if (!has_value || value == "true" || value == "1") {
        out.flags.emplace_back(name, "true");
      } else if (value == "false" || value == "0") {
        out.flags.emplace_back(name, "false");
      } else {
        return absl::InvalidArgumentError(absl::StrCat("bad --", name, ": want true or false, got \"", value, "\""));
      }
      continue;
    }
    if (!value_flags.count(name)) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      value = argv[++i];
    }
    out.flags.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace phalanx
