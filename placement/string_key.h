// placement/string_key.h
//
// Abseil 20220623 as packaged has its own absl::string_view (not std::string_view), and its hash
// containers look up heterogeneously only with that type. Key(s) bridges the two.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace phalanx::placement {

inline absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace phalanx::placement
