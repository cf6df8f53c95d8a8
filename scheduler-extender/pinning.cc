#include "scheduler-extender/pinning.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/rapidjson_read.h"
#include "api/labels.h"
#include "common/strings.h"
#include "scheduler-extender/fencing.h"

namespace phalanx::extender {
namespace {

constexpr char kRequiredPath[] = "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution";

using api::internal::Member;
using api::internal::WrongType;

using api::internal::Str;

// A requirement list (matchExpressions or matchFields) of one term.
absl::Status ReadRequirements(const rapidjson::Value& list, const std::string& path, bool fields,
                              PinShape::Term* term) {
  if (!list.IsArray()) return WrongType(path, "array", list);
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const rapidjson::Value& r = list[i];
    std::string rp = absl::StrCat(path, "[", i, "]");
    if (!r.IsObject()) return WrongType(rp, "object", r);
    std::string key, op;
    std::vector<std::string> values;
    if (const rapidjson::Value* k = Member(r, "key")) {
      if (!k->IsString()) return WrongType(rp + ".key", "string", *k);
      key = Str(*k);
    }
    if (const rapidjson::Value* o = Member(r, "operator")) {
      if (!o->IsString()) return WrongType(rp + ".operator", "string", *o);
      op = Str(*o);
    }
    if (const rapidjson::Value* vs = Member(r, "values")) {
      if (!vs->IsArray()) return WrongType(rp + ".values", "array", *vs);
      for (rapidjson::SizeType j = 0; j < vs->Size(); ++j) {
        if (!(*vs)[j].IsString()) return WrongType(absl::StrCat(rp, ".values[", j, "]"), "string", (*vs)[j]);
        values.push_back(Str((*vs)[j]));
      }
    }
    term->empty = false;
    if (op != "In" || values.size() != 1) continue;
    if (fields) {
      if (key == "metadata.name") term->node_names.push_back(std::move(values[0]));
    } else {
      term->single_value_in.emplace_back(std::move(key), std::move(values[0]));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadTerms(const rapidjson::Value& terms, const std::string& path, PinShape* shape) {
  if (!terms.IsArray()) return WrongType(path, "array", terms);
  for (rapidjson::SizeType i = 0; i < terms.Size(); ++i) {
    const rapidjson::Value& t = terms[i];
    std::string tp = absl::StrCat(path, "[", i, "]");
    if (!t.IsObject()) return WrongType(tp, "object", t);
    PinShape::Term term;
    if (const rapidjson::Value* me = Member(t, "matchExpressions")) {
      term.has_match_expressions = true;
      if (absl::Status s = ReadRequirements(*me, tp + ".matchExpressions", false, &term); !s.ok()) return s;
    }
    if (const rapidjson::Value* mf = Member(t, "matchFields")) {
      if (absl::Status s = ReadRequirements(*mf, tp + ".matchFields", true, &term); !s.ok()) return s;
    }
    shape->required_terms.push_back(std::move(term));
  }
  return absl::OkStatus();
}

absl::Status ReadSpec(const rapidjson::Value& spec, PinShape* shape) {
  if (const rapidjson::Value* gates = Member(spec, "schedulingGates")) {
    if (!gates->IsArray()) return WrongType("spec.schedulingGates", "array", *gates);
    for (rapidjson::SizeType i = 0; i < gates->Size(); ++i) {
      const rapidjson::Value& g = (*gates)[i];
      std::string gp = absl::StrCat("spec.schedulingGates[", i, "]");
      if (!g.IsObject()) return WrongType(gp, "object", g);
      const rapidjson::Value* name = Member(g, "name");
      if (name == nullptr || !name->IsString()) {
        return absl::InvalidArgumentError(absl::StrCat(gp, ".name: expected string"));
      }
      shape->gates.push_back(Str(*name));
    }
  }
  if (const rapidjson::Value* sel = Member(spec, "nodeSelector")) {
    if (!sel->IsObject()) return WrongType("spec.nodeSelector", "object", *sel);
    shape->has_node_selector = true;
    for (auto it = sel->MemberBegin(); it != sel->MemberEnd(); ++it) {
      std::string key = Str(it->name);
      if (!it->value.IsString()) return WrongType(absl::StrCat("spec.nodeSelector.", key), "string", it->value);
      shape->node_selector.emplace_back(std::move(key), Str(it->value));
    }
    std::sort(shape->node_selector.begin(), shape->node_selector.end());
  }
  if (const rapidjson::Value* tolerations = Member(spec, "tolerations")) {
    if (!tolerations->IsArray()) return WrongType("spec.tolerations", "array", *tolerations);
    shape->has_tolerations = true;
    for (rapidjson::SizeType i = 0; i < tolerations->Size(); ++i) {
      const rapidjson::Value& t = (*tolerations)[i];
      if (!t.IsObject()) return WrongType(absl::StrCat("spec.tolerations[", i, "]"), "object", t);
      auto text = [&](const char* field) {
        const rapidjson::Value* v = Member(t, field);
        return v != nullptr && v->IsString() ? Str(*v) : std::string();
      };
      const std::string op = text("operator"), effect = text("effect");
      if (text("key") == kReservedTaintKey && (op.empty() || op == "Equal") &&
          (effect.empty() || effect == "NoSchedule")) {
        shape->fence_tolerations.push_back(text("value"));
      }
    }
  }
  const rapidjson::Value* affinity = Member(spec, "affinity");
  if (affinity == nullptr) return absl::OkStatus();
  if (!affinity->IsObject()) return WrongType("spec.affinity", "object", *affinity);
  shape->has_affinity = true;
  const rapidjson::Value* na = Member(*affinity, "nodeAffinity");
  if (na == nullptr) return absl::OkStatus();
  if (!na->IsObject()) return WrongType("spec.affinity.nodeAffinity", "object", *na);
  shape->has_node_affinity = true;
  const std::string req_path = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
  const rapidjson::Value* req = Member(*na, "requiredDuringSchedulingIgnoredDuringExecution");
  if (req == nullptr) return absl::OkStatus();
  if (!req->IsObject()) return WrongType(req_path, "object", *req);
  const rapidjson::Value* terms = Member(*req, "nodeSelectorTerms");
  if (terms == nullptr) return absl::OkStatus();
  return ReadTerms(*terms, req_path + ".nodeSelectorTerms", shape);
}

bool HasRequirement(const PinShape::Term& term, const std::pair<std::string, std::string>& label) {
  return std::find(term.single_value_in.begin(), term.single_value_in.end(), label) != term.single_value_in.end();
}

// `{"key":..,"operator":"In","values":[..]}` as JSON text.
std::string InRequirement(std::string_view key, std::string_view value) {
  return absl::StrCat(R"({"key":)", api::PatchValue::String(key).json(), R"(,"operator":"In","values":[)",
                      api::PatchValue::String(value).json(), "]}");
}

// The nodeSelectorTerms list pinning to `nodes` by name, one term per node.
std::string NodeNameTerms(const std::vector<std::string>& nodes) {
  std::string out = "[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, R"({"matchFields":[)", InRequirement("metadata.name", nodes[i]), "]}");
  }
  return out + "]";
}

absl::Status CheckTarget(const PinTarget& target) {
  if (target.path_labels.empty()) return absl::InvalidArgumentError("pin target: the domain has no path labels");
  if (target.nodes.empty()) return absl::InvalidArgumentError("pin target: the domain has no nodes");
  std::set<std::string_view> keys;
  for (const auto& [k, v] : target.path_labels) {
    if (k.empty() || v.empty()) return absl::InvalidArgumentError("pin target: empty path label key or value");
    if (!keys.insert(k).second) {
      return absl::InvalidArgumentError(absl::StrCat("pin target: label ", k, " appears twice in the path"));
    }
  }
  for (const std::string& n : target.nodes) {
    if (n.empty()) return absl::InvalidArgumentError("pin target: empty node name");
  }
  return absl::OkStatus();
}

bool HasFenceToleration(const PinShape& pod, const std::string& value) {
  return std::find(pod.fence_tolerations.begin(), pod.fence_tolerations.end(), value) != pod.fence_tolerations.end();
}

bool AllTermsEmpty(const PinShape& pod) {
  return std::all_of(pod.required_terms.begin(), pod.required_terms.end(),
                     [](const PinShape::Term& t) { return t.empty; });
}

}  // namespace

int PinShape::GateIndex(std::string_view name) const {
  for (size_t i = 0; i < gates.size(); ++i) {
    if (gates[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const std::string* PinShape::NodeSelector(std::string_view key) const {
  auto it = std::lower_bound(node_selector.begin(), node_selector.end(), key,
                             [](const std::pair<std::string, std::string>& e, std::string_view k) { return e.first < k; });
  return it != node_selector.end() && it->first == key ? &it->second : nullptr;
}

absl::StatusOr<PinShape> ReadPinShape(std::string_view pod_json) {
  rapidjson::Document doc;
  doc.Parse(pod_json.data(), pod_json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat("pod: malformed JSON at offset ", doc.GetErrorOffset(), ": ",
                                                    rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject()) return WrongType("pod", "object", doc);
  PinShape shape;
  const rapidjson::Value* spec = Member(doc, "spec");
  if (spec == nullptr) return shape;
  if (!spec->IsObject()) return WrongType("spec", "object", *spec);
  if (absl::Status s = ReadSpec(*spec, &shape); !s.ok()) return s;
  return shape;
}

absl::StatusOr<api::JsonPatch> PinPatch(const PinShape& pod, const PinTarget& target) {
  if (absl::Status s = CheckTarget(target); !s.ok()) return s;
  const int gate = pod.GateIndex(api::kPlacementGate);
  if (gate < 0) {
    return absl::FailedPreconditionError(absl::StrCat("pod does not carry the scheduling gate ",
                                                      AsAbsl(api::kPlacementGate),
                                                      ": the constraints of an ungated pod cannot change"));
  }
  for (const auto& [key, value] : target.path_labels) {
    const std::string* have = pod.NodeSelector(key);
    if (have != nullptr && *have != value) {
      return absl::FailedPreconditionError(absl::StrCat("spec.nodeSelector ", key, "=", *have,
                                                        " conflicts with the domain's ", key, "=", value));
    }
  }
  const bool set_required = pod.required_terms.empty();
  if (!set_required && AllTermsEmpty(pod)) {
    return absl::FailedPreconditionError(
        "every required node affinity term of the pod is empty: it matches no node and cannot be narrowed");
  }

  api::JsonPatch patch;
  const std::string gate_path = absl::StrCat("/spec/schedulingGates/", gate);
  patch.Test(gate_path + "/name", api::PatchValue::String(api::kPlacementGate));
  patch.Remove(gate_path);
  if (!target.fence_value.empty() && !HasFenceToleration(pod, target.fence_value)) {
    patch.AppendToList("/spec/tolerations", pod.has_tolerations, FenceToleration(target.fence_value));
  }
  if (HasDomainConstraints(pod, target)) return patch;  // pinned by an earlier, partly applied attempt

  if (!pod.has_node_selector) {
    std::string map = "{";
    for (size_t i = 0; i < target.path_labels.size(); ++i) {
      if (i > 0) map += ",";
      absl::StrAppend(&map, api::PatchValue::String(target.path_labels[i].first).json(), ":",
                      api::PatchValue::String(target.path_labels[i].second).json());
    }
    patch.Add("/spec/nodeSelector", api::PatchValue::Raw(map + "}"));
  } else {
    for (const auto& [key, value] : target.path_labels) {
      if (pod.NodeSelector(key) != nullptr) continue;  // same value: checked above
      patch.Add(absl::StrCat("/spec/nodeSelector/", api::JsonPointerToken(key)), api::PatchValue::String(value));
    }
  }

  if (set_required) {
    std::string required = absl::StrCat(R"({"nodeSelectorTerms":)", NodeNameTerms(target.nodes), "}");
    if (!pod.has_affinity) {
      patch.Add("/spec/affinity",
                api::PatchValue::Raw(absl::StrCat(R"({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":)",
                                                  required, "}}")));
    } else if (!pod.has_node_affinity) {
      patch.Add("/spec/affinity/nodeAffinity",
                api::PatchValue::Raw(absl::StrCat(R"({"requiredDuringSchedulingIgnoredDuringExecution":)", required, "}")));
    } else {
      // `add` replaces a member that is there: covers both a missing required and an empty term list.
      patch.Add(kRequiredPath, api::PatchValue::Raw(required));
    }
    return patch;
  }

  for (size_t i = 0; i < pod.required_terms.size(); ++i) {
    const PinShape::Term& term = pod.required_terms[i];
    if (term.empty) continue;  // matches no node; the API forbids narrowing it (see pinning.h)
    const std::string list_path = absl::StrCat(kRequiredPath, "/nodeSelectorTerms/", i, "/matchExpressions");
    std::vector<std::string> missing;
    for (const auto& label : target.path_labels) {
      if (!HasRequirement(term, label)) missing.push_back(InRequirement(label.first, label.second));
    }
    if (missing.empty()) continue;
    if (term.has_match_expressions) {
      for (std::string& r : missing) patch.Add(list_path + "/-", api::PatchValue::Raw(std::move(r)));
    } else {
      std::string list = "[";
      for (size_t j = 0; j < missing.size(); ++j) absl::StrAppend(&list, j > 0 ? "," : "", missing[j]);
      patch.Add(list_path, api::PatchValue::Raw(list + "]"));
    }
  }
  return patch;
}

bool HasPinConstraints(const PinShape& pod, const PinTarget& target) {
  if (!target.fence_value.empty() && !HasFenceToleration(pod, target.fence_value)) return false;
  return HasDomainConstraints(pod, target);
}

bool HasDomainConstraints(const PinShape& pod, const PinTarget& target) {
  for (const auto& [key, value] : target.path_labels) {
    const std::string* have = pod.NodeSelector(key);
    if (have == nullptr || *have != value) return false;
  }
  if (pod.required_terms.empty() || AllTermsEmpty(pod)) return false;
  // Pinned by node names: exactly one term per domain node.
  if (pod.required_terms.size() == target.nodes.size()) {
    std::set<std::string_view> want(target.nodes.begin(), target.nodes.end());
    std::set<std::string_view> got;
    bool one_name_each = true;
    for (const PinShape::Term& t : pod.required_terms) {
      if (t.node_names.size() != 1 || !t.single_value_in.empty()) {
        one_name_each = false;
        break;
      }
      got.insert(t.node_names[0]);
    }
    if (one_name_each && got == want) return true;
  }
  // Pinned by narrowing: the path's labels in every term that can match anything.
  for (const PinShape::Term& t : pod.required_terms) {
    if (t.empty) continue;
    for (const auto& label : target.path_labels) {
      if (!HasRequirement(t, label)) return false;
    }
  }
  return true;
}

bool IsPinned(const PinShape& pod, const PinTarget& target) {
  return pod.GateIndex(api::kPlacementGate) < 0 && HasPinConstraints(pod, target);
}

}  // namespace phalanx::extender
