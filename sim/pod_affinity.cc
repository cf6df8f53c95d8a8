#include "sim/pod_affinity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {
namespace {

using Json = nlohmann::json;

absl::Status WrongType(const std::string& path, const char* want) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": expected ", want));
}

absl::StatusOr<std::vector<PodAffinityTerm>> ReadTerms(const Json& kind, const std::string& path) {
  std::vector<PodAffinityTerm> out;
  auto it = kind.find("requiredDuringSchedulingIgnoredDuringExecution");
  if (it == kind.end() || it->is_null()) return out;
  const std::string list_path = path + ".requiredDuringSchedulingIgnoredDuringExecution";
  if (!it->is_array()) return WrongType(list_path, "array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& t = (*it)[i];
    const std::string tp = absl::StrCat(list_path, "[", i, "]");
    if (!t.is_object()) return WrongType(tp, "object");
    PodAffinityTerm term;
    if (auto k = t.find("topologyKey"); k != t.end() && !k->is_null()) {
      if (!k->is_string()) return WrongType(tp + ".topologyKey", "string");
      term.topology_key = k->get<std::string>();
    }
    if (auto s = t.find("labelSelector"); s != t.end() && !s->is_null()) {
      if (!s->is_object()) return WrongType(tp + ".labelSelector", "object");
      if (auto ml = s->find("matchLabels"); ml != s->end() && !ml->is_null()) {
        if (!ml->is_object()) return WrongType(tp + ".labelSelector.matchLabels", "object");
        for (auto m = ml->begin(); m != ml->end(); ++m) {
          if (!m.value().is_string()) return WrongType(tp + ".labelSelector.matchLabels." + m.key(), "string");
          term.match_labels[m.key()] = m.value().get<std::string>();
        }
      }
      if (auto me = s->find("matchExpressions"); me != s->end() && !me->is_null()) {
        if (!me->is_array()) return WrongType(tp + ".labelSelector.matchExpressions", "array");
        for (const Json& r : *me) {
          if (!r.is_object() || !r.value("key", Json()).is_string() || !r.value("operator", Json()).is_string()) {
            return WrongType(tp + ".labelSelector.matchExpressions[]", "object with key and operator");
          }
          LabelRequirement req{r["key"].get<std::string>(), r["operator"].get<std::string>(), {}};
          if (auto vs = r.find("values"); vs != r.end() && vs->is_array()) {
            for (const Json& v : *vs) {
              if (v.is_string()) req.values.push_back(v.get<std::string>());
            }
          }
          term.match_expressions.push_back(std::move(req));
        }
      }
    }
    if (auto ns = t.find("namespaceSelector"); ns != t.end() && ns->is_object() && ns->empty()) {
      term.all_namespaces = true;
    }
    if (auto ns = t.find("namespaces"); ns != t.end() && ns->is_array()) {
      for (const Json& n : *ns) {
        if (n.is_string()) term.namespaces.push_back(n.get<std::string>());
      }
    }
    out.push_back(std::move(term));
  }
  return out;
}

}  // namespace

bool PodAffinityTerm::Selects(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const LabelRequirement& r : match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
    if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") return false;
  }
  return true;
}

bool PodAffinityTerm::InNamespace(const std::string& ns, const std::string& own_ns) const {
  if (all_namespaces) return true;
  if (namespaces.empty()) return ns == own_ns;
  return std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
}

absl::StatusOr<PodAffinitySpec> ReadPodAffinity(std::string_view pod_json) {
  Json doc = Json::parse(pod_json.begin(), pod_json.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return absl::InvalidArgumentError("pod: malformed JSON");
  PodAffinitySpec spec;
  auto s = doc.find("spec");
  if (s == doc.end() || s->is_null()) return spec;
  if (!s->is_object()) return WrongType("spec", "object");
  auto a = s->find("affinity");
  if (a == s->end() || a->is_null()) return spec;
  if (!a->is_object()) return WrongType("spec.affinity", "object");
  for (auto [name, out] : {std::pair{"podAffinity", &spec.affinity}, std::pair{"podAntiAffinity", &spec.anti_affinity}}) {
    auto k = a->find(name);
    if (k == a->end() || k->is_null()) continue;
    const std::string path = absl::StrCat("spec.affinity.", name);
    if (!k->is_object()) return WrongType(path, "object");
    absl::StatusOr<std::vector<PodAffinityTerm>> terms = ReadTerms(*k, path);
    if (!terms.ok()) return terms.status();
    *out = *std::move(terms);
  }
  return spec;
}

PodAffinityCheck::PodAffinityCheck(const PodAffinitySpec& spec, const std::string& ns, const Labels& labels,
                                   const std::vector<PlacedPod>& placed)
    : spec_(spec), affinity_values_(spec.affinity.size()), anti_values_(spec.anti_affinity.size()) {
  self_match_ = std::all_of(spec.affinity.begin(), spec.affinity.end(), [&](const PodAffinityTerm& t) {
    return t.InNamespace(ns, ns) && t.Selects(labels);
  });
  for (const PlacedPod& p : placed) {
    if (p.labels == nullptr || p.node_labels == nullptr) continue;
    for (size_t i = 0; i < spec.affinity.size(); ++i) {
      const PodAffinityTerm& t = spec.affinity[i];
      if (!t.InNamespace(p.ns, ns) || !t.Selects(*p.labels)) continue;
      any_affinity_match_ = true;
      auto v = p.node_labels->find(t.topology_key);
      if (v != p.node_labels->end()) affinity_values_[i].insert(v->second);
    }
    for (size_t i = 0; i < spec.anti_affinity.size(); ++i) {
      const PodAffinityTerm& t = spec.anti_affinity[i];
      if (!t.InNamespace(p.ns, ns) || !t.Selects(*p.labels)) continue;
      auto v = p.node_labels->find(t.topology_key);
      if (v != p.node_labels->end()) anti_values_[i].insert(v->second);
    }
  }
}

std::string PodAffinityCheck::Reason(const Labels& node_labels) const {
  bool pods_exist = true;
  for (size_t i = 0; i < spec_.affinity.size(); ++i) {
    auto v = node_labels.find(spec_.affinity[i].topology_key);
    if (v == node_labels.end()) return "node(s) didn't match pod affinity rules";
    if (!affinity_values_[i].contains(v->second)) pods_exist = false;
  }
  if (!pods_exist && !(!any_affinity_match_ && self_match_)) return "node(s) didn't match pod affinity rules";
  for (size_t i = 0; i < spec_.anti_affinity.size(); ++i) {
    auto v = node_labels.find(spec_.anti_affinity[i].topology_key);
    if (v != node_labels.end() && anti_values_[i].contains(v->second)) {
      return "node(s) didn't match pod anti-affinity rules";
    }
  }
  return "";
}

}  // namespace phalanx::sim
