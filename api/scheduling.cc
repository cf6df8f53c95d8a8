#include "api/scheduling.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "common/json_text.h"
#include "api/internal/template_codec.h"
#include "api/quantity.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::api {
namespace {

using internal::Json;

std::string Str(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json* Obj(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

const Json* Arr(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? &*it : nullptr;
}

absl::StatusOr<Resources> ReadResources(const Json* list, std::string_view path) {
  Resources out;
  if (list == nullptr) return out;
  for (const auto& [name, q] : list->items()) {
    std::string text;
    if (q.is_string()) {
      text = q.get<std::string>();
    } else if (q.is_number_integer() || q.is_number_unsigned()) {
      text = JsonText(q);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ".", name, ": expected a quantity"));
    }
    auto v = ParseResource(name, text);
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ".", name, ": ", v.status().message()));
    out[name] = *v;
  }
  return out;
}

// The requests of `c["resources"]` (a container, or a pod spec's pod-level resources); limits stand in
// for missing requests, as the API server defaults them.
absl::StatusOr<Resources> ReadContainer(const Json& c, std::string_view path) {
  const Json* res = Obj(c, "resources");
  if (res == nullptr) return Resources{};
  PHALANX_ASSIGN_OR_RETURN(Resources requests, ReadResources(Obj(*res, "requests"), absl::StrCat(AsAbsl(path), ".resources.requests")));
  PHALANX_ASSIGN_OR_RETURN(Resources limits, ReadResources(Obj(*res, "limits"), absl::StrCat(AsAbsl(path), ".resources.limits")));
  for (const auto& [k, v] : limits) requests.emplace(k, v);
  return requests;
}

absl::StatusOr<PodScheduling> ReadPodSpec(const Json& spec, std::string_view path) {
  PodScheduling out;
  std::vector<Resources> containers;
  if (const Json* cs = Arr(spec, "containers")) {
    for (size_t i = 0; i < cs->size(); ++i) {
      PHALANX_ASSIGN_OR_RETURN(Resources r, ReadContainer((*cs)[i], absl::StrCat(AsAbsl(path), ".containers[", i, "]")));
      containers.push_back(std::move(r));
    }
  }
  std::vector<ContainerRequests> init_containers;
  if (const Json* ics = Arr(spec, "initContainers")) {
    for (size_t i = 0; i < ics->size(); ++i) {
      ContainerRequests c;
      PHALANX_ASSIGN_OR_RETURN(c.requests,
                               ReadContainer((*ics)[i], absl::StrCat(AsAbsl(path), ".initContainers[", i, "]")));
      c.restartable = Str((*ics)[i], "restartPolicy") == "Always";
      init_containers.push_back(std::move(c));
    }
  }
  std::optional<Resources> pod_level;
  if (Obj(spec, "resources") != nullptr) {
    PHALANX_ASSIGN_OR_RETURN(pod_level, ReadContainer(spec, path));
  }
  PHALANX_ASSIGN_OR_RETURN(Resources overhead, ReadResources(Obj(spec, "overhead"), absl::StrCat(AsAbsl(path), ".overhead")));
  out.requests = PodRequests(containers, init_containers, pod_level, overhead);
  if (const Json* ns = Obj(spec, "nodeSelector")) {
    for (const auto& [k, v] : ns->items()) {
      if (v.is_string()) out.node_selector[k] = v.get<std::string>();
    }
  }
  if (const Json* aff = Obj(spec, "affinity")) {
    if (const Json* na = Obj(*aff, "nodeAffinity")) {
      if (const Json* req = Obj(*na, "requiredDuringSchedulingIgnoredDuringExecution")) {
        if (const Json* terms = Arr(*req, "nodeSelectorTerms")) {
          for (const auto& t : *terms) {
            NodeSelectorTermInfo term;
            if (const Json* exprs = Arr(t, "matchExpressions")) {
              for (const auto& e : *exprs) {
                NodeSelectorRequirementInfo r{Str(e, "key"), Str(e, "operator"), {}};
                if (const Json* vals = Arr(e, "values")) {
                  for (const auto& v : *vals) if (v.is_string()) r.values.push_back(v.get<std::string>());
                }
                term.match_expressions.push_back(std::move(r));
              }
            }
            if (const Json* fields = Arr(t, "matchFields")) {
              for (const auto& f : *fields) {
                if (Str(f, "key") != "metadata.name" || Str(f, "operator") != "In") continue;
                if (const Json* vals = Arr(f, "values")) {
                  for (const auto& v : *vals) if (v.is_string()) term.node_names.push_back(v.get<std::string>());
                }
              }
            }
            out.required_terms.push_back(std::move(term));
          }
        }
      }
    }
  }
  if (const Json* tols = Arr(spec, "tolerations")) {
    for (const auto& t : *tols) {
      TolerationInfo tol{Str(t, "key"), Str(t, "operator"), Str(t, "value"), Str(t, "effect")};
      if (tol.op.empty()) tol.op = "Equal";
      out.tolerations.push_back(std::move(tol));
    }
  }
  if (auto it = spec.find("priority"); it != spec.end() && it->is_number_integer()) {
    out.priority = it->get<int32_t>();
  }
  if (const Json* gates = Arr(spec, "schedulingGates")) {
    for (const auto& g : *gates) out.scheduling_gates.push_back(Str(g, "name"));
  }
  return out;
}

absl::StatusOr<NodeInfo> ReadNode(const Json& node, std::string_view path) {
  NodeInfo out;
  const Json* meta = Obj(node, "metadata");
  if (meta == nullptr || Str(*meta, "name").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ": a Node needs metadata.name"));
  }
  out.name = Str(*meta, "name");
  if (const Json* labels = Obj(*meta, "labels")) {
    for (const auto& [k, v] : labels->items()) if (v.is_string()) out.labels[k] = v.get<std::string>();
  }
  if (const Json* spec = Obj(node, "spec")) {
    if (auto it = spec->find("unschedulable"); it != spec->end() && it->is_boolean()) out.unschedulable = it->get<bool>();
    if (const Json* taints = Arr(*spec, "taints")) {
      for (const auto& t : *taints) out.taints.push_back({Str(t, "key"), Str(t, "value"), Str(t, "effect")});
    }
  }
  if (const Json* status = Obj(node, "status")) {
    PHALANX_ASSIGN_OR_RETURN(out.allocatable, ReadResources(Obj(*status, "allocatable"), absl::StrCat(AsAbsl(path), ".status.allocatable")));
    if (const Json* conds = Arr(*status, "conditions")) {
      for (const auto& c : *conds) {
        if (Str(c, "type") == "Ready") out.ready = Str(c, "status") == "True";
      }
    }
  }
  return out;
}

absl::StatusOr<PodInfo> ReadPod(const Json& pod, std::string_view path) {
  PodInfo out;
  if (const Json* meta = Obj(pod, "metadata")) {
    PHALANX_RETURN_IF_ERROR(internal::DecodeObjectMeta(*meta, absl::StrCat(AsAbsl(path), ".metadata"), out.metadata));
  }
  if (out.metadata.owner_references) {
    for (const auto& ref : *out.metadata.owner_references) {
      if (ref.controller.value_or(false)) out.controller_kind = ref.kind;
    }
  }
  if (const Json* spec = Obj(pod, "spec")) {
    out.node_name = Str(*spec, "nodeName");
    PHALANX_ASSIGN_OR_RETURN(out.scheduling, ReadPodSpec(*spec, absl::StrCat(AsAbsl(path), ".spec")));
  }
  if (const Json* status = Obj(pod, "status")) out.phase = Str(*status, "phase");
  return out;
}

}  // namespace

namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) return std::numeric_limits<int64_t>::max();
  return a + b;
}

void AddTo(Resources& into, const Resources& add) {
  for (const auto& [k, v] : add) {
    int64_t& slot = into[k];
    slot = SaturatingAdd(slot, v);
  }
}

void MaxInto(Resources& into, const Resources& other) {
  for (const auto& [k, v] : other) {
    int64_t& slot = into[k];
    slot = std::max(slot, v);
  }
}

bool IsPodLevelResource(const std::string& name) {
  return name == "cpu" || name == "memory" || name.rfind("hugepages-", 0) == 0;
}

}  // namespace

Resources PodRequests(const std::vector<Resources>& containers, const std::vector<ContainerRequests>& init_containers,
                      const std::optional<Resources>& pod_level, const Resources& overhead) {
  Resources out;
  for (const Resources& r : containers) AddTo(out, r);
  Resources sidecars;  // restartable init containers started so far: they keep running
  Resources init_max;
  for (const ContainerRequests& c : init_containers) {
    if (c.restartable) {
      AddTo(out, c.requests);
      AddTo(sidecars, c.requests);
      MaxInto(init_max, sidecars);
    } else {
      Resources r = c.requests;
      AddTo(r, sidecars);
      MaxInto(init_max, r);
    }
  }
  MaxInto(out, init_max);
  if (pod_level) {
    for (const auto& [k, v] : *pod_level) {
      if (IsPodLevelResource(k)) out[k] = v;
    }
  }
  AddTo(out, overhead);
  return out;
}

absl::StatusOr<ClusterState> DecodeClusterState(std::string_view text) {
  PHALANX_ASSIGN_OR_RETURN(Json doc, internal::ParseJson(text));
  if (!doc.is_object()) return absl::InvalidArgumentError("cluster: the document is not an object");
  std::vector<const Json*> items;
  const std::string kind = Str(doc, "kind");
  if (const Json* list = Arr(doc, "items")) {
    for (const auto& item : *list) items.push_back(&item);
  } else if (kind == "Node" || kind == "Pod") {
    items.push_back(&doc);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster: expected a v1 List of Nodes and Pods, got kind \"", kind, "\""));
  }
  ClusterState out;
  std::string default_kind = kind == "NodeList" ? "Node" : kind == "PodList" ? "Pod" : "";
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = *items[i];
    if (!item.is_object()) continue;
    std::string item_kind = Str(item, "kind");
    if (item_kind.empty()) item_kind = default_kind;
    std::string path = absl::StrCat("items[", i, "]");
    if (item_kind == "Node") {
      PHALANX_ASSIGN_OR_RETURN(NodeInfo n, ReadNode(item, path));
      out.nodes.push_back(std::move(n));
    } else if (item_kind == "Pod") {
      PHALANX_ASSIGN_OR_RETURN(PodInfo p, ReadPod(item, path));
      out.pods.push_back(std::move(p));
    }
  }
  return out;
}

absl::StatusOr<PodScheduling> TemplateScheduling(const PodTemplateSpec& pod) {
  Json spec = internal::EncodePodSpecForScheduling(pod.spec);
  return ReadPodSpec(spec, "template.spec");
}

}  // namespace phalanx::api
