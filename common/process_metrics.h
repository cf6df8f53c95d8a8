// common/process_metrics.h
//
// The process's own resource gauges, read from /proc, in the standard Prometheus client names every
// Phalanx binary's /metrics carries:
//   process_resident_memory_bytes   gauge: resident set size (/proc/self/statm "resident" × page size)
//   process_start_time_seconds      gauge: Unix time the process started (/proc/self/stat starttime,
//                                   in clock ticks since boot, plus /proc/stat btime)
// Thread-safe (each call reads /proc afresh; the start time is read once). A value that cannot be read
// (no /proc, unexpected format) is 0, and its sample is left out of the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace phalanx {

// Resident set size in bytes; 0 if unreadable.
int64_t ResidentMemoryBytes();
// Process start time as Unix seconds; 0 if unreadable.
double ProcessStartTimeSeconds();

// Parsers of the /proc texts (exposed for tests). Each returns false on unexpected input.
// statm: "size resident shared text lib data dt" in pages → resident × page_size.
bool ParseStatmResidentBytes(std::string_view statm, int64_t page_size, int64_t* bytes);
// stat: "pid (comm) state ppid ..." — field 22 is starttime in clock ticks since boot; comm may hold
// spaces and parentheses, so fields are counted after the last ')'.
bool ParseStatStartTicks(std::string_view stat, int64_t* ticks);
// /proc/stat: the "btime <unix seconds>" line.
bool ParseBootTime(std::string_view proc_stat, int64_t* seconds);

// The Prometheus text (HELP, TYPE and sample lines) of both gauges, for appending to /metrics.
std::string ProcessMetricsText();

}  // namespace phalanx
