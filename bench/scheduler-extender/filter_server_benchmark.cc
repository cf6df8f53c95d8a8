// The extender's server time for one /filter or /prioritize call, without the HTTP layer: the
// request body (the captured kube-scheduler 1.36 ExtenderArgs, its pod made a member of a reserved
// multislice gang, its NodeNames replaced) is parsed with ParseExtenderArgs, turned into a
// PodDemand, run through placement::Filter / Prioritize and encoded. Sizes (DESIGN §6):
// - 16 names: a pinned member pod, the scheduler sends only its domain (5,008-node cluster);
// - 500 names: the scheduler's sample of a 5,008-node cluster (target p99 <= 0.3 ms);
// - 65,536 names: every node of a 65,536-node cluster (target <= 1.5 x RapidJSON alone).
// BM_RapidJson*Baseline parse the same body in place with RapidJSON, collect the names and write
// the same answer with RapidJSON's Writer (verdicts / scores computed once, outside the loop): what
// the JSON alone costs. Every variant copies the body first (the server hands ParseExtenderArgs its
// own string), so the ratio compares like with like. p50_us / p99_us counters are per-call
// latencies. BM_ParseOnly, BM_*EngineOnly and BM_EncodeFilterOnly split the time into its parts.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include "api/labels.h"
#include "bench/placement/tpu_cluster.h"
#include "placement/filter.h"
#include "placement/reserve.h"
#include "scheduler-extender/wire.h"

namespace phalanx::extender::bench {
namespace {

using placement::bench::BuildTpuCluster;
using placement::bench::kAccel;
using placement::bench::kPool;
using placement::bench::Multislice;

struct Setup {
  placement::Cluster cluster;
  placement::Reservations reservations;
  placement::GangDemand gang;
  std::vector<std::string> names;
};

// 65,536 names → a 65,536-node cluster (4,096 pools of 16); otherwise 5,008 nodes (313 pools).
// The 8-Job multislice gang "train" is reserved in both.
Setup& SetupFor(int names) {
  static Setup* small = nullptr;
  static Setup* large = nullptr;
  Setup*& s = names >= 65536 ? large : small;
  if (s == nullptr) {
    s = new Setup;
    BuildTpuCluster(s->cluster, names >= 65536 ? 4096 : 313, 16);
    s->gang = Multislice("train", 8, 64);
    s->reservations.Reserve(s->cluster, s->gang);
    for (placement::NodeId n = 0; n < s->cluster.node_slots(); ++n)
      s->names.push_back(s->cluster.node(n).name);
  }
  return *s;
}

std::string ReadFixture() {
  std::ifstream in(std::string(PHALANX_FIXTURES_DIR) +
                   "/extender/normal.scheduler_filter.request.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The captured request with its pod turned into a member of job 0 of the gang (JobSet labels,
// exclusive-topology on the pool key, the cluster's accelerator selector) and `names` as NodeNames.
std::string RequestBody(const std::vector<std::string>& names) {
  rapidjson::Document d;
  const std::string fixture = ReadFixture();
  d.Parse(fixture.c_str(), fixture.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("Pod")) return "";
  auto& a = d.GetAllocator();
  auto set = [&](rapidjson::Value& obj, std::string_view key, std::string_view value) {
    rapidjson::Value k(key.data(), static_cast<rapidjson::SizeType>(key.size()), a);
    rapidjson::Value v(value.data(), static_cast<rapidjson::SizeType>(value.size()), a);
    obj.RemoveMember(k);
    obj.AddMember(k, v, a);
  };
  rapidjson::Value& meta = d["Pod"]["metadata"];
  set(meta["labels"], api::kJobSetUidKey, "train");
  set(meta["labels"], api::kReplicatedJobNameKey, "slice");
  set(meta["labels"], api::kJobIndexKey, "0");
  set(meta["annotations"], api::kExclusiveKey, kPool);
  rapidjson::Value selector(rapidjson::kObjectType);
  selector.AddMember(rapidjson::Value(kAccel, a), rapidjson::Value("tpu-v6e-slice", a), a);
  d["Pod"]["spec"]["nodeSelector"] = selector;
  rapidjson::Value arr(rapidjson::kArrayType);
  for (const std::string& n : names) {
    arr.PushBack(rapidjson::Value(n.c_str(), static_cast<rapidjson::SizeType>(n.size()), a), a);
  }
  d["NodeNames"] = arr;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The names a request carries: 16 → the nodes Filter passes for the member (its reserved pool, as
// after pinning); otherwise a fixed-seed shuffled sample (the scheduler's order is not ours).
std::vector<std::string> NamesFor(Setup& s, int n) {
  if (n <= 16) {
    auto args = ParseExtenderArgs(RequestBody({}));
    if (!args.ok()) return {};
    const placement::PodDemand pod = ToPodDemand(args->pod());
    const placement::FilterResult r =
        placement::Filter(s.cluster, s.reservations, pod, absl::MakeConstSpan(s.names));
    std::vector<std::string> out;
    for (size_t i = 0; i < s.names.size() && out.size() < static_cast<size_t>(n); ++i) {
      if (r.verdicts[i] == placement::Verdict::kPass) out.push_back(s.names[i]);
    }
    return out;
  }
  std::vector<std::string> out = s.names;
  std::mt19937 rng(7);
  std::shuffle(out.begin(), out.end(), rng);
  out.resize(std::min<size_t>(out.size(), static_cast<size_t>(n)));
  return out;
}

struct Case {
  Setup* setup;
  std::vector<std::string> names;
  std::string body;
};

Case CaseFor(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Case c{&SetupFor(n), {}, ""};
  c.names = NamesFor(*c.setup, n);
  c.body = RequestBody(c.names);
  return c;
}

// Per-call latency percentiles and request/response sizes as counters.
class Latencies {
 public:
  void Start() { start_ = std::chrono::steady_clock::now(); }
  void Stop() {
    samples_.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start_)
            .count());
  }
  void Report(benchmark::State& state, const Case& c, size_t response_bytes) {
    std::sort(samples_.begin(), samples_.end());
    if (!samples_.empty()) {
      state.counters["p50_us"] = samples_[samples_.size() / 2];
      state.counters["p99_us"] =
          samples_[std::min(samples_.size() - 1, samples_.size() * 99 / 100)];
    }
    state.counters["names"] = static_cast<double>(c.names.size());
    state.counters["req_bytes"] = static_cast<double>(c.body.size());
    state.counters["resp_bytes"] = static_cast<double>(response_bytes);
  }

 private:
  std::chrono::steady_clock::time_point start_;
  std::vector<double> samples_;
};

// ---- the extender's path ------------------------------------------------------------------------

// Each iteration: parse a fresh copy of the body, then `answer` (engine + encode) → the response text.
template <typename Answer>
void ServerPath(benchmark::State& state, Answer answer) {
  Case c = CaseFor(state);
  if (c.body.empty() || c.names.empty()) {
    state.SkipWithError("fixture not found or no names");
    return;
  }
  Latencies lat;
  size_t response = 0;
  for (auto _ : state) {
    lat.Start();
    auto args = ParseExtenderArgs(std::string(c.body));
    if (!args.ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    const placement::PodDemand pod = ToPodDemand(args->pod());
    const std::string out = answer(c, *args, pod);
    lat.Stop();
    response = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  lat.Report(state, c, response);
}

void BM_FilterServer(benchmark::State& state) {
  size_t passed = 0;
  ServerPath(state, [&](const Case& c, const ExtenderArgs& args, const placement::PodDemand& pod) {
    const placement::FilterResult r =
        placement::Filter(c.setup->cluster, c.setup->reservations, pod, args.node_names());
    passed = r.passed();
    return EncodeFilterResult(args, r);
  });
  state.counters["passed"] = static_cast<double>(passed);
}
BENCHMARK(BM_FilterServer)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

void BM_PrioritizeServer(benchmark::State& state) {
  ServerPath(state, [](const Case& c, const ExtenderArgs& args, const placement::PodDemand& pod) {
    const std::vector<int64_t> scores =
        placement::Prioritize(c.setup->cluster, c.setup->reservations, pod, args.node_names());
    return EncodePrioritizeResult(args, scores);
  });
}
BENCHMARK(BM_PrioritizeServer)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

// Decoding alone: the share of the server time spent in ParseExtenderArgs + ToPodDemand.
void BM_ParseOnly(benchmark::State& state) {
  Case c = CaseFor(state);
  for (auto _ : state) {
    auto args = ParseExtenderArgs(std::string(c.body));
    if (!args.ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    const placement::PodDemand pod = ToPodDemand(args->pod());
    benchmark::DoNotOptimize(&pod);
  }
}
BENCHMARK(BM_ParseOnly)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

// The engine alone and the encoder alone, on names already parsed: where the rest of the time goes.
void BM_FilterEngineOnly(benchmark::State& state) {
  Case c = CaseFor(state);
  auto args = ParseExtenderArgs(std::string(c.body));
  if (!args.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const placement::PodDemand pod = ToPodDemand(args->pod());
  for (auto _ : state) {
    placement::FilterResult r =
        placement::Filter(c.setup->cluster, c.setup->reservations, pod, args->node_names());
    benchmark::DoNotOptimize(r.verdicts.data());
  }
}
BENCHMARK(BM_FilterEngineOnly)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

void BM_PrioritizeEngineOnly(benchmark::State& state) {
  Case c = CaseFor(state);
  auto args = ParseExtenderArgs(std::string(c.body));
  if (!args.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const placement::PodDemand pod = ToPodDemand(args->pod());
  for (auto _ : state) {
    std::vector<int64_t> r =
        placement::Prioritize(c.setup->cluster, c.setup->reservations, pod, args->node_names());
    benchmark::DoNotOptimize(r.data());
  }
}
BENCHMARK(BM_PrioritizeEngineOnly)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

void BM_EncodeFilterOnly(benchmark::State& state) {
  Case c = CaseFor(state);
  auto args = ParseExtenderArgs(std::string(c.body));
  if (!args.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const placement::FilterResult r = placement::Filter(c.setup->cluster, c.setup->reservations,
                                                      ToPodDemand(args->pod()), args->node_names());
  for (auto _ : state) {
    std::string out = EncodeFilterResult(*args, r);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeFilterOnly)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

// ---- RapidJSON alone on the same bodies ---------------------------------------------------------

// Copy, parse in place, collect NodeNames as views.
bool ParseNames(const std::string& body, std::string& buffer, rapidjson::Document& d,
                std::vector<std::string_view>& names) {
  buffer = body;
  d.ParseInsitu(buffer.data());
  if (d.HasParseError() || !d.IsObject()) return false;
  auto it = d.FindMember("NodeNames");
  if (it == d.MemberEnd() || !it->value.IsArray()) return false;
  names.clear();
  names.reserve(it->value.Size());
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsString()) return false;
    names.emplace_back(v.GetString(), v.GetStringLength());
  }
  return true;
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void BM_RapidJsonFilterBaseline(benchmark::State& state) {
  Case c = CaseFor(state);
  if (c.body.empty() || c.names.empty()) {
    state.SkipWithError("fixture not found or no names");
    return;
  }
  auto fixed_args = ParseExtenderArgs(std::string(c.body));
  if (!fixed_args.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const placement::FilterResult r =
      placement::Filter(c.setup->cluster, c.setup->reservations, ToPodDemand(fixed_args->pod()),
                        fixed_args->node_names());
  Latencies lat;
  size_t response = 0;
  for (auto _ : state) {
    lat.Start();
    std::string buffer;
    rapidjson::Document d;
    std::vector<std::string_view> names;
    if (!ParseNames(c.body, buffer, d, names) || names.size() != r.verdicts.size()) {
      state.SkipWithError("parse failed");
      return;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("Nodes");
    w.Null();
    w.Key("NodeNames");
    w.StartArray();
    for (size_t i = 0; i < names.size(); ++i) {
      if (r.verdicts[i] == placement::Verdict::kPass) WriteString(w, names[i]);
    }
    w.EndArray();
    for (const placement::Verdict want :
         {placement::Verdict::kFail, placement::Verdict::kUnresolvable}) {
      w.Key(want == placement::Verdict::kFail ? "FailedNodes" : "FailedAndUnresolvableNodes");
      w.StartObject();
      for (size_t i = 0; i < names.size(); ++i) {
        if (r.verdicts[i] != want) continue;
        WriteString(w, names[i]);
        WriteString(w, r.reason(i));
      }
      w.EndObject();
    }
    w.Key("Error");
    w.String("");
    w.EndObject();
    lat.Stop();
    response = buf.GetSize();
    benchmark::DoNotOptimize(buf.GetString());
  }
  lat.Report(state, c, response);
}
BENCHMARK(BM_RapidJsonFilterBaseline)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

void BM_RapidJsonPrioritizeBaseline(benchmark::State& state) {
  Case c = CaseFor(state);
  if (c.body.empty() || c.names.empty()) {
    state.SkipWithError("fixture not found or no names");
    return;
  }
  auto fixed_args = ParseExtenderArgs(std::string(c.body));
  if (!fixed_args.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const std::vector<int64_t> scores =
      placement::Prioritize(c.setup->cluster, c.setup->reservations, ToPodDemand(fixed_args->pod()),
                            fixed_args->node_names());
  Latencies lat;
  size_t response = 0;
  for (auto _ : state) {
    lat.Start();
    std::string buffer;
    rapidjson::Document d;
    std::vector<std::string_view> names;
    if (!ParseNames(c.body, buffer, d, names) || names.size() != scores.size()) {
      state.SkipWithError("parse failed");
      return;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (size_t i = 0; i < names.size(); ++i) {
      w.StartObject();
      w.Key("Host");
      WriteString(w, names[i]);
      w.Key("Score");
      w.Int64(scores[i]);
      w.EndObject();
    }
    w.EndArray();
    lat.Stop();
    response = buf.GetSize();
    benchmark::DoNotOptimize(buf.GetString());
  }
  lat.Report(state, c, response);
}
BENCHMARK(BM_RapidJsonPrioritizeBaseline)
    ->ArgName("names")
    ->Arg(16)
    ->Arg(500)
    ->Arg(65536)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace phalanx::extender::bench
