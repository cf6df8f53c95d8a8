#include "common/log.h"

#include <unistd.h>

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace phalanx::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

// absl::Status::ToString() appends every payload as ` [<type url>='<bytes>']`; the API client keeps the
// server's whole answer there. Logs keep the code and message only.
std::string_view WithoutStatusPayload(std::string_view v) {
  for (size_t at = v.find(" ["); at != std::string_view::npos; at = v.find(" [", at + 2)) {
    const size_t eq = v.find("='", at + 2);
    if (eq == std::string_view::npos) break;
    const std::string_view url = v.substr(at + 2, eq - at - 2);
    if (!url.empty() && url.find_first_of(" ]'") == std::string_view::npos && v.back() == ']') {
      return v.substr(0, at);
    }
  }
  return v;
}

void AppendValue(std::string& out, std::string_view v) {
  v = WithoutStatusPayload(v);
  // A log value is a name, a number or a short message, never a document: whatever is longer is cut.
  std::string cut;
  if (v.size() > kMaxValueBytes) {
    cut = absl::StrCat(std::string(v.substr(0, kMaxValueBytes)), "... (", v.size(), " bytes)");
    v = cut;
  }
  bool quote = v.empty() || v.find_first_of(" \t\n\"=") != std::string_view::npos;
  if (!quote) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }
Level MinLevel() { return static_cast<Level>(min_level.load()); }

std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line = "ts=";
  line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line += " level=";
  line += LevelName(level);
  line += " msg=";
  AppendValue(line, msg);
  for (const Field& f : fields) {
    absl::StrAppend(&line, " ", f.key, "=");
    AppendValue(line, f.value);
  }
  line.push_back('\n');
  return line;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line = FormatLine(level, msg, fields);
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace phalanx::log
