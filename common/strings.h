// common/strings.h
//
// Debian's Abseil 20220623 is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0),
// so absl::StrCat / StrJoin / StrSplit do not accept std::string_view. AsAbsl bridges the two without
// copying: absl::StrCat("x=", AsAbsl(view)).
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace phalanx {

inline absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace phalanx
