#include "api/expand.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/internal/json.h"
#include "api/job_key.h"
#include "api/labels.h"
#include "api/names.h"

namespace phalanx::api {
namespace {

// A key from the replicated job's Job-template annotations, else the JobSet's annotations.
std::optional<std::string> LayeredAnnotation(const JobSet& js, const ReplicatedJob& rj,
                                             std::string_view key) {
  if (auto v = rj.template_.metadata.Annotation(key)) return v;
  return js.metadata.Annotation(key);
}

bool DnsHostnamesEnabled(const JobSet& js) {
  return js.spec.network && js.spec.network->enable_dns_hostnames.value_or(false);
}

struct IndexInfo {
  int32_t global_replicas = 0;
  int32_t global_offset = 0;  // Σ replicas before this replicated job
  int32_t group_replicas = 0;
  int32_t group_offset = 0;  // Σ replicas of earlier replicated jobs in the same group
};

IndexInfo Indexes(const JobSet& js, size_t rjob_index) {
  IndexInfo info;
  const auto& rjobs = js.spec.rjobs();
  const std::string group = rjobs[rjob_index].group_name_or_default();
  for (size_t i = 0; i < rjobs.size(); ++i) {
    int32_t r = rjobs[i].replicas_or_default();
    info.global_replicas += r;
    if (i < rjob_index) info.global_offset += r;
    if (rjobs[i].group_name_or_default() == group) {
      info.group_replicas += r;
      if (i < rjob_index) info.group_offset += r;
    }
  }
  return info;
}

// Adds `key: value` to both maps (created when absent); JobSet keys win over template values.
void Stamp(ObjectMeta& meta, std::string_view key, const std::string& value, bool as_label) {
  if (as_label) {
    if (!meta.labels) meta.labels.emplace();
    (*meta.labels)[std::string(key)] = value;
  }
  if (!meta.annotations) meta.annotations.emplace();
  (*meta.annotations)[std::string(key)] = value;
}

// Volume names mounted by containers or init containers of a pod spec.
std::set<std::string> MountedVolumes(const internal::Json& pod) {
  std::set<std::string> names;
  for (const char* key : {"containers", "initContainers"}) {
    auto it = pod.find(key);
    if (it == pod.end() || !it->is_array()) continue;
    for (const auto& c : *it) {
      auto vm = c.find("volumeMounts");
      if (vm == c.end() || !vm->is_array()) continue;
      for (const auto& m : *vm) {
        auto n = m.find("name");
        if (n != m.end() && n->is_string()) names.insert(n->get<std::string>());
      }
    }
  }
  return names;
}

void AddClaimVolumes(const JobSet& js, PodSpec& pod) {
  if (!js.spec.volume_claim_policies) return;
  internal::Json spec = internal::AsJson(pod.extra);
  std::set<std::string> mounted = MountedVolumes(spec);
  bool changed = false;
  for (const auto& policy : *js.spec.volume_claim_policies) {
    if (!policy.templates) continue;
    for (const auto& t : *policy.templates) {
      const internal::Json& pvc = internal::AsJson(t);
      auto meta = pvc.find("metadata");
      if (meta == pvc.end() || !meta->is_object() || !meta->contains("name")) continue;
      if (!(*meta)["name"].is_string()) continue;
      std::string name = (*meta)["name"].get<std::string>();
      if (!mounted.count(name)) continue;
      if (!spec.contains("volumes") || !spec["volumes"].is_array()) {
        spec["volumes"] = internal::Json::array();
      }
      spec["volumes"].push_back(
          {{"name", name},
           {"persistentVolumeClaim",
            {{"claimName", absl::StrCat(name, "-", js.metadata.name_or_empty())}}}});
      changed = true;
    }
  }
  if (changed) pod.extra = internal::MakeRaw(std::move(spec));
}

OwnerReference ControllerRef(const JobSet& js) {
  return OwnerReference{.api_version = std::string(kJobSetApiVersion),
                        .kind = std::string(kJobSetKind),
                        .name = js.metadata.name_or_empty(),
                        .uid = js.metadata.uid.value_or(""),
                        .controller = true,
                        .block_owner_deletion = true};
}

}  // namespace

std::string Subdomain(const JobSet& js) {
  if (js.spec.network && js.spec.network->subdomain && !js.spec.network->subdomain->empty()) {
    return *js.spec.network->subdomain;
  }
  return js.metadata.name_or_empty();
}

std::optional<std::string> ExclusiveTopology(const JobSet& js, const ReplicatedJob& rj) {
  return LayeredAnnotation(js, rj, kExclusiveKey);
}

// The node-selector strategy flag counts only together with exclusive-topology at the same level
// (reference §2.2): from the ReplicatedJob template when the exclusive topology comes from there, else
// from the JobSet when it carries the exclusive topology; never on its own.
std::optional<std::string> NodeSelectorStrategy(const JobSet& js, const ReplicatedJob& rj) {
  if (rj.template_.metadata.Annotation(kExclusiveKey)) return rj.template_.metadata.Annotation(kNodeSelectorStrategyKey);
  if (js.metadata.Annotation(kExclusiveKey)) return js.metadata.Annotation(kNodeSelectorStrategyKey);
  return std::nullopt;
}

std::string GangPolicy(const JobSet& js, const ReplicatedJob& rj) {
  if (auto p = LayeredAnnotation(js, rj, kGangPolicyKey)) return *p;
  if (ExclusiveTopology(js, rj)) return "Job";
  return "";
}

Job ExpandJob(const JobSet& js, size_t rjob_index, int32_t job_index, int32_t restarts) {
  const ReplicatedJob& rj = js.spec.rjobs()[rjob_index];
  const std::string js_name = js.metadata.name_or_empty();
  const std::string ns = js.metadata.namespace_or_default();
  const std::string job_name = ChildJobName(js_name, rj.name, job_index);
  const IndexInfo idx = Indexes(js, rjob_index);

  Job job;
  job.metadata.name = job_name;
  job.metadata.namespace_ = ns;
  job.metadata.labels = rj.template_.metadata.labels;
  job.metadata.annotations = rj.template_.metadata.annotations;
  job.metadata.owner_references = std::vector<OwnerReference>{ControllerRef(js)};
  job.spec = rj.template_.spec;
  PodTemplateSpec& pod = job.spec.template_;

  std::vector<std::pair<std::string_view, std::string>> keys = {
      {kJobSetNameKey, js_name},
      {kJobSetUidKey, js.metadata.uid.value_or("")},
      {kReplicatedJobNameKey, rj.name},
      {kReplicatedJobReplicasKey, absl::StrCat(rj.replicas_or_default())},
      {kGlobalReplicasKey, absl::StrCat(idx.global_replicas)},
      {kJobIndexKey, absl::StrCat(job_index)},
      {kJobGlobalIndexKey, absl::StrCat(idx.global_offset + job_index)},
      {kGroupNameKey, rj.group_name_or_default()},
      {kGroupReplicasKey, absl::StrCat(idx.group_replicas)},
      {kJobGroupIndexKey, absl::StrCat(idx.group_offset + job_index)},
      {kJobKey, JobKey(ns, job_name)},
      {kRestartsKey, absl::StrCat(restarts)},
  };
  if (js.spec.coordinator) {
    const Coordinator& c = *js.spec.coordinator;
    keys.emplace_back(kCoordinatorKey,
                      absl::StrCat(ChildPodName(js_name, c.replicated_job,
                                                absl::StrCat(c.job_index.value_or(0)),
                                                absl::StrCat(c.pod_index.value_or(0))),
                                   ".", Subdomain(js)));
  }
  for (const auto& [key, value] : keys) {
    Stamp(job.metadata, key, value, /*as_label=*/true);
    Stamp(pod.metadata, key, value, /*as_label=*/true);
  }

  // Annotation-only keys, layered JobSet → replicated job.
  std::vector<std::pair<std::string_view, std::string>> notes;
  std::optional<std::string> exclusive = ExclusiveTopology(js, rj);
  if (exclusive) notes.emplace_back(kExclusiveKey, *exclusive);
  std::optional<std::string> ns_strategy = NodeSelectorStrategy(js, rj);
  if (ns_strategy) notes.emplace_back(kNodeSelectorStrategyKey, *ns_strategy);
  std::string gang_policy = GangPolicy(js, rj);
  if (!gang_policy.empty()) {
    std::string gang;
    int32_t size = 1;
    if (gang_policy == "JobSet") {
      gang = absl::StrCat(ns, "/", js_name);
      size = idx.global_replicas;
    } else if (gang_policy == "ReplicatedJob") {
      gang = absl::StrCat(ns, "/", js_name, "-", rj.name);
      size = rj.replicas_or_default();
    } else {
      gang = absl::StrCat(ns, "/", job_name);
    }
    notes.emplace_back(kGangPolicyKey, gang_policy);
    notes.emplace_back(kGangNameKey, gang);
    notes.emplace_back(kGangSizeKey, absl::StrCat(size));
    if (auto colocate = LayeredAnnotation(js, rj, kColocateKey)) {
      notes.emplace_back(kColocateKey, *colocate);
    }
  }
  for (const auto& [key, value] : notes) {
    Stamp(job.metadata, key, value, /*as_label=*/false);
    Stamp(pod.metadata, key, value, /*as_label=*/false);
  }

  if (DnsHostnamesEnabled(js)) pod.spec.subdomain = Subdomain(js);
  job.spec.suspend = js.spec.suspend.value_or(false);

  if (exclusive && ns_strategy) {
    if (!pod.spec.node_selector) pod.spec.node_selector.emplace();
    (*pod.spec.node_selector)[std::string(kNamespacedJobKey)] = absl::StrCat(ns, "_", job_name);
    if (!pod.spec.tolerations) pod.spec.tolerations.emplace();
    pod.spec.tolerations->push_back(internal::MakeRaw(
        {{"key", kNoScheduleTaintKey}, {"operator", "Exists"}, {"effect", "NoSchedule"}}));
  }
  AddClaimVolumes(js, pod.spec);
  return job;
}

std::optional<Service> ExpandService(const JobSet& js) {
  if (!DnsHostnamesEnabled(js)) return std::nullopt;
  Service svc;
  svc.metadata.name = Subdomain(js);
  svc.metadata.namespace_ = js.metadata.namespace_or_default();
  svc.metadata.owner_references = std::vector<OwnerReference>{ControllerRef(js)};
  svc.cluster_ip = "None";
  svc.selector = StringMap{{std::string(kJobSetNameKey), js.metadata.name_or_empty()}};
  svc.publish_not_ready_addresses = js.spec.network->publish_not_ready_addresses.value_or(true);
  return svc;
}

absl::StatusOr<Expansion> Expand(const JobSet& js, int32_t restarts) {
  if (!js.metadata.name || js.metadata.name->empty()) {
    return absl::InvalidArgumentError(
        "the JobSet has no metadata.name; child names cannot be derived from generateName");
  }
  Expansion out;
  const auto& rjobs = js.spec.rjobs();
  for (size_t i = 0; i < rjobs.size(); ++i) {
    for (int32_t j = 0; j < rjobs[i].replicas_or_default(); ++j) {
      out.jobs.push_back(ExpandJob(js, i, j, restarts));
    }
  }
  out.service = ExpandService(js);
  return out;
}

}  // namespace phalanx::api
