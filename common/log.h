// common/log.h
//
// A tiny leveled logger: one line per event, key=value pairs, to stderr. Used by edges only (servers,
// main.cc, kube/, the controller runner); pure code returns values instead of logging.
//
//   PHALANX_LOG(kInfo, "reconciled", {{"jobset", key}, {"ms", ms}});
//
// Thread-safe: each line is written with one write(2) call.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace phalanx::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo; `-v` flags lower it.
void SetMinLevel(Level level);
Level MinLevel();

struct Field {
  template <typename T>
  Field(std::string_view k, const T& v) : key(k), value(absl::StrCat(v)) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  std::string key;
  std::string value;
};

// Values longer than this are cut (the log never carries a document: a request or response body).
inline constexpr size_t kMaxValueBytes = 512;

// Formats `ts=... level=... msg="..." k=v ...`; values with spaces or quotes are quoted; a value that is
// an absl::Status text loses its payloads (` [type.url='...']`, e.g. the API server's whole answer)
// and any value is cut at kMaxValueBytes. Exposed for tests.
std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields);

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

}  // namespace phalanx::log

#define PHALANX_LOG(level, msg, ...)                                            \
  do {                                                                          \
    if (::phalanx::log::Level::level >= ::phalanx::log::MinLevel())             \
      ::phalanx::log::Write(::phalanx::log::Level::level, msg, ##__VA_ARGS__);  \
  } while (0)
