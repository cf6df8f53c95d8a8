// sim/report.h
//
// The simulator's reports, pure functions of recorded Timelines (sim/timeline.h): a text summary
// for a person at a terminal, JSON for tools, and an SVG picture. All three are deterministic byte
// for byte (numbers are rounded and printed without the locale; nothing depends on the clock or on
// addresses), so the same run gives the same files. Thread-safe (no shared state); never fail.
//
// Picture layout (RenderSvg): one panel per Timeline, stacked vertically on a shared time scale (so
// a run with gangs and one without read side by side). In each panel, from the top: a lane per
// JobSet (dashed from arrival to start = waiting, solid while it runs, its restarts marked), a
// utilisation strip, then one row per domain with each Job's occupancy as a bar coloured by its
// JobSet — hatched when partial, with a dashed outline when the domain was shared — and the run's
// marks (pod failure, node failure and recovery, restart, gang moved) as symbols with tooltips. A
// legend explains colours and symbols. Large runs stay readable: beyond kMaxSvgRows domains,
// consecutive domains share a row (the panel says so); beyond kMaxSvgLanes JobSets, the rest have
// no lane; the legend lists at most kMaxSvgLegend JobSets, then "+N more".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/timeline.h"

namespace phalanx::sim {

inline constexpr int kMaxSvgRows = 240;
inline constexpr int kMaxSvgLanes = 24;
inline constexpr int kMaxSvgLegend = 24;
// The summary's table lists the first kMaxSummaryRows JobSets (all when there are at most 5 more);
// its waits section explains the kMaxSummaryReasons longest waits.
inline constexpr size_t kMaxSummaryRows = 40;
inline constexpr size_t kMaxSummaryReasons = 8;

// "45s", "12m05s", "1h02m", "2d03h" (rounded to the second).
std::string HumanDuration(double seconds);

// What a cluster admin reads at a glance: the run (cluster, nodes, domains, mode, simulated time),
// a table of JobSets (arrived, waited, started, finished, outcome, restarts, where they ran), waits
// (median, p90, longest, and why the longest ones waited), utilisation and fragmentation over time
// (mean, peak and a sparkline), and the invariants checked with counts per rule.
std::string SummaryText(const Timeline& timeline);

// One JSON object (2-space indent, trailing newline): cluster, workload, mode ("gangs" |
// "without-gangs"), seed, end_s, resource, nodes, domains[], jobsets[] (namespace, name, outcome,
// arrived_s, started_s and finished_s (null if never), waited_s (arrival to start; if it never had
// all its pods running at once, to its finish or the end of the run), restarts, pods, domains
// ["key=path", ...], wait_reason), utilisation (mean, peak, fragmentation_mean, fragmentation_peak,
// samples[]), marks[], occupancies[], invariants (checked, violations (total), by_rule, examples).
// Times in seconds, rounded to milliseconds.
std::string ReportJson(const Timeline& timeline);

// An SVG document with one panel per timeline (titled "with gangs" / "without gangs"), see above.
// Null entries are skipped; no panels gives a small document saying so.
std::string RenderSvg(const std::vector<const Timeline*>& panels);

}  // namespace phalanx::sim
