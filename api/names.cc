#include "api/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "common/strings.h"

namespace phalanx::api {
namespace {

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?  (first_alpha: [a-z] first)
bool MatchesLabel(std::string_view v, bool first_alpha) {
  if (v.empty()) return false;
  if (first_alpha ? !absl::ascii_islower(v.front()) : !IsLowerAlnum(v.front())) return false;
  if (!IsLowerAlnum(v.back())) return false;
  for (char c : v) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

std::string RegexError(std::string_view msg, std::string_view fmt,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) return absl::StrCat(out, " (regex used for validation is '", AsAbsl(fmt), "')");
  out += " (e.g. ";
  int i = 0;
  for (std::string_view e : examples) {
    if (i++ > 0) out += " or ";
    absl::StrAppend(&out, "'", AsAbsl(e), "', ");
  }
  absl::StrAppend(&out, "regex used for validation is '", AsAbsl(fmt), "')");
  return out;
}

std::string MaxLenError(size_t n) { return absl::StrCat("must be no more than ", n, " characters"); }

}  // namespace

std::vector<std::string> IsDns1035Label(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(MaxLenError(63));
  if (!MatchesLabel(v, /*first_alpha=*/true)) {
    errs.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character",
        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> IsDns1123Subdomain(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(MaxLenError(253));
  bool ok = !v.empty();
  size_t start = 0;
  while (ok && start <= v.size()) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    ok = MatchesLabel(part, /*first_alpha=*/false);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character",
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(MaxLenError(63));
  bool ok = true;
  if (!v.empty()) {
    ok = absl::ascii_isalnum(v.front()) && absl::ascii_isalnum(v.back());
    for (char c : v) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') ok = false;
    }
  }
  if (!ok) {
    errs.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::string ChildJobName(std::string_view jobset, std::string_view rjob, int job_index) {
  return absl::StrCat(AsAbsl(jobset), "-", AsAbsl(rjob), "-", job_index);
}

std::string ChildPodName(std::string_view jobset, std::string_view rjob, std::string_view job_index,
                         std::string_view pod_index) {
  return absl::StrCat(AsAbsl(jobset), "-", AsAbsl(rjob), "-", AsAbsl(job_index), "-", AsAbsl(pod_index));
}

}  // namespace phalanx::api
