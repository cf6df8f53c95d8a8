#include "placement/explain.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace phalanx::placement {

namespace {

std::string ReservedBy(const Shortfall& s) {
  if (s.reserved_by.empty()) return absl::StrCat(s.reserved, " reserved");
  std::string out = absl::StrCat(s.reserved, " reserved by ");
  for (size_t i = 0; i < s.reserved_by.size(); ++i) {
    if (i > 0) out += ", ";
    out += s.reserved_by[i].first;
    if (s.reserved_by.size() > 1) absl::StrAppend(&out, " (", s.reserved_by[i].second, ")");
  }
  const int32_t listed = [&] {
    int32_t n = 0;
    for (const auto& [who, count] : s.reserved_by) n += count;
    return n;
  }();
  if (listed < s.reserved) absl::StrAppend(&out, " and others");
  return out;
}

// " of {cpu: 1, google.com/tpu: 4}" (one pod's request), or "" for pods that request nothing.
std::string OfRequest(const std::string& per_pod) {
  return per_pod.empty() ? "" : absl::StrCat(" of {", per_pod, "}");
}

}  // namespace

std::string Explain(const Shortfall& s) {
  switch (s.kind) {
    case Shortfall::Kind::kNone:
      return "";
    case Shortfall::Kind::kInvalid:
      return absl::StrCat("invalid gang: ", s.detail);
    case Shortfall::Kind::kExclusive: {
      std::string out = absl::StrCat("gang needs ", s.needed, s.needed == 1 ? " domain" : " domains",
                                     " of ", s.key, " with ", s.pods_per_job,
                                     s.pods_per_job == 1 ? " pod" : " pods", OfRequest(s.per_pod));
      if (s.other_jobs > 0) absl::StrAppend(&out, " besides ", s.other_jobs, " for its other Jobs");
      absl::StrAppend(&out, "; ", s.free, " free");
      if (s.reserved > 0) absl::StrAppend(&out, ", ", ReservedBy(s));
      if (s.occupied > 0) absl::StrAppend(&out, ", ", s.occupied, " in use by other pods");
      if (s.too_small > 0) absl::StrAppend(&out, ", ", s.too_small, " too small or unhealthy");
      if (s.total == 0 && s.path_keys.size() > 1) {
        absl::StrAppend(&out, " (no node has all of the labels ", absl::StrJoin(s.path_keys, ", "), ")");
      } else if (s.total == 0) {
        absl::StrAppend(&out, " (no node has label ", s.key, ")");
      }
      return out;
    }
    case Shortfall::Kind::kColocate:
      if (s.best_colocate.empty()) {
        return absl::StrCat("gang needs ", s.needed, " domains of ", s.key, " within one ",
                            s.colocate_key, "; no ", s.colocate_key, " has a free one");
      }
      return absl::StrCat("gang needs ", s.needed, " domains of ", s.key, " within one ",
                          s.colocate_key, "; best ", s.best_colocate, " has ",
                          s.best_colocate_jobs, " free");
    case Shortfall::Kind::kCapacity:
      return absl::StrCat("gang needs ", s.needed, s.needed == 1 ? " pod" : " pods",
                          OfRequest(s.per_pod), " outside reserved domains; ", s.fitted, " fit");
  }
  return "";
}

}  // namespace phalanx::placement
