#include "cli/commands.h"

#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/defaulting.h"
#include "api/document.h"
#include "api/expand.h"
#include "api/job_codec.h"
#include "api/jobset_codec.h"
#include "api/validation.h"
#include "cli/flags.h"
#include "cli/input.h"
#include "cli/plan.h"
#include "cli/simulate.h"
#include "common/status_macros.h"
#include "common/version.h"

namespace phalanx::cli {
namespace {

absl::StatusOr<std::string> Render(const std::string& json, const std::string& format) {
  if (format == "json") return api::PrettyJson(json);
  return api::JsonToYaml(json);
}

// Common flags: -f/--filename, -o/--output.
FlagSpec CommonSpec() {
  FlagSpec spec;
  spec.with_value = {"-f", "--filename", "--file", "-o", "--output"};
  spec.aliases = {{"-f", "--filename"}, {"--file", "--filename"}, {"-o", "--output"}};  // -h/--help: see Run
  return spec;
}

int RunDefault(const ParsedFlags& flags, std::istream& in, std::ostream& out, std::ostream& err) {
  auto js = LoadJobSet(flags.Last("--filename"), in);
  if (!js.ok()) return Fail(err, js.status());
  api::ApplySchemaDefaults(*js);
  api::DefaultJobSet(*js);
  auto text = Render(api::EncodeJobSet(*js), flags.Last("--output", "yaml"));
  if (!text.ok()) return Fail(err, text.status());
  out << *text;
  return kExitOk;
}

int RunValidate(const ParsedFlags& flags, std::istream& in, std::ostream& out, std::ostream& err) {
  auto js = LoadJobSet(flags.Last("--filename"), in);
  if (!js.ok()) return Fail(err, js.status());
  // Validate what a cluster would store: schema defaults, then (on create) the webhook's defaults.
  api::ApplySchemaDefaults(*js);
  std::vector<api::FieldError> errors;
  if (flags.Has("--old")) {
    auto old = LoadJobSet(flags.Last("--old"), in);
    if (!old.ok()) return Fail(err, old.status());
    api::ApplySchemaDefaults(*old);
    errors = api::ValidateUpdate(*old, *js);
  } else {
    api::DefaultJobSet(*js);
    errors = api::ValidateCreate(*js);
  }
  // What a cluster's strict field validation (kubectl's default) refuses before anything else runs.
  std::vector<std::string> unknown = api::UnknownFields(*js);
  for (const std::string& f : unknown) err << "strict decoding error: unknown field \"" << f << "\"\n";
  for (const auto& e : errors) err << e.ToString() << "\n";
  if (!errors.empty() || !unknown.empty()) return kExitInvalid;
  std::string name = js->metadata.name.value_or(js->metadata.generate_name.value_or(""));
  out << "jobset " << name << " is valid\n";
  return kExitOk;
}

int RunExpand(const ParsedFlags& flags, std::istream& in, std::ostream& out, std::ostream& err) {
  int restarts = 0;
  if (flags.Has("--restarts") &&
      (!absl::SimpleAtoi(flags.Last("--restarts"), &restarts) || restarts < 0)) {
    return UsageError(err, absl::StrCat("--restarts must be a non-negative integer, got \"",
                                   flags.Last("--restarts"), "\""));
  }
  auto js = LoadJobSet(flags.Last("--filename"), in);
  if (!js.ok()) return Fail(err, js.status());
  api::ApplySchemaDefaults(*js);
  api::DefaultJobSet(*js);
  std::vector<api::FieldError> errors = api::ValidateCreate(*js);
  for (const auto& e : errors) err << e.ToString() << "\n";
  if (!errors.empty()) return kExitInvalid;
  auto expansion = api::Expand(*js, restarts);
  if (!expansion.ok()) return Fail(err, expansion.status());
  std::vector<std::string> items;
  items.reserve(expansion->jobs.size() + 1);
  for (const auto& job : expansion->jobs) items.push_back(api::EncodeJob(job));
  if (expansion->service) items.push_back(api::EncodeService(*expansion->service));
  auto text = Render(api::EncodeList(items), flags.Last("--output", "yaml"));
  if (!text.ok()) return Fail(err, text.status());
  out << *text;
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
        std::ostream& err) {
  if (args.empty()) return UsageError(err, "no command given");
  const std::string& command = args[0];
  if (command == "help" && args.size() == 2 && !CommandUsage(args[1]).empty()) {
    out << CommandUsage(args[1]);
    return kExitOk;
  }
  if (command == "-h" || command == "--help" || command == "help") {
    out << UsageText();
    return kExitOk;
  }
  const bool known = !CommandUsage(command).empty();
  // `phalanx <command> --help` (or -h) anywhere among the flags: that command's usage, whatever else
  // is on the line, as Kubernetes tools do.
  if (known) {
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "-h" || args[i] == "--help") {
        out << CommandUsage(command);
        return kExitOk;
      }
    }
  }
  if (command == "--version" || command == "version") {
    if (args.size() > 1) return UsageError(err, absl::StrCat("unexpected argument \"", args[1], "\""));
    out << VersionLine("phalanx") << "\n";
    return kExitOk;
  }
  if (command == "plan") {
    return RunPlan(std::vector<std::string>(args.begin() + 1, args.end()), in, out, err);
  }
  if (command == "simulate") {
    return RunSimulate(std::vector<std::string>(args.begin() + 1, args.end()), in, out, err);
  }
  FlagSpec spec = CommonSpec();
  if (command == "validate") spec.with_value.insert("--old");
  if (command == "expand") spec.with_value.insert("--restarts");
  if (command != "default" && command != "validate" && command != "expand") {
    return UsageError(err, absl::StrCat("unknown command \"", command, "\""));
  }
  auto flags = ParseFlags(std::vector<std::string>(args.begin() + 1, args.end()), spec);
  if (!flags.ok()) return UsageError(err, std::string(flags.status().message()));
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  if (!flags->Has("--filename")) return UsageError(err, "-f FILE is required ('-' for stdin)");
  if (flags->values["--filename"].size() > 1) return UsageError(err, "-f may be given once");
  std::string format = flags->Last("--output", "yaml");
  if (format != "yaml" && format != "json") {
    return UsageError(err, absl::StrCat("-o must be json or yaml, got \"", format, "\""));
  }
  if (command == "default") return RunDefault(*flags, in, out, err);
  if (command == "validate") return RunValidate(*flags, in, out, err);
  return RunExpand(*flags, in, out, err);
}

}  // namespace phalanx::cli
