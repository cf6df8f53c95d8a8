#include "controller/exclusive_repair.h"

#include "absl/strings/str_cat.h"
#include "api/labels.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"

namespace phalanx::controller {
namespace {

using Json = nlohmann::json;

absl::Status WrongType(std::string_view path, std::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(path), ": expected ", AsAbsl(want)));
}

const Json* Member(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// A string map at obj[key]; nullopt when absent.
absl::StatusOr<std::optional<std::map<std::string, std::string>>> StringMap(const Json& obj, const char* key,
                                                                            std::string_view path) {
  const Json* m = Member(obj, key);
  if (m == nullptr) return std::optional<std::map<std::string, std::string>>();
  if (!m->is_object()) return WrongType(path, "object");
  std::map<std::string, std::string> out;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (!it.value().is_string()) return WrongType(absl::StrCat(AsAbsl(path), ".", it.key()), "string");
    out[it.key()] = it.value().get<std::string>();
  }
  return std::optional<std::map<std::string, std::string>>(std::move(out));
}

absl::StatusOr<std::string> String(const Json& obj, const char* key, std::string_view path) {
  const Json* v = Member(obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return WrongType(path, "string");
  return v->get<std::string>();
}

}  // namespace

absl::StatusOr<RepairPod> ReadRepairPod(std::string_view pod_json) {
  Json doc = Json::parse(pod_json.begin(), pod_json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return absl::InvalidArgumentError("pod: malformed JSON");
  RepairPod p;
  const Json empty = Json::object();
  const Json* meta = Member(doc, "metadata");
  if (meta != nullptr && !meta->is_object()) return WrongType("metadata", "object");
  if (meta == nullptr) meta = &empty;
  const Json* spec = Member(doc, "spec");
  if (spec != nullptr && !spec->is_object()) return WrongType("spec", "object");
  if (spec == nullptr) spec = &empty;
  const Json* status = Member(doc, "status");
  if (status != nullptr && !status->is_object()) return WrongType("status", "object");

  auto name = String(*meta, "name", "metadata.name");
  if (!name.ok()) return name.status();
  p.name = *name;
  auto ns = String(*meta, "namespace", "metadata.namespace");
  if (!ns.ok()) return ns.status();
  p.ns = *ns;
  auto uid = String(*meta, "uid", "metadata.uid");
  if (!uid.ok()) return uid.status();
  p.uid = *uid;
  p.deleting = Member(*meta, "deletionTimestamp") != nullptr;
  auto labels = StringMap(*meta, "labels", "metadata.labels");
  if (!labels.ok()) return labels.status();
  if (*labels) {
    auto it = (*labels)->find(std::string(api::kJobKey));
    if (it != (*labels)->end()) p.job_key = it->second;
  }
  auto annotations = StringMap(*meta, "annotations", "metadata.annotations");
  if (!annotations.ok()) return annotations.status();
  if (*annotations) {
    auto it = (*annotations)->find(std::string(api::kExclusiveKey));
    if (it != (*annotations)->end()) p.exclusive_key = it->second;
    it = (*annotations)->find(std::string(api::kJobCompletionIndexKey));
    if (it != (*annotations)->end()) p.completion_index = it->second;
  }
  if (const Json* owners = Member(*meta, "ownerReferences")) {
    if (!owners->is_array()) return WrongType("metadata.ownerReferences", "array");
    for (const Json& ref : *owners) {
      if (!ref.is_object()) return WrongType("metadata.ownerReferences[]", "object");
      const Json* controller = Member(ref, "controller");
      if (controller == nullptr || !controller->is_boolean() || !controller->get<bool>()) continue;
      auto owner = String(ref, "uid", "metadata.ownerReferences[].uid");
      if (!owner.ok()) return owner.status();
      p.owner_uid = *owner;
    }
  }
  auto node = String(*spec, "nodeName", "spec.nodeName");
  if (!node.ok()) return node.status();
  p.node_name = *node;
  auto selector = StringMap(*spec, "nodeSelector", "spec.nodeSelector");
  if (!selector.ok()) return selector.status();
  p.node_selector = *std::move(selector);
  if (status != nullptr) {
    if (const Json* conditions = Member(*status, "conditions")) {
      if (!conditions->is_array()) return WrongType("status.conditions", "array");
      for (const Json& c : *conditions) {
        if (!c.is_object()) continue;
        const Json* type = Member(c, "type");
        const Json* st = Member(c, "status");
        if (type != nullptr && st != nullptr && type->is_string() && st->is_string() &&
            type->get<std::string>() == kDisruptionTarget && st->get<std::string>() == "True") {
          p.has_disruption_target = true;
        }
      }
    }
  }
  return p;
}

bool IsRepairLeader(const RepairPod& pod) {
  return pod.completion_index == "0" && pod.exclusive_key.has_value() && !pod.node_name.empty() && !pod.deleting;
}

RepairDecision DecideRepair(const RepairPod& leader, const std::vector<RepairPod>& job_pods,
                            const std::optional<std::map<std::string, std::string>>& leader_node_labels) {
  RepairDecision d;
  if (!IsRepairLeader(leader) || leader.job_key.empty() || leader.owner_uid.empty()) return d;
  const std::string& key = *leader.exclusive_key;
  std::optional<std::string> topology;  // nullopt: unknown (node missing)
  if (leader_node_labels) {
    auto it = leader_node_labels->find(key);
    if (it == leader_node_labels->end()) {
      d.retry = absl::StrCat("node does not have topology label: ", key);
      return d;
    }
    topology = it->second;
  }
  std::vector<RepairPod> followers;
  bool violated = false;
  for (const RepairPod& p : job_pods) {
    if (p.owner_uid != leader.owner_uid || p.job_key != leader.job_key) continue;
    if (p.name == leader.name && p.ns == leader.ns) continue;
    if (p.completion_index == "0") continue;  // another leader (a retried one) is not a follower
    followers.push_back(p);
    const std::string* value = nullptr;
    if (p.node_selector) {
      auto it = p.node_selector->find(key);
      if (it != p.node_selector->end()) value = &it->second;
    }
    if (value == nullptr || !topology || *value != *topology) violated = true;
  }
  if (!violated) return d;
  if (!topology) {
    d.retry = absl::StrCat("leader pod ", leader.name, " topology unknown: node ", leader.node_name, " not found");
    return d;
  }
  for (RepairPod& f : followers) {
    if (!f.deleting) d.delete_followers.push_back(std::move(f));
  }
  return d;
}

std::string DisruptionTargetPatch(absl::Time now) {
  Json condition = {{"type", std::string(kDisruptionTarget)},
                    {"status", "True"},
                    {"reason", std::string(kExclusivePlacementViolation)},
                    {"message", std::string(kExclusivePlacementViolationMessage)},
                    {"lastTransitionTime", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone())}};
  return Json{{"status", {{"conditions", Json::array({condition})}}}}.dump();
}

}  // namespace phalanx::controller
