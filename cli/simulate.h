// cli/simulate.h
//
// `phalanx simulate --cluster FILE --workload FILE [-o text|json] [--svg FILE] [--without-gangs |
// --compare] [--seed N] [--max-time DURATION]`: runs the whole system on a simulated cluster
// (sim/simulation.h) and prints what happened — a summary for a person (text, the default) or JSON for
// tools — and, with --svg, writes the picture of domain occupancy over time. --without-gangs runs the
// same workload with Phalanx's placement off (pods scheduled one by one); --compare runs both and reports
// them side by side (two summaries, or {"gangs": ..., "without_gangs": ...}, and a two-panel picture).
// On a terminal, progress goes to stderr while it runs. Exit codes as cli/commands.h: a cluster or
// workload file that cannot be read is one error line (exit 1).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace phalanx::cli {

int RunSimulate(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace phalanx::cli
