// common/json_text.h
//
// JsonText: nlohmann/json → text that never throws. A plain dump() throws type_error.316 when a string
// holds invalid UTF-8 (which RapidJSON- and YAML-decoded input can carry), and an uncaught throw ends
// the process; here invalid bytes become U+FFFD instead. Every place in the project that encodes a
// decoded document uses this (or a wrapper of it), never dump() directly. Header-only and generic over
// nlohmann::json / ordered_json, so it adds no link dependency. Thread-safe for distinct values.
#pragma once

#include <string>

namespace phalanx {

// `indent` < 0: compact, one line; otherwise pretty with that many spaces per level.
template <typename BasicJson>
std::string JsonText(const BasicJson& j, int indent = -1) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false, BasicJson::error_handler_t::replace);
}

}  // namespace phalanx
