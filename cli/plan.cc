#include "cli/plan.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <ostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/defaulting.h"
#include "api/document.h"
#include "api/jobset_codec.h"
#include "api/scheduling.h"
#include "api/validation.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/input.h"
#include "common/json_text.h"
#include "nlohmann/json.hpp"
#include "placement/cluster.h"
#include "placement/gang.h"
#include "placement/reserve.h"
#include "scheduler-extender/to_placement.h"
#include "scheduler-extender/topology_config.h"

namespace phalanx::cli {
namespace {

struct Placed {
  std::string job, domain;
  std::vector<std::pair<std::string, std::string>> labels;  // the domain's full path, coarse → fine
};
struct Waiting {
  std::string gang, reason;
};

// The gang's name as the controller annotates it (phalanx.dev/gang).
std::string GangName(const placement::JobSetDemand& js, const placement::GangDemand& g) {
  if (g.policy == placement::GangPolicy::kJobSet) return absl::StrCat(js.namespace_name, "/", js.name);
  if (g.policy == placement::GangPolicy::kReplicatedJob) {
    return absl::StrCat(js.namespace_name, "/", js.name, "-", g.id.replicated_job);
  }
  return absl::StrCat(js.namespace_name, "/", js.name, "-", g.id.replicated_job, "-", g.id.job_index);
}

// Kueue Topology objects (any kueue.x-k8s.io version; the parser rejects the unsupported ones) of a
// v1 List, as JSON text each.
std::vector<std::string> KueueTopologies(const std::string& list_json) {
  const nlohmann::json doc = nlohmann::json::parse(list_json, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!doc.is_object()) return out;
  const auto items = doc.find("items");
  if (items == doc.end() || !items->is_array()) return out;
  for (const nlohmann::json& item : *items) {
    if (!item.is_object()) continue;
    const auto kind = item.find("kind");
    const auto api_version = item.find("apiVersion");
    if (kind == item.end() || !kind->is_string() || *kind != "Topology") continue;
    if (api_version == item.end() || !api_version->is_string() ||
        api_version->get<std::string>().rfind("kueue.x-k8s.io/", 0) != 0) {
      continue;
    }
    out.push_back(JsonText(item));
  }
  return out;
}

}  // namespace

int RunPlan(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err) {
  FlagSpec spec;
  spec.with_value = {"-f", "--filename", "--cluster", "-o", "--output", "--topology", "--topology-file"};
  spec.aliases = {{"-f", "--filename"}, {"-o", "--output"}};  // -h/--help are answered before: see Run
  auto flags = ParseFlags(args, spec);
  if (!flags.ok()) return UsageError(err, std::string(flags.status().message()));
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  if (!flags->Has("--cluster")) return UsageError(err, "--cluster FILE is required");
  if (!flags->Has("--filename")) return UsageError(err, "-f JOBSET is required (repeat for several)");
  if (flags->Has("--topology-file") && flags->values["--topology-file"].size() > 1) {
    return UsageError(err, "--topology-file may be given once");
  }
  std::string format = flags->Last("--output", "text");
  if (format != "text" && format != "json") {
    return UsageError(err, absl::StrCat("-o must be json (or omitted for text), got \"", format, "\""));
  }

  // The cluster.
  auto cluster_text = ReadInput(flags->Last("--cluster"), in);
  if (!cluster_text.ok()) return Fail(err, cluster_text.status());
  auto cluster_json = api::ParseSingleDocument(*cluster_text);
  if (!cluster_json.ok()) return Fail(err, cluster_json.status(), flags->Last("--cluster"));
  auto state = api::DecodeClusterState(*cluster_json);
  if (!state.ok()) return Fail(err, state.status(), flags->Last("--cluster"));

  // Topology chains: flags, file, then the List's Kueue Topology objects.
  extender::TopologySources topology_sources;
  if (flags->Has("--topology")) topology_sources.flags = flags->values["--topology"];
  if (flags->Has("--topology-file")) {
    topology_sources.file = flags->Last("--topology-file");
    auto text = ReadInput(topology_sources.file, in);
    if (!text.ok()) return Fail(err, text.status());
    topology_sources.file_text = std::move(*text);
  }
  topology_sources.kueue_topologies = KueueTopologies(*cluster_json);
  auto topology = extender::BuildTopology(topology_sources);
  if (!topology.ok()) return Fail(err, topology.status());

  placement::Cluster cluster(std::move(*topology));
  for (const api::NodeInfo& n : state->nodes) cluster.UpsertNode(extender::ToNode(n));
  for (const api::PodInfo& p : state->pods) {
    if (auto bound = extender::ToBoundPod(p)) cluster.UpsertPod(*bound);
  }

  // Each JobSet, in order; each sees the reservations of those before it.
  placement::Reservations reservations;
  std::vector<Placed> placed;
  std::vector<Waiting> waiting;
  for (const std::string& path : flags->values["--filename"]) {
    auto js = LoadJobSet(path, in);
    if (!js.ok()) return Fail(err, js.status());
    api::ApplySchemaDefaults(*js);
    api::DefaultJobSet(*js);
    std::vector<api::FieldError> errors = api::ValidateCreate(*js);
    for (const auto& e : errors) err << path << ": " << e.ToString() << "\n";
    if (!errors.empty()) return kExitInvalid;
    auto demand = extender::ToJobSetDemand(*js);
    if (!demand.ok()) return Fail(err, demand.status(), path);
    for (const placement::GangDemand& gang : placement::MakeGangs(*demand)) {
      placement::ReserveResult r = reservations.Reserve(cluster, gang);
      if (!r.placed()) {
        waiting.push_back({GangName(*demand, gang), r.reason});
        continue;
      }
      for (const placement::JobSlot& slot : r.reservation->jobs) {
        if (slot.domain == placement::kNoDomain) continue;  // non-exclusive: holds nothing
        placed.push_back({slot.name, cluster.DomainLabel(slot.domain), cluster.DomainLabels(slot.domain)});
      }
    }
  }

  if (format == "json") {
    nlohmann::json j = {{"reservations", nlohmann::json::array()}, {"unplaced", nlohmann::json::array()}};
    for (const Placed& p : placed) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [key, value] : p.labels) labels[key] = value;
      j["reservations"].push_back({{"job", p.job}, {"domain", p.domain}, {"labels", labels}});
    }
    for (const Waiting& w : waiting) j["unplaced"].push_back({{"gang", w.gang}, {"reason", w.reason}});
    out << JsonText(j, 2) << "\n";
  } else {
    for (const Placed& p : placed) out << p.job << "\t" << p.domain << "\n";
    for (const Waiting& w : waiting) out << w.gang << "\twaiting: " << w.reason << "\n";
  }
  return kExitOk;
}

}  // namespace phalanx::cli
