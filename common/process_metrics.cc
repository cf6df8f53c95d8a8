#include "common/process_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace phalanx {
namespace {

std::string ReadProcFile(const char* path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

bool ParseStatmResidentBytes(std::string_view statm, int64_t page_size, int64_t* bytes) {
  std::vector<absl::string_view> fields = absl::StrSplit(AsAbsl(statm), ' ', absl::SkipWhitespace());
  int64_t pages = 0;
  if (fields.size() < 2 || page_size <= 0 || !absl::SimpleAtoi(fields[1], &pages) || pages < 0) return false;
  *bytes = pages * page_size;
  return true;
}

bool ParseStatStartTicks(std::string_view stat, int64_t* ticks) {
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return false;
  // After "(comm)": field 3 (state) is the first; starttime is field 22, the 20th from there.
  std::vector<absl::string_view> fields =
      absl::StrSplit(AsAbsl(stat.substr(close + 1)), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  constexpr size_t kStartTimeAfterComm = 22 - 3;
  if (fields.size() <= kStartTimeAfterComm) return false;
  int64_t value = 0;
  if (!absl::SimpleAtoi(fields[kStartTimeAfterComm], &value) || value < 0) return false;
  *ticks = value;
  return true;
}

bool ParseBootTime(std::string_view proc_stat, int64_t* seconds) {
  for (absl::string_view line : absl::StrSplit(AsAbsl(proc_stat), '\n')) {
    if (!absl::ConsumePrefix(&line, "btime ")) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(line, &value) || value <= 0) return false;
    *seconds = value;
    return true;
  }
  return false;
}

int64_t ResidentMemoryBytes() {
  int64_t bytes = 0;
  if (!ParseStatmResidentBytes(ReadProcFile("/proc/self/statm"), sysconf(_SC_PAGESIZE), &bytes)) return 0;
  return bytes;
}

double ProcessStartTimeSeconds() {
  static const double start = [] {
    int64_t ticks = 0, boot = 0;
    const long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || !ParseStatStartTicks(ReadProcFile("/proc/self/stat"), &ticks) ||
        !ParseBootTime(ReadProcFile("/proc/stat"), &boot)) {
      return 0.0;
    }
    return static_cast<double>(boot) + static_cast<double>(ticks) / static_cast<double>(hz);
  }();
  return start;
}

std::string ProcessMetricsText() {
  std::string out;
  if (int64_t rss = ResidentMemoryBytes(); rss > 0) {
    absl::StrAppend(&out,
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                    "# TYPE process_resident_memory_bytes gauge\n"
                    "process_resident_memory_bytes ", rss, "\n");
  }
  if (double start = ProcessStartTimeSeconds(); start > 0) {
    absl::StrAppend(&out,
                    "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                    "# TYPE process_start_time_seconds gauge\n"
                    "process_start_time_seconds ", absl::StrFormat("%.2f", start), "\n");
  }
  return out;
}

}  // namespace phalanx
