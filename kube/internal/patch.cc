#include "kube/internal/patch.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace phalanx::kube::internal {
namespace {

void MergeInto(Json& target, const Json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = Json::object();
  for (const auto& [k, v] : patch.items()) {
    if (v.is_null()) {
      target.erase(k);
    } else {
      MergeInto(target[k], v);
    }
  }
}

// RFC 6901 pointer → reference tokens.
absl::StatusOr<std::vector<std::string>> ParsePointer(const Json& op, const char* field) {
  auto it = op.find(field);
  if (it == op.end() || !it->is_string()) return absl::InvalidArgumentError(absl::StrCat("missing ", field));
  std::string p = it->get<std::string>();
  std::vector<std::string> tokens;
  if (p.empty()) return tokens;
  if (p[0] != '/') return absl::InvalidArgumentError(absl::StrCat("bad pointer ", p));
  for (absl::string_view t : absl::StrSplit(absl::string_view(p).substr(1), '/')) {
    tokens.push_back(absl::StrReplaceAll(t, {{"~1", "/"}, {"~0", "~"}}));
  }
  return tokens;
}

Json* Resolve(Json& doc, const std::vector<std::string>& tokens, size_t n) {
  Json* cur = &doc;
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = tokens[i];
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      size_t idx;
      if (!absl::SimpleAtoi(t, &idx) || idx >= cur->size()) return nullptr;
      cur = &(*cur)[idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

absl::Status Fail(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::Status Remove(Json& doc, const std::vector<std::string>& tokens, Json* removed) {
  if (tokens.empty()) return Fail("cannot remove the root");
  Json* parent = Resolve(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) return Fail("path not found");
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    auto it = parent->find(last);
    if (it == parent->end()) return Fail("path not found");
    if (removed) *removed = *it;
    parent->erase(it);
    return absl::OkStatus();
  }
  if (parent->is_array()) {
    size_t idx;
    if (!absl::SimpleAtoi(last, &idx) || idx >= parent->size()) return Fail("index out of range");
    if (removed) *removed = (*parent)[idx];
    parent->erase(parent->begin() + static_cast<std::ptrdiff_t>(idx));
    return absl::OkStatus();
  }
  return Fail("path not found");
}

absl::Status Add(Json& doc, const std::vector<std::string>& tokens, Json value) {
  if (tokens.empty()) {
    doc = std::move(value);
    return absl::OkStatus();
  }
  Json* parent = Resolve(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) return Fail("path not found");
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(value);
    return absl::OkStatus();
  }
  if (parent->is_array()) {
    if (last == "-") {
      parent->push_back(std::move(value));
      return absl::OkStatus();
    }
    size_t idx;
    if (!absl::SimpleAtoi(last, &idx) || idx > parent->size()) return Fail("index out of range");
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(idx), std::move(value));
    return absl::OkStatus();
  }
  return Fail("path not found");
}

// Strategic merge: list merge keys for the built-in fields we use.
const char* MergeKeyFor(const std::string& field) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" || field == "env" ||
      field == "volumes" || field == "schedulingGates" || field == "containerStatuses" ||
      field == "initContainerStatuses" || field == "imagePullSecrets" || field == "resourceClaims") {
    return "name";
  }
  if (field == "conditions") return "type";
  if (field == "ownerReferences") return "uid";
  if (field == "ports") return "containerPort";
  if (field == "volumeMounts") return "mountPath";
  if (field == "podIPs" || field == "hostIPs") return "ip";
  return nullptr;
}

bool IsSetList(const std::string& field) { return field == "finalizers"; }

void StrategicMergeInto(Json& target, const Json& patch);

void StrategicMergeList(Json& target, const Json& patch, const std::string& field) {
  const char* key = MergeKeyFor(field);
  if (IsSetList(field) && target.is_array()) {
    for (const Json& v : patch) {
      bool found = false;
      for (const Json& t : target) found = found || t == v;
      if (!found) target.push_back(v);
    }
    return;
  }
  if (key == nullptr || !target.is_array()) {
    Json out = Json::array();
    for (const Json& v : patch) {
      if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
    }
    target = out;
    return;
  }
  for (const Json& elem : patch) {
    if (!elem.is_object()) continue;
    if (elem.contains("$patch") && elem["$patch"] == "replace") {
      Json out = Json::array();
      for (const Json& v : patch) {
        if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
      }
      target = out;
      return;
    }
    auto kit = elem.find(key);
    if (kit == elem.end()) continue;
    bool is_delete = elem.contains("$patch") && elem["$patch"] == "delete";
    bool found = false;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i].is_object() && target[i].contains(key) && target[i][key] == *kit) {
        found = true;
        if (is_delete) {
          target.erase(target.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          StrategicMergeInto(target[i], elem);
        }
        break;
      }
    }
    if (!found && !is_delete) {
      Json fresh = Json::object();
      StrategicMergeInto(fresh, elem);
      target.push_back(fresh);
    }
  }
}

void StrategicMergeInto(Json& target, const Json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (patch.contains("$patch") && patch["$patch"] == "replace") {
    Json copy = patch;
    copy.erase("$patch");
    target = copy;
    return;
  }
  if (patch.contains("$patch") && patch["$patch"] == "delete") {
    target = nullptr;
    return;
  }
  if (!target.is_object()) target = Json::object();
  for (const auto& [k, v] : patch.items()) {
    if (!k.empty() && k[0] == '$') continue;  // $setElementOrder/..., $retainKeys: ordering hints only
    if (v.is_null()) {
      target.erase(k);
    } else if (v.is_array()) {
      Json& t = target[k];
      if (t.is_null()) t = Json::array();
      StrategicMergeList(t, v, k);
      // Deleting the last element leaves no field at all, as Kubernetes' omitempty lists do.
      if (t.empty() && !v.empty()) target.erase(k);
    } else if (v.is_object()) {
      StrategicMergeInto(target[k], v);
      if (target[k].is_null()) target.erase(k);
    } else {
      target[k] = v;
    }
  }
}

}  // namespace

absl::StatusOr<Json> ApplyMergePatch(const Json& doc, const Json& patch) {
  if (!patch.is_object()) return absl::InvalidArgumentError("merge patch is not a JSON object");
  Json out = doc;
  MergeInto(out, patch);
  return out;
}

absl::StatusOr<Json> ApplyJsonPatch(const Json& doc, const Json& patch) {
  if (!patch.is_array()) return absl::InvalidArgumentError("json patch is not a JSON array");
  Json out = doc;
  for (const Json& op : patch) {
    if (!op.is_object()) return Fail("json patch operation is not an object");
    std::string kind = GetString(op, "op");
    absl::StatusOr<std::vector<std::string>> path = ParsePointer(op, "path");
    if (!path.ok()) return path.status();
    if (kind == "add" || kind == "replace" || kind == "test") {
      auto vit = op.find("value");
      if (vit == op.end()) return Fail("missing value");
      if (kind == "add") {
        if (absl::Status s = Add(out, *path, *vit); !s.ok()) return s;
      } else if (kind == "replace") {
        Json* at = Resolve(out, *path, path->size());
        if (at == nullptr) return Fail("path not found");
        *at = *vit;
      } else {
        Json* at = Resolve(out, *path, path->size());
        if (at == nullptr || *at != *vit) return Fail("test operation failed");
      }
    } else if (kind == "remove") {
      if (absl::Status s = Remove(out, *path, nullptr); !s.ok()) return s;
    } else if (kind == "move" || kind == "copy") {
      absl::StatusOr<std::vector<std::string>> from = ParsePointer(op, "from");
      if (!from.ok()) return from.status();
      Json value;
      if (kind == "move") {
        if (absl::Status s = Remove(out, *from, &value); !s.ok()) return s;
      } else {
        Json* at = Resolve(out, *from, from->size());
        if (at == nullptr) return Fail("path not found");
        value = *at;
      }
      if (absl::Status s = Add(out, *path, std::move(value)); !s.ok()) return s;
    } else {
      return Fail(absl::StrCat("unknown json patch op \"", kind, "\""));
    }
  }
  return out;
}

absl::StatusOr<Json> ApplyStrategicMergePatch(const Json& doc, const Json& patch) {
  if (!patch.is_object()) return absl::InvalidArgumentError("strategic merge patch is not a JSON object");
  Json out = doc;
  StrategicMergeInto(out, patch);
  return out;
}

}  // namespace phalanx::kube::internal
