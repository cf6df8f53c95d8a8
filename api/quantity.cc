#include "api/quantity.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace phalanx::api {
namespace {

absl::Status Bad(std::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("invalid quantity \"", AsAbsl(text), "\""));
}

}  // namespace

absl::StatusOr<int64_t> ParseQuantity(std::string_view text, int64_t scale) {
  if (text.empty() || text.size() > 64) return Bad(text);
  size_t i = 0;
  if (text[0] == '+') {
    ++i;
  } else if (text[0] == '-') {
    // Negative requests are meaningless for placement.
    return Bad(text);
  }
  __int128 mantissa = 0;
  int exp10 = 0, digits = 0;
  bool seen_dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (mantissa < (static_cast<__int128>(1) << 100)) {
      mantissa = mantissa * 10 + (c - '0');
      if (seen_dot) --exp10;
    } else if (!seen_dot) {
      ++exp10;  // digits beyond precision still scale the value
    }
    ++digits;
  }
  if (digits == 0) return Bad(text);
  std::string_view suffix = text.substr(i);
  int exp2 = 0;
  if (suffix.empty()) {
  } else if (suffix == "n") {
    exp10 -= 9;
  } else if (suffix == "u") {
    exp10 -= 6;
  } else if (suffix == "m") {
    exp10 -= 3;
  } else if (suffix == "k") {
    exp10 += 3;
  } else if (suffix == "M") {
    exp10 += 6;
  } else if (suffix == "G") {
    exp10 += 9;
  } else if (suffix == "T") {
    exp10 += 12;
  } else if (suffix == "P") {
    exp10 += 15;
  } else if (suffix == "E") {
    exp10 += 18;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    size_t k = kBinary.find(suffix[0]);
    if (k == std::string_view::npos) return Bad(text);
    exp2 = 10 * static_cast<int>(k + 1);
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    int e = 0;
    bool neg = false;
    size_t k = 1;
    if (k < suffix.size() && (suffix[k] == '+' || suffix[k] == '-')) neg = suffix[k++] == '-';
    if (k == suffix.size()) return Bad(text);
    for (; k < suffix.size(); ++k) {
      if (suffix[k] < '0' || suffix[k] > '9' || e > 1000) return Bad(text);
      e = e * 10 + (suffix[k] - '0');
    }
    exp10 += neg ? -e : e;
  } else {
    return Bad(text);
  }
  // value = mantissa × 10^exp10 × 2^exp2 × scale, rounded up.
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  __int128 value = mantissa * scale;
  for (int k = 0; k < exp2; ++k) {
    value *= 2;
    if (value > kMax) return Bad(text);
  }
  for (; exp10 > 0; --exp10) {
    value *= 10;
    if (value > kMax) return Bad(text);
  }
  bool remainder = false;
  for (; exp10 < 0; ++exp10) {
    if (value % 10 != 0) remainder = true;
    value /= 10;
  }
  if (remainder) value += 1;
  if (value > kMax) return Bad(text);
  return static_cast<int64_t>(value);
}

absl::StatusOr<int64_t> ParseResource(std::string_view resource, std::string_view text) {
  return ParseQuantity(text, resource == "cpu" ? 1000 : 1);
}

std::string FormatQuantity(int64_t value, int64_t scale, bool binary) {
  if (value == 0) return "0";
  // The magnitude, without overflow for INT64_MIN.
  const uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const char* sign = value < 0 ? "-" : "";
  // Decimal: magnitude × 10^(3k), k from -1 (milli) to 6 (exa).
  static constexpr const char* kDecimal[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  uint64_t d = magnitude;
  int k = scale == 1000 ? 0 : 1;
  for (; d % 1000 == 0 && k < 7; ++k) d /= 1000;
  if (binary && scale == 1 && magnitude >= 1024 && magnitude % 1024 == 0) {
    static constexpr const char* kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    uint64_t b = magnitude;
    int e = 0;
    for (; b % 1024 == 0 && e < 6; ++e) b /= 1024;
    // "1000Gi" rather than "1073741824k", but "2G" rather than "1953125Ki".
    if (b <= d) return absl::StrCat(sign, b, kBinary[e]);
  }
  return absl::StrCat(sign, d, kDecimal[k]);
}

bool IsByteResource(std::string_view resource) {
  return resource == "memory" || resource == "ephemeral-storage" || resource == "storage" ||
         resource.rfind("hugepages-", 0) == 0;
}

std::string FormatResource(std::string_view resource, int64_t value) {
  if (resource == "cpu") return FormatQuantity(value, 1000);
  return FormatQuantity(value, 1, IsByteResource(resource));
}

}  // namespace phalanx::api
