#include "crdgen/yaml_text.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace phalanx::crdgen {
namespace {

using Json = nlohmann::json;

bool SafePlain(const std::string& s) {
  if (s.empty()) return false;
  const char first = s[0];
  if (!std::isalpha(static_cast<unsigned char>(first)) && first != '_' && first != '/') return false;
  if (s.back() == ' ') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '(' || c == ')' || c == ',') continue;
    if (c == ' ' && i + 1 < s.size() && s[i + 1] != ' ' && s[i + 1] != '#') continue;
    return false;
  }
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}) {
    if (lower == word) return false;
  }
  return true;
}

std::string Scalar(const Json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return SafePlain(s) ? s : v.dump();
  }
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return v.dump();  // numbers, true, false, null
}

void EmitSeq(const Json& seq, int indent, std::string& out);

// `inline_first`: the first entry continues a line already started ("- ").
void EmitMap(const Json& map, int indent, bool inline_first, std::string& out) {
  bool first = true;
  for (const auto& [key, value] : map.items()) {
    if (!(first && inline_first)) out.append(indent, ' ');
    first = false;
    out += Scalar(Json(key));
    out += ':';
    if (value.is_object() && !value.empty()) {
      out += '\n';
      EmitMap(value, indent + 2, false, out);
    } else if (value.is_array() && !value.empty()) {
      out += '\n';
      EmitSeq(value, indent + 2, out);
    } else {
      out += ' ';
      out += Scalar(value);
      out += '\n';
    }
  }
}

void EmitSeq(const Json& seq, int indent, std::string& out) {
  for (const Json& item : seq) {
    out.append(indent, ' ');
    if (item.is_object() && !item.empty()) {
      out += "- ";
      EmitMap(item, indent + 2, true, out);
    } else if (item.is_array() && !item.empty()) {
      out += "-\n";
      EmitSeq(item, indent + 2, out);
    } else {
      out += "- ";
      out += Scalar(item);
      out += '\n';
    }
  }
}

}  // namespace

std::string ToYaml(const Json& value) {
  std::string out;
  if (value.is_object() && !value.empty()) {
    EmitMap(value, 0, false, out);
  } else if (value.is_array() && !value.empty()) {
    EmitSeq(value, 0, out);
  } else {
    out = Scalar(value) + "\n";
  }
  return out;
}

}  // namespace phalanx::crdgen
