#include "cli/simulate.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/input.h"
#include "common/log.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace phalanx::cli {
namespace {

// "\r<line>" on a terminal, at most every 200 ms of wall time.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void Update(const std::string& label, double t_s, size_t done, size_t total) {
    if (!enabled_) return;
    absl::Time now = absl::Now();
    if (now - last_ < absl::Milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r%s: t=%s, %zu/%zu JobSets finished   ", label.c_str(), sim::HumanDuration(t_s).c_str(),
                 done, total);
    std::fflush(stderr);
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

int RunSimulate(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  (void)in;
  FlagSpec spec;
  spec.with_value = {"--cluster", "--workload", "-w", "-o", "--output", "--svg", "--seed", "--max-time"};
  spec.switches = {"--without-gangs", "--compare", "-v"};
  spec.aliases = {{"-w", "--workload"}, {"-o", "--output"}};
  auto flags = ParseFlags(args, spec);
  if (!flags.ok()) return UsageError(err, std::string(flags.status().message()));
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  if (!flags->Has("--cluster")) return UsageError(err, "--cluster FILE is required");
  if (!flags->Has("--workload")) return UsageError(err, "--workload FILE is required");
  const std::string format = flags->Last("--output", "text");
  if (format != "text" && format != "json") {
    return UsageError(err, absl::StrCat("--output must be text or json, got \"", format, "\""));
  }
  const bool without = flags->switches.count("--without-gangs") > 0;
  const bool compare = flags->switches.count("--compare") > 0;
  if (without && compare) return UsageError(err, "--without-gangs and --compare exclude each other");
  sim::SimulationOptions options;
  if (flags->Has("--seed") && !absl::SimpleAtoi(flags->Last("--seed"), &options.seed)) {
    return UsageError(err, absl::StrCat("--seed must be a non-negative integer, got \"", flags->Last("--seed"), "\""));
  }
  if (flags->Has("--max-time")) {
    absl::Duration d;
    if (!absl::ParseDuration(flags->Last("--max-time"), &d) || d <= absl::ZeroDuration()) {
      return UsageError(err, absl::StrCat("--max-time must be a positive duration such as 48h, got \"",
                                          flags->Last("--max-time"), "\""));
    }
    options.max_time = d;
  }

  absl::StatusOr<sim::ClusterSpec> cluster = sim::LoadCluster(flags->Last("--cluster"));
  if (!cluster.ok()) return Fail(err, cluster.status());
  absl::StatusOr<sim::Workload> workload = sim::LoadWorkload(flags->Last("--workload"));
  if (!workload.ok()) return Fail(err, workload.status());
  absl::Status faults = sim::CheckFaults(*cluster, *workload);
  if (!faults.ok()) return Fail(err, faults);

  // The components' own log lines (reservations recorded, ...) are the report's raw material, not output;
  // -v shows them on stderr.
  if (flags->switches.count("-v") == 0) log::SetMinLevel(log::Level::kError);
  Progress progress(isatty(STDERR_FILENO) == 1);
  std::vector<sim::Timeline> runs;
  std::vector<bool> modes = compare ? std::vector<bool>{true, false} : std::vector<bool>{!without};
  for (bool gangs : modes) {
    sim::SimulationOptions o = options;
    o.gangs = gangs;
    const std::string label = gangs ? "simulating with gangs" : "simulating without gangs";
    o.progress = [&](double t, size_t done, size_t total) { progress.Update(label, t, done, total); };
    absl::StatusOr<sim::Timeline> t = sim::Simulate(*cluster, *workload, o);
    progress.Done();
    if (!t.ok()) return Fail(err, t.status());
    runs.push_back(*std::move(t));
  }

  if (format == "json") {
    if (runs.size() == 1) {
      out << sim::ReportJson(runs[0]);
    } else {
      std::string a = sim::ReportJson(runs[0]), b = sim::ReportJson(runs[1]);
      while (!a.empty() && a.back() == '\n') a.pop_back();
      while (!b.empty() && b.back() == '\n') b.pop_back();
      out << "{\"gangs\": " << a << ",\n\"without_gangs\": " << b << "}\n";
    }
  } else {
    for (size_t i = 0; i < runs.size(); ++i) {
      if (i > 0) out << "\n";
      out << sim::SummaryText(runs[i]);
    }
  }
  if (flags->Has("--svg")) {
    std::vector<const sim::Timeline*> panels;
    for (const sim::Timeline& t : runs) panels.push_back(&t);
    const std::string path = flags->Last("--svg");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << sim::RenderSvg(panels);
    f.close();
    if (!f) return Fail(err, absl::InvalidArgumentError(absl::StrCat(path, ": cannot write the picture")));
    if (format == "text") out << "\npicture: " << path << "\n";
  }
  return kExitOk;
}

}  // namespace phalanx::cli
