#include "webhook/warning_text.h"

namespace phalanx::webhook {

std::string QuoteForWarning(std::string_view value, size_t max_bytes) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < max_bytes; ++i) {
    char c = value[i];
    out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  if (value.size() > max_bytes) out += "...";
  out += '"';
  return out;
}

}  // namespace phalanx::webhook
