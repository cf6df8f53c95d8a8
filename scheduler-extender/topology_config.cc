#include "scheduler-extender/topology_config.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/names.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace phalanx::extender {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kHostname = "kubernetes.io/hostname";
// Kueue's limit for Topology levels, and ours for every chain (it keeps the checks cheap on hostile input).
constexpr size_t kMaxKueueLevels = 16;
constexpr size_t kMaxChainKeys = kMaxKueueLevels;
// A topology file holds a few chains of label keys; anything this large is not one.
constexpr size_t kMaxTopologyFileBytes = 1 << 20;

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// Why `key` is not a Kubernetes label key ([DNS-1123 subdomain "/"] name), or "" if it is one.
std::string LabelKeyProblem(std::string_view key_view) {
  const absl::string_view key = AsAbsl(key_view);
  if (key.empty()) return "empty key";
  absl::string_view name = key;
  if (const size_t slash = key.find('/'); slash != absl::string_view::npos) {
    const absl::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) return absl::StrCat("key \"", key, "\" has an empty prefix");
    const std::vector<std::string> errs = api::IsDns1123Subdomain(std::string_view(prefix.data(), prefix.size()));
    if (!errs.empty()) {
      return absl::StrCat("key \"", key, "\": prefix ", absl::StrJoin(errs, "; "));
    }
  }
  if (name.empty()) return absl::StrCat("key \"", key, "\" has an empty name");
  if (name.size() > 63) return absl::StrCat("key \"", key, "\": name must be no more than 63 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAlnum(c) || ((c == '-' || c == '_' || c == '.') && i > 0 && i + 1 < name.size());
    if (!ok) {
      return absl::StrCat("key \"", key,
                          "\": name must consist of alphanumerics, '-', '_' or '.', and start and end "
                          "with an alphanumeric");
    }
  }
  return "";
}

// Why `chain` is not a chain, or "".
std::string ChainProblem(const TopologyChain& chain) {
  if (chain.empty()) return "empty chain";
  if (chain.size() > kMaxChainKeys) {
    return absl::StrCat("a chain has at most ", kMaxChainKeys, " keys, this one has ", chain.size());
  }
  for (size_t i = 0; i < chain.size(); ++i) {
    if (std::string p = LabelKeyProblem(chain[i]); !p.empty()) return p;
    for (size_t j = 0; j < i; ++j) {
      if (chain[j] == chain[i]) return absl::StrCat("key \"", chain[i], "\" appears twice");
    }
  }
  return "";
}

std::string Describe(const TopologyChain& keys) {
  return keys.empty() ? "none" : absl::StrCat("[", absl::StrJoin(keys, ", "), "]");
}

absl::Status SourceError(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(source), ": ", AsAbsl(what)));
}

// A YAML node's scalar text, or nullopt when it is not a scalar.
std::optional<std::string> Scalar(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  return n.as<std::string>();
}

}  // namespace

absl::StatusOr<TopologyChain> ParseTopologyFlag(std::string_view value) {
  const std::string source = absl::StrCat("--topology=\"", AsAbsl(value), "\"");
  if (absl::StripAsciiWhitespace(AsAbsl(value)).empty()) return SourceError(source, "no keys (want KEY1,KEY2,...)");
  TopologyChain chain;
  for (absl::string_view part : absl::StrSplit(AsAbsl(value), ',')) {
    absl::string_view key = absl::StripAsciiWhitespace(part);
    if (key.empty()) {
      return SourceError(source, absl::StrCat("empty key at position ", chain.size() + 1));
    }
    chain.emplace_back(key);
  }
  if (std::string p = ChainProblem(chain); !p.empty()) return SourceError(source, p);
  return chain;
}

absl::StatusOr<std::vector<TopologyChain>> ParseTopologyFile(std::string_view text,
                                                             std::string_view source) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return SourceError(source, absl::StrCat("not YAML or JSON: line ", e.mark.line + 1, ": ", e.msg));
  }
  if (!doc.IsMap()) {
    return SourceError(source, "expected a mapping with a \"chains\" list, e.g. chains: [[block, rack]]");
  }
  for (const auto& field : doc) {
    const std::optional<std::string> name = Scalar(field.first);
    if (!name.has_value() || *name != "chains") {
      return SourceError(source, absl::StrCat("unknown field \"", name.value_or("?"),
                                              "\" (the only field is \"chains\")"));
    }
  }
  const YAML::Node chains = doc["chains"];
  if (!chains.IsSequence()) {
    return SourceError(source, "chains: expected a list of chains, each a list of label keys");
  }
  std::vector<TopologyChain> out;
  for (size_t i = 0; i < chains.size(); ++i) {
    const YAML::Node c = chains[i];
    const std::string where = absl::StrCat("chains[", i, "]");
    if (!c.IsSequence()) {
      return SourceError(source, absl::StrCat(where, ": expected a list of label keys, coarse → fine"));
    }
    TopologyChain chain;
    for (size_t k = 0; k < c.size(); ++k) {
      const std::optional<std::string> key = Scalar(c[k]);
      if (!key.has_value()) {
        return SourceError(source, absl::StrCat(where, "[", k, "]: expected a label key"));
      }
      chain.push_back(*key);
    }
    if (std::string p = ChainProblem(chain); !p.empty()) {
      return SourceError(source, absl::StrCat(where, ": ", p));
    }
    out.push_back(std::move(chain));
  }
  return out;
}

absl::StatusOr<KueueTopology> ParseKueueTopology(std::string_view json) {
  const Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("Kueue Topology: not JSON");
  if (!doc.is_object()) return absl::InvalidArgumentError("Kueue Topology: not a JSON object");
  KueueTopology out;
  const auto meta = doc.find("metadata");
  if (meta != doc.end() && meta->is_object()) {
    const auto name = meta->find("name");
    if (name != meta->end() && name->is_string()) out.name = name->get<std::string>();
  }
  const std::string source = out.name.empty() ? std::string("Kueue Topology (no metadata.name)")
                                              : absl::StrCat("Kueue Topology \"", out.name, "\"");
  const auto str = [&](const char* field) -> std::string {
    const auto it = doc.find(field);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };
  const std::string api_version = str("apiVersion");
  if (api_version != "kueue.x-k8s.io/v1beta2" && api_version != "kueue.x-k8s.io/v1beta1") {
    return SourceError(source, absl::StrCat("apiVersion \"", api_version,
                                            "\" is not kueue.x-k8s.io/v1beta2 or v1beta1"));
  }
  if (str("kind") != "Topology") {
    return SourceError(source, absl::StrCat("kind \"", str("kind"), "\" is not Topology"));
  }
  if (out.name.empty()) return SourceError(source, "metadata.name is required");
  const auto spec = doc.find("spec");
  if (spec == doc.end() || !spec->is_object()) return SourceError(source, "spec: expected an object");
  const auto levels = spec->find("levels");
  if (levels == spec->end() || !levels->is_array()) {
    return SourceError(source, "spec.levels: expected a list");
  }
  if (levels->empty() || levels->size() > kMaxKueueLevels) {
    return SourceError(source, absl::StrCat("spec.levels: must have 1 to ", kMaxKueueLevels,
                                            " levels, has ", levels->size()));
  }
  for (size_t i = 0; i < levels->size(); ++i) {
    const Json& level = (*levels)[i];
    const std::string where = absl::StrCat("spec.levels[", i, "].nodeLabel");
    const auto label = level.is_object() ? level.find("nodeLabel") : level.end();
    if (!level.is_object() || label == level.end() || !label->is_string()) {
      return SourceError(source, absl::StrCat(where, ": expected a string"));
    }
    out.levels.push_back(label->get<std::string>());
    if (out.levels.back() == kHostname && i + 1 != levels->size()) {
      return SourceError(source, absl::StrCat(where, ": ", AsAbsl(kHostname), " may only be the last level"));
    }
  }
  if (std::string p = ChainProblem(out.levels); !p.empty()) {
    return SourceError(source, absl::StrCat("spec.levels: ", p));
  }
  return out;
}

absl::StatusOr<placement::TopologyConfig> MergeTopology(const std::vector<TopologySource>& sources,
                                                        std::vector<absl::Status>* skipped) {
  // key → (its coarser keys, the source that said so)
  std::map<std::string, std::pair<TopologyChain, std::string>> coarser;
  std::vector<TopologyChain> accepted;
  for (const TopologySource& source : sources) {
    std::map<std::string, std::pair<TopologyChain, std::string>> added;
    absl::Status problem;
    for (size_t c = 0; c < source.chains.size() && problem.ok(); ++c) {
      const TopologyChain& chain = source.chains[c];
      if (std::string p = ChainProblem(chain); !p.empty()) {
        problem = SourceError(source.name, p);
        break;
      }
      if (chain.size() < 2) continue;  // a key alone is a level of its own anyway
      for (size_t i = 0; i < chain.size(); ++i) {
        const TopologyChain prefix(chain.begin(), chain.begin() + static_cast<long>(i));
        const std::pair<TopologyChain, std::string>* known = nullptr;
        if (auto it = coarser.find(chain[i]); it != coarser.end()) known = &it->second;
        if (auto it = added.find(chain[i]); it != added.end()) known = &it->second;
        if (known == nullptr) {
          added.emplace(chain[i], std::make_pair(prefix, source.name));
        } else if (known->first != prefix) {
          problem = absl::InvalidArgumentError(absl::StrCat(
              "topology chains conflict: key ", chain[i], " has coarser keys ", Describe(known->first),
              " in ", known->second, " but ", Describe(prefix), " in ", source.name));
          break;
        }
      }
    }
    if (!problem.ok()) {
      if (skipped == nullptr) return problem;
      skipped->push_back(std::move(problem));
      continue;
    }
    coarser.merge(added);
    for (const TopologyChain& chain : source.chains) {
      if (chain.size() >= 2) accepted.push_back(chain);
    }
  }
  // Drop duplicates and chains that are a prefix of another; sort.
  std::sort(accepted.begin(), accepted.end());
  accepted.erase(std::unique(accepted.begin(), accepted.end()), accepted.end());
  placement::TopologyConfig out;
  for (size_t i = 0; i < accepted.size(); ++i) {
    const TopologyChain& a = accepted[i];
    // Sorted order puts a chain right before the chains it is a prefix of.
    const bool is_prefix = i + 1 < accepted.size() && accepted[i + 1].size() > a.size() &&
                           std::equal(a.begin(), a.end(), accepted[i + 1].begin());
    if (!is_prefix) out.chains.push_back(a);
  }
  return out;
}

absl::StatusOr<placement::TopologyConfig> BuildTopology(const TopologySources& sources) {
  std::vector<TopologySource> all;
  for (const std::string& flag : sources.flags) {
    PHALANX_ASSIGN_OR_RETURN(TopologyChain chain, ParseTopologyFlag(flag));
    all.push_back({absl::StrCat("--topology=", flag), {std::move(chain)}});
  }
  if (sources.file_text.has_value() || !sources.file.empty()) {
    const std::string name = sources.file.empty() ? std::string("topology file") : sources.file;
    std::string text;
    if (sources.file_text.has_value()) {
      text = *sources.file_text;
    } else {
      // "cannot open FILE: <reason>" (no such file, permission denied, a directory...).
      PHALANX_ASSIGN_OR_RETURN(text, ReadFile(sources.file, kMaxTopologyFileBytes));
    }
    PHALANX_ASSIGN_OR_RETURN(std::vector<TopologyChain> chains, ParseTopologyFile(text, name));
    all.push_back({name, std::move(chains)});
  }
  std::vector<KueueTopology> kueue;
  for (const std::string& json : sources.kueue_topologies) {
    PHALANX_ASSIGN_OR_RETURN(KueueTopology t, ParseKueueTopology(json));
    kueue.push_back(std::move(t));
  }
  // By name, so errors do not depend on the order the API listed them in.
  std::sort(kueue.begin(), kueue.end(),
            [](const KueueTopology& a, const KueueTopology& b) { return a.name < b.name; });
  for (KueueTopology& t : kueue) {
    all.push_back({absl::StrCat("Kueue Topology \"", t.name, "\""), {std::move(t.levels)}});
  }
  return MergeTopology(all);
}

}  // namespace phalanx::extender
