#include "kube/selector.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace phalanx::kube {
namespace {

// Splits on commas that are not inside parentheses.
std::vector<absl::string_view> SplitTerms(absl::string_view text) {
  std::vector<absl::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

bool ValidKey(absl::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  }
  return true;
}

absl::Status Bad(absl::string_view term) {
  return absl::InvalidArgumentError(absl::StrCat("unable to parse requirement: \"", term, "\""));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (absl::string_view raw : SplitTerms(text)) {
    absl::string_view term = absl::StripAsciiWhitespace(raw);
    if (term.empty()) return Bad(raw);
    Requirement req;
    size_t pos;
    if (term[0] == '!') {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(1)));
      req.op = Op::kDoesNotExist;
    } else if ((pos = term.find("!=")) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kNotEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 2)));
    } else if ((pos = term.find("==")) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 2)));
    } else if ((pos = term.find('=')) != absl::string_view::npos) {
      req.key = std::string(absl::StripAsciiWhitespace(term.substr(0, pos)));
      req.op = Op::kEquals;
      req.values.emplace_back(absl::StripAsciiWhitespace(term.substr(pos + 1)));
    } else if ((pos = term.find('(')) != absl::string_view::npos) {
      if (term.back() != ')') return Bad(term);
      std::vector<std::string> head = absl::StrSplit(term.substr(0, pos), ' ', absl::SkipWhitespace());
      if (head.size() != 2) return Bad(term);
      req.key = head[0];
      if (head[1] == "in") {
        req.op = Op::kIn;
      } else if (head[1] == "notin") {
        req.op = Op::kNotIn;
      } else {
        return Bad(term);
      }
      absl::string_view inner = term.substr(pos + 1, term.size() - pos - 2);
      for (absl::string_view v : absl::StrSplit(inner, ',')) {
        req.values.emplace_back(absl::StripAsciiWhitespace(v));
      }
    } else {
      req.key = std::string(term);
      req.op = Op::kExists;
    }
    if (!ValidKey(req.key)) return Bad(term);
    for (const std::string& v : req.values) {
      for (char c : v) {
        if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) return Bad(term);
      }
    }
    sel.reqs_.push_back(std::move(req));
  }
  return sel;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : reqs_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    switch (r.op) {
      case Op::kEquals:
        if (!has || it->second != r.values[0]) return false;
        break;
      case Op::kNotEquals:
        if (has && it->second == r.values[0]) return false;
        break;
      case Op::kIn:
        if (!has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end()) return false;
        break;
      case Op::kNotIn:
        if (has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end()) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text) {
  FieldSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (absl::string_view raw : absl::StrSplit(text, ',')) {
    absl::string_view term = absl::StripAsciiWhitespace(raw);
    Requirement req;
    size_t pos;
    size_t vstart;
    if ((pos = term.find("!=")) != absl::string_view::npos) {
      req.negate = true;
      vstart = pos + 2;
    } else if ((pos = term.find("==")) != absl::string_view::npos) {
      vstart = pos + 2;
    } else if ((pos = term.find('=')) != absl::string_view::npos) {
      vstart = pos + 1;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid field selector: \"", term, "\""));
    }
    absl::string_view path = absl::StripAsciiWhitespace(term.substr(0, pos));
    if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("invalid field selector: \"", term, "\""));
    req.path = absl::StrSplit(path, '.');
    req.value = std::string(absl::StripAsciiWhitespace(term.substr(vstart)));
    sel.reqs_.push_back(std::move(req));
  }
  return sel;
}

}  // namespace phalanx::kube
