#include "cli/flags.h"

#include "absl/strings/str_cat.h"

namespace phalanx::cli {

std::string ParsedFlags::Last(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec) {
  ParsedFlags out;
  auto canonical = [&](const std::string& n) {
    auto it = spec.aliases.find(n);
    return it == spec.aliases.end() ? n : it->second;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-" || a.empty() || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (spec.switches.count(name)) {
      if (inline_value) return absl::InvalidArgumentError(absl::StrCat("flag ", name, " takes no value"));
      out.switches.insert(canonical(name));
      continue;
    }
    if (!spec.with_value.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", name));
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag needs a value: ", name));
      }
      value = args[++i];
    }
    out.values[canonical(name)].push_back(value);
  }
  return out;
}

}  // namespace phalanx::cli
