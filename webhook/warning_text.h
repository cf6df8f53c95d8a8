// webhook/warning_text.h
//
// QuoteForWarning: a user-supplied value made safe to quote in an admission warning or message:
// at most `max_bytes` bytes, printable ASCII only (anything else becomes '?'), so a warning stays
// short, valid UTF-8 and single-line whatever the object carried. Pure.
#pragma once

#include <string>
#include <string_view>

namespace phalanx::webhook {

std::string QuoteForWarning(std::string_view value, size_t max_bytes = 32);

}  // namespace phalanx::webhook
