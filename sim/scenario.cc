#include "sim/scenario.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

#include "api/defaulting.h"
#include "api/document.h"
#include "api/jobset_codec.h"
#include "api/quantity.h"
#include "api/validation.h"
#include "common/json_text.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

constexpr char kSimApiVersion[] = "sim.phalanx.dev/v1alpha1";
constexpr char kJobSetApiVersion[] = "jobset.x-k8s.io/v1alpha2";
constexpr int64_t kMaxNodes = 200'000;
constexpr size_t kMaxPoolNameLength = 40;  // leaves room for "-<i>-<j>-<k>-<n>" within 63

// Where a value came from, for error lines: "<file>: document <n>[, items[<i>]]: <field>: <what>".
struct Where {
  const std::string* path;
  int doc = 0;    // 1-based
  int item = -1;  // index in a v1 List, or -1
  std::string Prefix() const {
    if (item < 0) return absl::StrCat(*path, ": document ", doc);
    return absl::StrCat(*path, ": document ", doc, ", items[", item, "]");
  }
  absl::Status Error(std::string_view field, std::string_view what) const {
    if (field.empty())
      return absl::InvalidArgumentError(absl::StrCat(Prefix(), ": ", AsAbsl(what)));
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(), ": ", AsAbsl(field), ": ", AsAbsl(what)));
  }
};

// The file's name without directories and without a .yaml/.yml/.json extension.
std::string BaseName(const std::string& path) {
  std::string base =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  for (const char* ext : {".yaml", ".yml", ".json"}) {
    const size_t n = std::char_traits<char>::length(ext);
    if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) {
      base.resize(base.size() - n);
      break;
    }
  }
  return base.empty() ? path : base;
}

std::string Quote(std::string_view s) { return JsonText(json(std::string(s))); }

// A JSON string literal's body for text that is known to be plain (names, label values,
// quantities); escapes anyway so that nothing can break the document.
void AppendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
}

const json* Find(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string StringOr(const json& obj, const char* key, std::string fallback = "") {
  const json* v = Find(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : fallback;
}

// A duration field or annotation: a Go-style string ("90s", "1h30m"), or the number 0.
absl::StatusOr<absl::Duration> ReadDuration(const Where& where, const std::string& field,
                                            const json& v, bool positive) {
  absl::Duration d;
  if (v.is_number_integer() && v.get<int64_t>() == 0) {
    d = absl::ZeroDuration();
  } else if (!v.is_string()) {
    return where.Error(field, "must be a duration string such as \"90s\", \"5m\" or \"1h30m\"");
  } else {
    const std::string s = v.get<std::string>();
    if (!absl::ParseDuration(s, &d) || d == absl::InfiniteDuration() ||
        d == -absl::InfiniteDuration()) {
      return where.Error(
          field,
          absl::StrCat(Quote(s), " is not a duration (use e.g. \"90s\", \"5m\", \"1h30m\")"));
    }
  }
  if (d < absl::ZeroDuration()) return where.Error(field, "must not be negative");
  if (positive && d == absl::ZeroDuration()) return where.Error(field, "must be longer than 0s");
  return d;
}

// An integer field within [lo, hi].
absl::StatusOr<int64_t> ReadInt(const Where& where, const std::string& field, const json& v,
                                int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return where.Error(field, "must be an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return where.Error(field, absl::StrCat("must be at most ", hi));
  }
  const int64_t n = v.get<int64_t>();
  if (n < lo) {
    return where.Error(
        field, lo == 1 ? std::string("must be positive") : absl::StrCat("must be at least ", lo));
  }
  if (n > hi) return where.Error(field, absl::StrCat("must be at most ", hi));
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Cluster

struct NodeOut {
  std::string name;
  std::string json;
  int origin = 0;  // index into the origins list, for the duplicate-name error
};

// 64-bit FNV-1a: a stable, platform-independent hash for the generated identifiers.
uint64_t Fnv(std::string_view s, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// What every node of a pool has in common: its resources and the labels shared by all nodes.
struct PoolTemplate {
  std::string arch = "amd64";
  std::string instance_type;  // "" = no instance-type label
  std::string cpu, memory;
  std::string accelerator;  // resource name, "" for CPU pools
  int64_t accelerators = 0;
  std::string status_json;                                  // ,"status":{...}
  std::vector<std::pair<std::string, std::string>> labels;  // shared labels

  void Finish() {
    std::map<std::string, std::string> resources = {
        {"cpu", cpu}, {"memory", memory}, {"pods", "110"}};
    if (!accelerator.empty()) resources[accelerator] = absl::StrCat(accelerators);
    std::string list;
    for (const auto& [k, v] : resources) {
      if (!list.empty()) list.push_back(',');
      list.push_back('"');
      AppendEscaped(list, k);
      list += "\":\"";
      AppendEscaped(list, v);
      list.push_back('"');
    }
    status_json =
        absl::StrCat(",\"status\":{\"capacity\":{", list, "},\"allocatable\":{", list,
                     "},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
                     "\"KubeletReady\",\"message\":\"simulated node\"}]}");
    labels.emplace_back("kubernetes.io/arch", arch);
    labels.emplace_back("kubernetes.io/os", "linux");
    if (!instance_type.empty())
      labels.emplace_back("node.kubernetes.io/instance-type", instance_type);
  }
};

class NodeWriter {
 public:
  NodeWriter(std::vector<NodeOut>& out, int origin) : out_(out), origin_(origin) {}

  // One node named `name` with the pool's labels, `extra` labels and kubernetes.io/hostname. Every
  // call for one writer passes the same extra keys in the same order (one pool's nodes differ in
  // label values only), so the sorted label layout is worked out once.
  void Add(const PoolTemplate& pool, std::string name,
           std::initializer_list<std::pair<std::string_view, std::string_view>> extra) {
    if (layout_.empty()) Layout(pool, extra);
    std::string j;
    j.reserve(last_size_ + 16);
    j += R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")";
    AppendEscaped(j, name);
    j += R"(","labels":{)";
    for (const Slot& slot : layout_) {
      j += slot.prefix;
      if (slot.source == kHostname) {
        AppendEscaped(j, name);
      } else if (slot.source == kFixed) {
        j += slot.value;
      } else {
        AppendEscaped(j, (extra.begin() + slot.source)->second);
      }
      j.push_back('"');
    }
    j += "}},\"spec\":{}";
    j += pool.status_json;
    j.push_back('}');
    last_size_ = j.size();
    out_.push_back(NodeOut{std::move(name), std::move(j), origin_});
  }

 private:
  static constexpr int kFixed = -1;
  static constexpr int kHostname = -2;
  struct Slot {
    std::string key;
    int source = kFixed;  // kFixed, kHostname, or the index in `extra`
    std::string value;    // kFixed: the escaped value
    std::string prefix;   // [,]"<key>":"
  };

  void Layout(const PoolTemplate& pool,
              std::initializer_list<std::pair<std::string_view, std::string_view>> extra) {
    for (const auto& [key, value] : pool.labels) {
      Slot s{key, kFixed, "", ""};
      AppendEscaped(s.value, value);
      layout_.push_back(std::move(s));
    }
    layout_.push_back(Slot{"kubernetes.io/hostname", kHostname, "", ""});
    int i = 0;
    for (const auto& [key, value] : extra) layout_.push_back(Slot{std::string(key), i++, "", ""});
    std::sort(layout_.begin(), layout_.end(),
              [](const Slot& a, const Slot& b) { return a.key < b.key; });
    for (size_t k = 0; k < layout_.size(); ++k) {
      layout_[k].prefix = k > 0 ? ",\"" : "\"";
      AppendEscaped(layout_[k].prefix, layout_[k].key);
      layout_[k].prefix += "\":\"";
    }
  }

  std::vector<NodeOut>& out_;
  int origin_;
  std::vector<Slot> layout_;
  size_t last_size_ = 512;
};

struct TpuShape {
  const char* shape;
  int dims;  // topology dimensions: 3 for v5p, 2 for v5e and v6e
  const char* instance_type;
  const char* cpu;
  const char* memory;
};
constexpr TpuShape kTpuShapes[] = {
    {"tpu-v5p-slice", 3, "ct5p-hightpu-4t", "208", "448Gi"},
    {"tpu-v6e-slice", 2, "ct6e-standard-4t", "180", "720Gi"},
    {"tpu-v5-lite-podslice", 2, "ct5lp-hightpu-4t", "112", "192Gi"},
};

const std::vector<std::string>& ShapeNames() {
  static const std::vector<std::string> names = {"tpu-v5p-slice",
                                                 "tpu-v6e-slice",
                                                 "tpu-v5-lite-podslice",
                                                 "gb200-nvl72",
                                                 "gke-gpu-block",
                                                 "aws-gpu",
                                                 "cpu"};
  return names;
}

// Fields each shape accepts beyond name, shape, cpu and memory.
std::set<std::string> ShapeFields(const std::string& shape) {
  if (shape.rfind("tpu-", 0) == 0) return {"topology", "count", "chipsPerNode"};
  if (shape == "gb200-nvl72") return {"count", "gpusPerNode"};
  if (shape == "gke-gpu-block") return {"blocks", "subblocks", "hosts", "gpusPerNode"};
  if (shape == "aws-gpu") return {"layer1", "layer2", "layer3", "nodes", "gpusPerNode"};
  return {"count"};
}

// "2x2x4" → {2, 2, 4}.
absl::StatusOr<std::vector<int64_t>> ParseTopology(const Where& where, const std::string& field,
                                                   const std::string& text, int dims) {
  std::vector<int64_t> out;
  const std::string example = dims == 3 ? "2x2x4" : "4x4";
  for (absl::string_view part : absl::StrSplit(text, 'x')) {
    int64_t n = 0;
    const bool digits =
        !part.empty() && part.size() <= 4 &&
        std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !absl::SimpleAtoi(part, &n) || n <= 0) {
      return where.Error(field,
                         absl::StrCat(Quote(text), " is not a topology like \"", example, "\""));
    }
    out.push_back(n);
  }
  if (static_cast<int>(out.size()) != dims) {
    return where.Error(
        field, absl::StrCat(Quote(text), " has ", out.size(), " dimension(s); this shape takes ",
                            dims, ", like \"", example, "\""));
  }
  return out;
}

// Multiplies without overflow, saturating just above kMaxNodes.
int64_t SatMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > (kMaxNodes + 1) / b + 1) return kMaxNodes + 1;
  return std::min<int64_t>(a * b, kMaxNodes + 1);
}

// A 17-hex-digit identifier like the AWS network node layer values ("nn-e50490a237cb0f01a").
std::string NetworkNodeId(std::string_view seed) {
  const uint64_t h = Fnv(seed);
  const uint64_t g = Fnv(seed, h);
  return absl::StrFormat("nn-%016x%x", h, g & 0xf);
}

// A UUID-shaped cluster identifier derived from the pool name (GPU Operator cliques are
// "<ClusterUUID>.<CliqueID>").
std::string ClusterUuid(std::string_view seed) {
  const uint64_t h = Fnv(absl::StrCat("clique:", AsAbsl(seed)));
  const uint64_t g = Fnv(absl::StrCat("uuid:", AsAbsl(seed)), h);
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", h >> 32, (h >> 16) & 0xffff, h & 0xfff,
                         g >> 52, g & 0xffffffffffffull);
}

class ClusterReader {
 public:
  explicit ClusterReader(const std::string& path) : path_(path) {}

  absl::Status Document(int doc, const json& j) {
    const Where where{&path_, doc, -1};
    if (!j.is_object())
      return where.Error("", "must be an object (a Cluster, a v1 List, a Node or a Pod)");
    const std::string kind = StringOr(j, "kind");
    if (kind == "Cluster") return GeneratedCluster(where, j);
    if (kind == "List") {
      const json* items = Find(j, "items");
      if (items == nullptr || !items->is_array()) return where.Error("items", "must be a list");
      for (size_t i = 0; i < items->size(); ++i) {
        PHALANX_RETURN_IF_ERROR(DumpObject(Where{&path_, doc, static_cast<int>(i)}, (*items)[i]));
      }
      return absl::OkStatus();
    }
    return DumpObject(where, j);
  }

  absl::StatusOr<ClusterSpec> Finish() {
    if (nodes_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": the cluster has no nodes"));
    }
    std::sort(nodes_.begin(), nodes_.end(),
              [](const NodeOut& a, const NodeOut& b) { return a.name < b.name; });
    for (size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].name == nodes_[i - 1].name) {
        const int first = std::min(nodes_[i].origin, nodes_[i - 1].origin);
        const int second = std::max(nodes_[i].origin, nodes_[i - 1].origin);
        return absl::InvalidArgumentError(absl::StrCat(origins_[second], ": duplicate node name ",
                                                       Quote(nodes_[i].name), " (also made by ",
                                                       origins_[first], ")"));
      }
    }
    ClusterSpec spec;
    spec.name = name_.empty() ? BaseName(path_) : name_;
    spec.nodes.reserve(nodes_.size());
    for (NodeOut& n : nodes_) spec.nodes.push_back(std::move(n.json));
    spec.bound_pods = std::move(pods_);
    return spec;
  }

 private:
  absl::Status AddCount(const Where& where, const std::string& field, int64_t n) {
    total_ = std::min<int64_t>(total_ + n, kMaxNodes + 1);
    if (total_ > kMaxNodes) {
      return where.Error(field,
                         absl::StrCat("the cluster would have more than ", kMaxNodes, " nodes"));
    }
    return absl::OkStatus();
  }

  int Origin(std::string text) {
    origins_.push_back(std::move(text));
    return static_cast<int>(origins_.size()) - 1;
  }

  // A Node or Pod of a dump (or a Kueue Topology, which `phalanx plan` reads and the simulator
  // ignores).
  absl::Status DumpObject(const Where& where, const json& j) {
    if (!j.is_object()) return where.Error("", "must be an object");
    const json* kind = Find(j, "kind");
    if (kind == nullptr || !kind->is_string()) return where.Error("kind", "missing");
    const std::string k = kind->get<std::string>();
    const std::string api_version = StringOr(j, "apiVersion");
    if (k == "Topology" && api_version.rfind("kueue.x-k8s.io/", 0) == 0) return absl::OkStatus();
    if (k != "Node" && k != "Pod") {
      return where.Error("kind", absl::StrCat(Quote(k), " is not one of Cluster (", kSimApiVersion,
                                              "), List, Node, Pod"));
    }
    if (api_version != "v1") return where.Error("apiVersion", absl::StrCat("a ", k, " must be v1"));
    const json* metadata = Find(j, "metadata");
    const json* name = metadata != nullptr ? Find(*metadata, "name") : nullptr;
    if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
      return where.Error("metadata.name", "missing");
    }
    if (k == "Node") {
      PHALANX_RETURN_IF_ERROR(AddCount(where, "", 1));
      nodes_.push_back(NodeOut{name->get<std::string>(), JsonText(j), Origin(where.Prefix())});
      return absl::OkStatus();
    }
    const json* spec = Find(j, "spec");
    const std::string node_name = spec != nullptr ? StringOr(*spec, "nodeName") : "";
    const json* status = Find(j, "status");
    const std::string phase = status != nullptr ? StringOr(*status, "phase") : "";
    if (node_name.empty() || phase == "Succeeded" || phase == "Failed") return absl::OkStatus();
    pods_.push_back(JsonText(j));
    return absl::OkStatus();
  }

  absl::Status GeneratedCluster(const Where& where, const json& j) {
    if (StringOr(j, "apiVersion") != kSimApiVersion) {
      return where.Error("apiVersion", absl::StrCat("a Cluster must be ", kSimApiVersion));
    }
    if (const json* metadata = Find(j, "metadata")) {
      if (const json* name = Find(*metadata, "name")) {
        if (!name->is_string()) return where.Error("metadata.name", "must be a string");
        if (name_.empty()) name_ = name->get<std::string>();
      }
    }
    const json* spec = Find(j, "spec");
    const json* pools = spec != nullptr ? Find(*spec, "nodePools") : nullptr;
    if (pools == nullptr || !pools->is_array() || pools->empty()) {
      return where.Error("spec.nodePools", "must list at least one node pool");
    }
    for (const auto& [key, value] : spec->items()) {
      if (key != "nodePools") return where.Error(absl::StrCat("spec.", key), "unknown field");
    }
    for (size_t i = 0; i < pools->size(); ++i) {
      PHALANX_RETURN_IF_ERROR(Pool(where, absl::StrCat("spec.nodePools[", i, "]"), (*pools)[i]));
    }
    return absl::OkStatus();
  }

  absl::Status Pool(const Where& where, const std::string& at, const json& p) {
    if (!p.is_object()) return where.Error(at, "must be an object");
    const json* shape_v = Find(p, "shape");
    if (shape_v == nullptr || !shape_v->is_string()) {
      return where.Error(at + ".shape",
                         absl::StrCat("missing (one of ", absl::StrJoin(ShapeNames(), ", "), ")"));
    }
    const std::string shape = shape_v->get<std::string>();
    if (std::find(ShapeNames().begin(), ShapeNames().end(), shape) == ShapeNames().end()) {
      return where.Error(at + ".shape", absl::StrCat(Quote(shape), " is not one of ",
                                                     absl::StrJoin(ShapeNames(), ", ")));
    }
    const json* name_v = Find(p, "name");
    if (name_v == nullptr || !name_v->is_string()) return where.Error(at + ".name", "missing");
    const std::string name = name_v->get<std::string>();
    const bool valid_name = !name.empty() && name.size() <= kMaxPoolNameLength &&
                            absl::ascii_isalnum(name.front()) && absl::ascii_isalnum(name.back()) &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return (c >= 'a' && c <= 'z') || absl::ascii_isdigit(c) || c == '-';
                            });
    if (!valid_name) {
      return where.Error(at + ".name",
                         absl::StrCat(Quote(name),
                                      " must be lower-case letters, digits and '-', "
                                      "starting and ending with a letter or digit, at most ",
                                      kMaxPoolNameLength, " characters"));
    }
    const std::set<std::string> allowed = ShapeFields(shape);
    for (const auto& [key, value] : p.items()) {
      if (key == "name" || key == "shape" || key == "cpu" || key == "memory" ||
          allowed.count(key) > 0)
        continue;
      return where.Error(absl::StrCat(at, ".", key),
                         absl::StrCat("unknown field for shape ", shape, " (it takes ",
                                      absl::StrJoin(allowed, ", "), ", cpu, memory)"));
    }
    auto required = [&](const char* field) -> absl::StatusOr<int64_t> {
      const json* v = Find(p, field);
      if (v == nullptr) return where.Error(absl::StrCat(at, ".", field), "missing");
      return ReadInt(where, absl::StrCat(at, ".", field), *v, 1, 1'000'000'000);
    };
    auto optional = [&](const char* field, int64_t fallback,
                        int64_t hi) -> absl::StatusOr<int64_t> {
      const json* v = Find(p, field);
      if (v == nullptr) return fallback;
      return ReadInt(where, absl::StrCat(at, ".", field), *v, 1, hi);
    };

    PoolTemplate pool;
    const int origin = Origin(absl::StrCat(where.Prefix(), ": ", at));
    NodeWriter writer(nodes_, origin);
    if (shape.rfind("tpu-", 0) == 0) {
      const TpuShape* tpu = nullptr;
      for (const TpuShape& t : kTpuShapes) {
        if (shape == t.shape) tpu = &t;
      }
      const json* topology_v = Find(p, "topology");
      if (topology_v != nullptr && !topology_v->is_string()) {
        // YAML reads 0x4 as a hexadecimal number, 4 as a number.
        return where.Error(
            at + ".topology",
            absl::StrCat("must be a string like \"", tpu->dims == 3 ? "2x2x4" : "4x4",
                         "\" (quote it), got ", JsonText(*topology_v)));
      }
      if (topology_v == nullptr) {
        return where.Error(at + ".topology",
                           tpu->dims == 3 ? "missing (e.g. \"2x2x4\")" : "missing (e.g. \"4x4\")");
      }
      const std::string topology = topology_v->get<std::string>();
      PHALANX_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                               ParseTopology(where, at + ".topology", topology, tpu->dims));
      PHALANX_ASSIGN_OR_RETURN(int64_t count, required("count"));
      PHALANX_ASSIGN_OR_RETURN(int64_t per_node, optional("chipsPerNode", 4, 64));
      int64_t chips = 1;
      for (int64_t d : dims) chips = SatMul(chips, d);
      if (chips > per_node && chips % per_node != 0) {
        return where.Error(at + ".topology",
                           absl::StrCat(Quote(topology), " has ", chips,
                                        " chips, not a multiple of chipsPerNode ", per_node));
      }
      const int64_t hosts = chips <= per_node ? 1 : chips / per_node;
      PHALANX_RETURN_IF_ERROR(AddCount(where, at, SatMul(hosts, count)));
      pool.instance_type = tpu->instance_type;
      pool.cpu = tpu->cpu;
      pool.memory = tpu->memory;
      pool.accelerator = "google.com/tpu";
      pool.accelerators = std::min(chips, per_node);
      PHALANX_RETURN_IF_ERROR(Resources(where, at, p, pool));
      pool.labels = {{"cloud.google.com/gke-tpu-accelerator", shape},
                     {"cloud.google.com/gke-tpu-topology", topology}};
      pool.Finish();
      for (int64_t i = 0; i < count; ++i) {
        const std::string slice = absl::StrCat(name, "-", i);
        for (int64_t h = 0; h < hosts; ++h) {
          writer.Add(pool, absl::StrCat(slice, "-", h), {{"cloud.google.com/gke-nodepool", slice}});
        }
      }
    } else if (shape == "gb200-nvl72") {
      PHALANX_ASSIGN_OR_RETURN(int64_t racks, required("count"));
      PHALANX_ASSIGN_OR_RETURN(int64_t gpus, optional("gpusPerNode", 4, 64));
      constexpr int64_t kNodesPerRack = 18;
      PHALANX_RETURN_IF_ERROR(AddCount(where, at, SatMul(racks, kNodesPerRack)));
      pool.arch = "arm64";
      pool.cpu = "144";
      pool.memory = "960Gi";
      pool.accelerator = "nvidia.com/gpu";
      pool.accelerators = gpus;
      PHALANX_RETURN_IF_ERROR(Resources(where, at, p, pool));
      pool.labels = {{"nvidia.com/gpu.product", "NVIDIA-GB200"}};
      pool.Finish();
      const std::string uuid = ClusterUuid(name);
      for (int64_t r = 0; r < racks; ++r) {
        const std::string clique = absl::StrCat(uuid, ".", r);
        for (int64_t n = 0; n < kNodesPerRack; ++n) {
          writer.Add(pool, absl::StrCat(name, "-", r, "-", n), {{"nvidia.com/gpu.clique", clique}});
        }
      }
    } else if (shape == "gke-gpu-block") {
      PHALANX_ASSIGN_OR_RETURN(int64_t blocks, required("blocks"));
      PHALANX_ASSIGN_OR_RETURN(int64_t subblocks, required("subblocks"));
      PHALANX_ASSIGN_OR_RETURN(int64_t hosts, required("hosts"));
      PHALANX_ASSIGN_OR_RETURN(int64_t gpus, optional("gpusPerNode", 8, 64));
      PHALANX_RETURN_IF_ERROR(AddCount(where, at, SatMul(SatMul(blocks, subblocks), hosts)));
      pool.instance_type = "a4-highgpu-8g";
      pool.cpu = "224";
      pool.memory = "3968Gi";
      pool.accelerator = "nvidia.com/gpu";
      pool.accelerators = gpus;
      PHALANX_RETURN_IF_ERROR(Resources(where, at, p, pool));
      // No gke-nodepool label: the pool is one big node pool, and block / sub-block are its
      // domains.
      pool.Finish();
      for (int64_t b = 0; b < blocks; ++b) {
        const std::string block = absl::StrCat(name, "-b", b);
        for (int64_t s = 0; s < subblocks; ++s) {
          const std::string subblock = absl::StrCat(block, "-s", s);
          for (int64_t h = 0; h < hosts; ++h) {
            writer.Add(pool, absl::StrCat(name, "-", b, "-", s, "-", h),
                       {{"cloud.google.com/gce-topology-block", block},
                        {"cloud.google.com/gce-topology-subblock", subblock},
                        {"cloud.google.com/gce-topology-host", absl::StrCat(subblock, "-h", h)}});
          }
        }
      }
    } else if (shape == "aws-gpu") {
      PHALANX_ASSIGN_OR_RETURN(int64_t l1, required("layer1"));
      PHALANX_ASSIGN_OR_RETURN(int64_t l2, required("layer2"));
      PHALANX_ASSIGN_OR_RETURN(int64_t l3, required("layer3"));
      PHALANX_ASSIGN_OR_RETURN(int64_t per, required("nodes"));
      PHALANX_ASSIGN_OR_RETURN(int64_t gpus, optional("gpusPerNode", 8, 64));
      PHALANX_RETURN_IF_ERROR(AddCount(where, at, SatMul(SatMul(SatMul(l1, l2), l3), per)));
      pool.instance_type = "p5.48xlarge";
      pool.cpu = "192";
      pool.memory = "2048Gi";
      pool.accelerator = "nvidia.com/gpu";
      pool.accelerators = gpus;
      PHALANX_RETURN_IF_ERROR(Resources(where, at, p, pool));
      pool.labels = {{"eks.amazonaws.com/nodegroup", name}};
      pool.Finish();
      for (int64_t a = 0; a < l1; ++a) {
        const std::string v1 = NetworkNodeId(absl::StrCat(name, "/", a));
        for (int64_t b = 0; b < l2; ++b) {
          const std::string v2 = NetworkNodeId(absl::StrCat(name, "/", a, "/", b));
          for (int64_t c = 0; c < l3; ++c) {
            const std::string v3 = NetworkNodeId(absl::StrCat(name, "/", a, "/", b, "/", c));
            for (int64_t n = 0; n < per; ++n) {
              writer.Add(pool, absl::StrCat(name, "-", a, "-", b, "-", c, "-", n),
                         {{"topology.k8s.aws/network-node-layer-1", v1},
                          {"topology.k8s.aws/network-node-layer-2", v2},
                          {"topology.k8s.aws/network-node-layer-3", v3}});
            }
          }
        }
      }
    } else {  // cpu
      PHALANX_ASSIGN_OR_RETURN(int64_t count, required("count"));
      PHALANX_RETURN_IF_ERROR(AddCount(where, at, count));
      pool.instance_type = "n2-standard-32";
      pool.cpu = "32";
      pool.memory = "128Gi";
      PHALANX_RETURN_IF_ERROR(Resources(where, at, p, pool));
      pool.labels = {{"cloud.google.com/gke-nodepool", name}};
      pool.Finish();
      for (int64_t i = 0; i < count; ++i) writer.Add(pool, absl::StrCat(name, "-", i), {});
    }
    return absl::OkStatus();
  }

  // The pool's cpu / memory overrides, checked as quantities.
  static absl::Status Resources(const Where& where, const std::string& at, const json& p,
                                PoolTemplate& pool) {
    for (const char* field : {"cpu", "memory"}) {
      const json* v = Find(p, field);
      if (v == nullptr) continue;
      std::string text;
      if (v->is_string()) {
        text = v->get<std::string>();
      } else if (v->is_number_integer()) {
        text = JsonText(*v);
      } else {
        return where.Error(absl::StrCat(at, ".", field),
                           "must be a quantity such as \"96\" or \"512Gi\"");
      }
      auto q = api::ParseResource(field, text);
      if (!q.ok() || *q <= 0) {
        return where.Error(
            absl::StrCat(at, ".", field),
            absl::StrCat(Quote(text), " is not a positive quantity (e.g. \"96\", \"512Gi\")"));
      }
      (std::string_view(field) == "cpu" ? pool.cpu : pool.memory) = text;
    }
    return absl::OkStatus();
  }

  const std::string& path_;
  std::string name_;
  std::vector<NodeOut> nodes_;
  std::vector<std::string> pods_;
  std::vector<std::string> origins_;
  int64_t total_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// Workload

struct PendingPodFault {
  Where where;
  size_t fault_index;
  bool namespace_given;
};

// Whether replicated Job `rjob` of the JobSet manifest `js` has job `job_index` and pod `pod_index`
// (checked only where the manifest says so with integers; the API validation covers the rest).
absl::Status CheckPodIndex(const Where& where, const json& js, const PodFault& f) {
  const json* spec = Find(js, "spec");
  const json* rjobs = spec != nullptr ? Find(*spec, "replicatedJobs") : nullptr;
  if (rjobs == nullptr || !rjobs->is_array()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const json& r : *rjobs) {
    const std::string name = StringOr(r, "name");
    names.push_back(name);
    if (name != f.replicated_job) continue;
    const json* replicas = Find(r, "replicas");
    const int64_t jobs =
        replicas != nullptr && replicas->is_number_integer() ? replicas->get<int64_t>() : 1;
    if (f.job_index >= jobs) {
      return where.Error("spec.pod.jobIndex",
                         absl::StrCat(f.job_index, " is out of range: replicated Job ", Quote(name),
                                      " has ", jobs, " replica(s)"));
    }
    const json* tspec = Find(r, "template");
    tspec = tspec != nullptr ? Find(*tspec, "spec") : nullptr;
    int64_t pods = 1;
    if (tspec != nullptr) {
      const json* completions = Find(*tspec, "completions");
      const json* parallelism = Find(*tspec, "parallelism");
      if (completions != nullptr && completions->is_number_integer()) {
        pods = completions->get<int64_t>();
      } else if (parallelism != nullptr && parallelism->is_number_integer()) {
        pods = parallelism->get<int64_t>();
      }
    }
    if (f.pod_index >= pods) {
      return where.Error("spec.pod.podIndex",
                         absl::StrCat(f.pod_index, " is out of range: the Jobs of ", Quote(name),
                                      " have ", pods, " pod(s)"));
    }
    return absl::OkStatus();
  }
  return where.Error(
      "spec.pod.replicatedJob",
      absl::StrCat("JobSet ", f.namespace_, "/", f.jobset, " has no replicated Job ",
                   Quote(f.replicated_job), " (it has ", absl::StrJoin(names, ", "), ")"));
}

class WorkloadReader {
 public:
  explicit WorkloadReader(const std::string& path) : path_(path) {}

  absl::Status Document(int doc, const json& j) {
    const Where where{&path_, doc, -1};
    if (StringOr(j, "kind") == "List" && j.is_object()) {
      const json* items = Find(j, "items");
      if (items == nullptr || !items->is_array()) return where.Error("items", "must be a list");
      for (size_t i = 0; i < items->size(); ++i) {
        PHALANX_RETURN_IF_ERROR(Object(Where{&path_, doc, static_cast<int>(i)}, (*items)[i]));
      }
      return absl::OkStatus();
    }
    return Object(where, j);
  }

  absl::StatusOr<Workload> Finish() {
    for (const PendingPodFault& pending : pending_) {
      PodFault& f = *workload_.faults[pending.fault_index].pod;
      std::vector<const json*> matches;
      std::vector<std::string> namespaces;
      for (size_t i = 0; i < workload_.jobsets.size(); ++i) {
        const WorkloadJobSet& js = workload_.jobsets[i];
        if (js.name != f.jobset) continue;
        if (pending.namespace_given && js.namespace_ != f.namespace_) continue;
        matches.push_back(&manifests_[i]);
        namespaces.push_back(js.namespace_);
      }
      if (!pending.namespace_given && matches.size() > 1) {
        // Several namespaces hold that name: "default" wins, as for kubectl without -n.
        auto it = std::find(namespaces.begin(), namespaces.end(), "default");
        if (it == namespaces.end()) {
          return pending.where.Error(
              "spec.pod.namespace",
              absl::StrCat("JobSet ", Quote(f.jobset), " is in several namespaces (",
                           absl::StrJoin(namespaces, ", "), "): say which"));
        }
        matches = {matches[it - namespaces.begin()]};
        namespaces = {"default"};
      }
      if (matches.empty()) {
        return pending.where.Error(
            "spec.pod.jobSet",
            absl::StrCat("no JobSet ",
                         pending.namespace_given ? absl::StrCat(f.namespace_, "/") : "", f.jobset,
                         " in this workload"));
      }
      f.namespace_ = namespaces[0];
      PHALANX_RETURN_IF_ERROR(CheckPodIndex(pending.where, *matches[0], f));
    }
    std::stable_sort(
        workload_.jobsets.begin(), workload_.jobsets.end(),
        [](const WorkloadJobSet& a, const WorkloadJobSet& b) { return a.arrival < b.arrival; });
    std::stable_sort(workload_.faults.begin(), workload_.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
    workload_.name = BaseName(path_);
    return std::move(workload_);
  }

 private:
  absl::Status Object(const Where& where, const json& j) {
    if (!j.is_object()) return where.Error("", "must be an object (a JobSet or a Fault)");
    const std::string kind = StringOr(j, "kind");
    if (kind == "JobSet") return JobSet(where, j);
    if (kind == "Fault") return FaultDoc(where, j);
    if (kind.empty()) return where.Error("kind", "missing (JobSet or Fault)");
    return where.Error("kind", absl::StrCat(Quote(kind), " is not JobSet (", kJobSetApiVersion,
                                            ") or Fault (", kSimApiVersion, ")"));
  }

  absl::Status JobSet(const Where& where, const json& j) {
    if (StringOr(j, "apiVersion") != kJobSetApiVersion) {
      return where.Error("apiVersion", absl::StrCat("a JobSet must be ", kJobSetApiVersion));
    }
    const json* metadata = Find(j, "metadata");
    if (metadata == nullptr || !metadata->is_object())
      return where.Error("metadata.name", "missing");
    const json* name = Find(*metadata, "name");
    if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
      return where.Error("metadata.name", "missing");
    }
    WorkloadJobSet js;
    js.name = name->get<std::string>();
    js.namespace_ = "default";
    if (const json* ns = Find(*metadata, "namespace")) {
      if (!ns->is_string()) return where.Error("metadata.namespace", "must be a string");
      if (!ns->get<std::string>().empty()) js.namespace_ = ns->get<std::string>();
    }
    if (const json* annotations = Find(*metadata, "annotations")) {
      if (!annotations->is_object()) return where.Error("metadata.annotations", "must be a map");
      if (const json* v = Find(*annotations, kArrivalAnnotation)) {
        PHALANX_ASSIGN_OR_RETURN(
            js.arrival,
            ReadDuration(where, absl::StrCat("metadata.annotations[", kArrivalAnnotation, "]"), *v,
                         /*positive=*/false));
      }
      if (const json* v = Find(*annotations, kDurationAnnotation)) {
        PHALANX_ASSIGN_OR_RETURN(
            js.pod_duration,
            ReadDuration(where, absl::StrCat("metadata.annotations[", kDurationAnnotation, "]"), *v,
                         /*positive=*/true));
      }
    }
    const std::string key = absl::StrCat(js.namespace_, "/", js.name);
    PHALANX_RETURN_IF_ERROR(Validate(where, key, j));
    if (!seen_.insert(key).second) {
      return where.Error("metadata.name", absl::StrCat("JobSet ", key, " appears twice"));
    }
    js.json = JsonText(j);
    workload_.jobsets.push_back(std::move(js));
    manifests_.push_back(j);
    return absl::OkStatus();
  }

  // What the webhook would refuse, refused before the run (as `phalanx validate` says it), so a
  // JobSet never silently fails to arrive: strict decoding, then creation after defaulting.
  static absl::Status Validate(const Where& where, const std::string& key, const json& j) {
    auto decoded = api::DecodeJobSet(JsonText(j));
    if (!decoded.ok()) {
      return where.Error("", absl::StrCat("JobSet ", key, ": ", decoded.status().message()));
    }
    std::vector<std::string> problems;
    for (const std::string& f : api::UnknownFields(*decoded)) {
      problems.push_back(absl::StrCat("strict decoding error: unknown field \"", f, "\""));
    }
    api::ApplySchemaDefaults(*decoded);
    api::DefaultJobSet(*decoded);
    for (const api::FieldError& e : api::ValidateCreate(*decoded)) problems.push_back(e.ToString());
    if (problems.empty()) return absl::OkStatus();
    std::string more;
    if (problems.size() > 1) more = absl::StrCat(" (and ", problems.size() - 1, " more)");
    return where.Error("", absl::StrCat("JobSet ", key, " is invalid: ", problems[0], more));
  }

  absl::Status FaultDoc(const Where& where, const json& j) {
    if (StringOr(j, "apiVersion") != kSimApiVersion) {
      return where.Error("apiVersion", absl::StrCat("a Fault must be ", kSimApiVersion));
    }
    const json* spec = Find(j, "spec");
    if (spec == nullptr || !spec->is_object()) return where.Error("spec", "missing");
    static const std::set<std::string> kFields = {"at",  "node",     "recoverAfter",
                                                  "pod", "exitCode", "reason"};
    for (const auto& [key, value] : spec->items()) {
      if (kFields.count(key) == 0) {
        return where.Error(absl::StrCat("spec.", key),
                           "unknown field (a Fault takes at, node, recoverAfter, "
                           "pod, exitCode, reason)");
      }
    }
    Fault fault;
    fault.source = where.Prefix();
    const json* at = Find(*spec, "at");
    if (at == nullptr)
      return where.Error("spec.at", "missing (when the fault happens, e.g. \"25m\")");
    PHALANX_ASSIGN_OR_RETURN(fault.at, ReadDuration(where, "spec.at", *at, /*positive=*/false));
    const json* node = Find(*spec, "node");
    const json* pod = Find(*spec, "pod");
    if ((node == nullptr) == (pod == nullptr)) {
      return where.Error(
          "spec", "a Fault names exactly one of node (a node failure) or pod (a pod failure)");
    }
    if (node != nullptr) {
      for (const char* f : {"exitCode", "reason"}) {
        if (Find(*spec, f) != nullptr) {
          return where.Error(absl::StrCat("spec.", f), "applies to pod faults only");
        }
      }
      if (!node->is_string() || node->get<std::string>().empty())
        return where.Error("spec.node", "must be a node name");
      NodeFault nf;
      nf.node = node->get<std::string>();
      if (const json* r = Find(*spec, "recoverAfter")) {
        PHALANX_ASSIGN_OR_RETURN(nf.recover_after,
                                 ReadDuration(where, "spec.recoverAfter", *r, /*positive=*/true));
      }
      fault.node = std::move(nf);
      workload_.faults.push_back(std::move(fault));
      return absl::OkStatus();
    }
    if (Find(*spec, "recoverAfter") != nullptr) {
      return where.Error("spec.recoverAfter", "applies to node faults only");
    }
    if (!pod->is_object())
      return where.Error("spec.pod",
                         "must be an object {jobSet, replicatedJob, jobIndex, podIndex}");
    static const std::set<std::string> kPodFields = {"jobSet", "namespace", "replicatedJob",
                                                     "jobIndex", "podIndex"};
    for (const auto& [key, value] : pod->items()) {
      if (kPodFields.count(key) == 0) {
        return where.Error(
            absl::StrCat("spec.pod.", key),
            "unknown field (takes jobSet, namespace, replicatedJob, jobIndex, podIndex)");
      }
    }
    PodFault pf;
    const json* jobset = Find(*pod, "jobSet");
    if (jobset == nullptr || !jobset->is_string() || jobset->get<std::string>().empty()) {
      return where.Error("spec.pod.jobSet", "missing");
    }
    pf.jobset = jobset->get<std::string>();
    const json* rjob = Find(*pod, "replicatedJob");
    if (rjob == nullptr || !rjob->is_string() || rjob->get<std::string>().empty()) {
      return where.Error("spec.pod.replicatedJob", "missing");
    }
    pf.replicated_job = rjob->get<std::string>();
    bool namespace_given = false;
    if (const json* ns = Find(*pod, "namespace")) {
      if (!ns->is_string() || ns->get<std::string>().empty())
        return where.Error("spec.pod.namespace", "must be a namespace name");
      pf.namespace_ = ns->get<std::string>();
      namespace_given = true;
    }
    if (const json* v = Find(*pod, "jobIndex")) {
      PHALANX_ASSIGN_OR_RETURN(int64_t n, ReadInt(where, "spec.pod.jobIndex", *v, 0, 1'000'000));
      pf.job_index = static_cast<int>(n);
    }
    if (const json* v = Find(*pod, "podIndex")) {
      PHALANX_ASSIGN_OR_RETURN(int64_t n, ReadInt(where, "spec.pod.podIndex", *v, 0, 1'000'000));
      pf.pod_index = static_cast<int>(n);
    }
    if (const json* v = Find(*spec, "exitCode")) {
      PHALANX_ASSIGN_OR_RETURN(int64_t n, ReadInt(where, "spec.exitCode", *v, 1, 255));
      pf.exit_code = static_cast<int>(n);
    }
    if (const json* v = Find(*spec, "reason")) {
      if (!v->is_string() || v->get<std::string>().empty())
        return where.Error("spec.reason", "must be a non-empty string");
      pf.reason = v->get<std::string>();
    }
    fault.pod = std::move(pf);
    workload_.faults.push_back(std::move(fault));
    pending_.push_back(PendingPodFault{where, workload_.faults.size() - 1, namespace_given});
    return absl::OkStatus();
  }

  const std::string& path_;
  Workload workload_;
  std::vector<json> manifests_;  // parallel to workload_.jobsets until Finish sorts them
  std::set<std::string> seen_;
  std::vector<PendingPodFault> pending_;
};

template <typename Reader>
absl::Status ReadAll(const std::string& path, std::string_view text, Reader& reader) {
  auto docs = api::ParseDocuments(text);
  if (!docs.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", docs.status().message()));
  for (size_t i = 0; i < docs->size(); ++i) {
    const json j = json::parse((*docs)[i], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": document ", i + 1, ": not valid JSON"));
    }
    PHALANX_RETURN_IF_ERROR(reader.Document(static_cast<int>(i) + 1, j));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClusterSpec> ParseCluster(const std::string& path, std::string_view text) {
  ClusterReader reader(path);
  PHALANX_RETURN_IF_ERROR(ReadAll(path, text, reader));
  return reader.Finish();
}

absl::StatusOr<Workload> ParseWorkload(const std::string& path, std::string_view text) {
  WorkloadReader reader(path);
  PHALANX_RETURN_IF_ERROR(ReadAll(path, text, reader));
  auto workload = reader.Finish();
  if (workload.ok() && workload->jobsets.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the workload has no JobSets"));
  }
  return workload;
}

absl::Status CheckFaults(const ClusterSpec& cluster, const Workload& workload) {
  for (const Fault& f : workload.faults) {
    if (!f.node) continue;
    // Only nodes whose text holds the name as a JSON string are parsed to confirm.
    const std::string needle = Quote(f.node->node);
    bool found = false;
    for (const std::string& text : cluster.nodes) {
      if (text.find(needle) == std::string::npos) continue;
      const json node = json::parse(text, nullptr, /*allow_exceptions=*/false);
      const json* metadata = Find(node, "metadata");
      if (metadata != nullptr && StringOr(*metadata, "name") == f.node->node) {
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.source, ": spec.node: no node ", needle, " in cluster ", cluster.name));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ClusterSpec> LoadCluster(const std::string& path) {
  PHALANX_ASSIGN_OR_RETURN(std::string text, ReadFile(path, api::kMaxDocumentBytes));
  return ParseCluster(path, text);
}

absl::StatusOr<Workload> LoadWorkload(const std::string& path) {
  PHALANX_ASSIGN_OR_RETURN(std::string text, ReadFile(path, api::kMaxDocumentBytes));
  return ParseWorkload(path, text);
}

}  // namespace phalanx::sim
