#include "api/document.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "common/json_text.h"
#include "common/status_macros.h"

namespace phalanx::api {
namespace {

using internal::Json;

// An upper bound of the YAML nesting depth: every level needs an indentation column, a block
// indicator ("- ", "? ", ": ") or an open flow bracket. Counted outside quoted scalars.
int YamlDepthBound(std::string_view text) {
  int flow = 0, max_bound = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(i, eol - i);
    int indent = 0;
    while (indent < static_cast<int>(line.size()) && line[indent] == ' ') ++indent;
    int indicators = 0;
    char quote = 0;
    for (size_t k = indent; k < line.size(); ++k) {
      char c = line[k];
      if (quote) {
        if (c == '\\' && quote == '"') {
          ++k;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '#' && (k == 0 || line[k - 1] == ' ')) break;
      bool next_blank = k + 1 >= line.size() || line[k + 1] == ' ';
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++flow;
      } else if (c == ']' || c == '}') {
        flow = std::max(0, flow - 1);
      } else if ((c == '-' || c == '?' || c == ':') && next_blank) {
        ++indicators;
      }
    }
    max_bound = std::max(max_bound, flow + indent / 2 + indicators);
    i = eol + 1;
  }
  return max_bound;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. The offset of
// the first bad byte, or npos.
size_t InvalidUtf8At(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (int k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Kubernetes stores JSON, which is UTF-8: text that is not is refused here, where its position is
// known, rather than carried on to an encoder.
absl::Status CheckUtf8(const std::string& s, const YAML::Mark& mark) {
  if (InvalidUtf8At(s) == std::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 in a string at line ", mark.line + 1,
                                                 ", column ", mark.column + 1));
}

bool IsNullPlain(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// YAML 1.2 core schema resolution of a plain scalar.
Json ResolvePlain(const std::string& s) {
  if (IsNullPlain(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.size() < 40 && std::regex_match(s, kInt)) {
    int64_t v;
    if (absl::SimpleAtoi(s, &v)) return v;
    uint64_t u;
    if (absl::SimpleAtoi(s, &u)) return u;
    double d;
    if (absl::SimpleAtod(s, &d)) return d;
  }
  if (s.size() < 64 && std::regex_match(s, kFloat)) {
    double d;
    if (absl::SimpleAtod(s, &d) && std::isfinite(d)) return d;
  }
  if (s.size() > 2 && s.size() < 20 && s[0] == '0' && s[1] == 'x') {
    uint64_t v;
    if (absl::SimpleHexAtoi(s.substr(2), &v)) return v;
  }
  return s;
}

struct Converter {
  size_t nodes = 0;

  absl::StatusOr<Json> Convert(const YAML::Node& node, int depth) {
    if (++nodes > kMaxNodes) {
      return absl::InvalidArgumentError(
          absl::StrCat("document too large: more than ", kMaxNodes, " nodes (alias expansion?)"));
    }
    if (depth > kMaxNestingDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("document nested deeper than ", kMaxNestingDepth, " levels"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar: {
        const std::string& v = node.Scalar();
        PHALANX_RETURN_IF_ERROR(CheckUtf8(v, node.Mark()));
        if (node.Tag() == "?") return ResolvePlain(v);
        if (node.Tag() == "tag:yaml.org,2002:int" || node.Tag() == "!!int") return ResolvePlain(v);
        return Json(v);
      }
      case YAML::NodeType::Sequence: {
        Json a = Json::array();
        for (const auto& child : node) {
          PHALANX_ASSIGN_OR_RETURN(Json c, Convert(child, depth + 1));
          a.push_back(std::move(c));
        }
        return a;
      }
      case YAML::NodeType::Map: {
        Json o = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return absl::InvalidArgumentError("only scalar mapping keys are supported");
          }
          std::string key = kv.first.Scalar();
          PHALANX_RETURN_IF_ERROR(CheckUtf8(key, kv.first.Mark()));
          if (o.contains(key)) {
            return absl::InvalidArgumentError(absl::StrCat("duplicate mapping key \"", key, "\""));
          }
          PHALANX_ASSIGN_OR_RETURN(Json c, Convert(kv.second, depth + 1));
          o[key] = std::move(c);
        }
        return o;
      }
    }
    return Json(nullptr);
  }
};

bool LooksLikeJson(std::string_view text) {
  size_t p = text.find_first_not_of(" \t\r\n");
  return p != std::string_view::npos && (text[p] == '{' || text[p] == '[');
}

// Emits `j` into `out`, quoting strings that would resolve to another type.
void Emit(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        out << YAML::Key;
        if (!ResolvePlain(k).is_string()) {
          out << YAML::DoubleQuoted << k;
        } else {
          out << k;
        }
        out << YAML::Value;
        Emit(out, v);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& v : j) Emit(out, v);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (!ResolvePlain(s).is_string()) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case Json::value_t::boolean:
      out << (j.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::null:
      out << YAML::Null;
      return;
    default:
      out << JsonText(j);
      return;
  }
}

// yaml-cpp 0.7's LoadAll never ends on a stream whose document starts with a stray flow indicator
// (",", ", b: 1"): the parser hands back the same empty document again and again without consuming
// anything, and LoadAll collects them until memory runs out. A first pass with an event handler that
// builds nothing counts the documents and stops when one starts where the previous one did.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = started_ && mark.pos <= last_pos_;
    started_ = true;
    last_pos_ = mark.pos;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  bool stuck() const { return stuck_; }
  int last_pos() const { return last_pos_; }

 private:
  bool started_ = false;
  bool stuck_ = false;
  int last_pos_ = -1;
};

// kInvalidArgument when the parser would not get past some point of `text` (see DocumentCounter).
absl::Status CheckYamlProgress(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  // Every document takes at least one byte, so more documents than bytes means no progress either.
  for (size_t docs = 0; parser.HandleNextDocument(counter); ++docs) {
    if (counter.stuck() || docs > text.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "malformed YAML: no document can be read at offset ", std::max(counter.last_pos(), 0),
          " (a stray flow indicator such as ',' outside [ ] or { }?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseDocuments(std::string_view text) {
  if (text.size() > kMaxDocumentBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("input too large: ", text.size(), " bytes (limit ", kMaxDocumentBytes, ")"));
  }
  std::vector<std::string> out;
  if (LooksLikeJson(text)) {
    PHALANX_ASSIGN_OR_RETURN(Json j, internal::ParseJson(text));
    out.push_back(JsonText(j));
    return out;
  }
  if (YamlDepthBound(text) > kMaxNestingDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("document nested deeper than ", kMaxNestingDepth, " levels"));
  }
  std::vector<YAML::Node> docs;
  try {
    const std::string owned(text);
    PHALANX_RETURN_IF_ERROR(CheckYamlProgress(owned));
    docs = YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed YAML: line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  Converter conv;
  for (const auto& doc : docs) {
    if (doc.IsNull() || !doc.IsDefined()) continue;
    PHALANX_ASSIGN_OR_RETURN(Json j, conv.Convert(doc, 0));
    out.push_back(JsonText(j));
  }
  return out;
}

absl::StatusOr<std::string> ParseSingleDocument(std::string_view text) {
  PHALANX_ASSIGN_OR_RETURN(std::vector<std::string> docs, ParseDocuments(text));
  if (docs.empty()) return absl::InvalidArgumentError("the input holds no document");
  if (docs.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one document, found ", docs.size()));
  }
  return std::move(docs[0]);
}

absl::StatusOr<std::string> JsonToYaml(std::string_view json) {
  PHALANX_ASSIGN_OR_RETURN(Json j, internal::ParseJson(json));
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  Emit(out, j);
  if (!out.good()) return absl::InternalError(absl::StrCat("YAML emitter: ", out.GetLastError()));
  return absl::StrCat(out.c_str(), "\n");
}

absl::StatusOr<std::string> PrettyJson(std::string_view json) {
  PHALANX_ASSIGN_OR_RETURN(Json j, internal::ParseJson(json));
  return JsonText(j, 2) + "\n";
}

}  // namespace phalanx::api
