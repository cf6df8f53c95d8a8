// Filter and Prioritize for one pod: 500 candidate names on a 5,008-node cluster (DESIGN §6:
// /filter p99 ≤ 0.3 ms) and 65,536 names on a 65,536-node cluster (≤ 1.5 × RapidJSON parsing and
// writing the same bodies). BM_RapidJsonOnly is that baseline, built from the captured
// kube-scheduler filter request with its NodeNames replaced; BM_ParseFilterWrite adds the engine.
#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/placement/tpu_cluster.h"
#include "placement/filter.h"
#include "placement/reserve.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace phalanx::placement::bench {
namespace {

struct Setup {
  Cluster cluster;
  Reservations reservations;
  GangDemand gang;
  std::vector<std::string> names;
};

// 65,536 names → the 65,536-node cluster, all names; otherwise a 5,008-node cluster and that
// many names sampled with a fixed seed (the scheduler sends a sample of feasible nodes).
Setup& SetupFor(int names) {
  static Setup* small = nullptr;
  static Setup* large = nullptr;
  Setup*& s = names >= 65536 ? large : small;
  if (s == nullptr) {
    s = new Setup;
    const int pools = names >= 65536 ? 4096 : 313;
    BuildTpuCluster(s->cluster, pools, 16);
    s->gang = Multislice("train", 8, 64);
    s->reservations.Reserve(s->cluster, s->gang);
    for (NodeId n = 0; n < s->cluster.node_slots(); ++n) s->names.push_back(s->cluster.node(n).name);
  }
  return *s;
}

std::vector<std::string> Sample(const Setup& s, int n) {
  std::vector<std::string> out = s.names;
  std::mt19937 rng(7);
  std::shuffle(out.begin(), out.end(), rng);
  out.resize(std::min<size_t>(out.size(), static_cast<size_t>(n)));
  return out;
}

// The sampled names laid out back to back, as string_views into one buffer: how they arrive from
// a parsed request body (the shuffled order stays: the scheduler's order is not ours).
struct Names {
  std::string buffer;
  std::vector<std::string_view> views;
};
Names Contiguous(const std::vector<std::string>& names) {
  Names out;
  for (const std::string& n : names) out.buffer += n;
  size_t at = 0;
  for (const std::string& n : names) {
    out.views.emplace_back(out.buffer.data() + at, n.size());
    at += n.size();
  }
  return out;
}

PodDemand Member(const GangDemand& g) {
  PodDemand p;
  p.job = g.jobs[0].key;
  p.requests = g.jobs[0].requests;
  p.eligibility = g.jobs[0].eligibility;
  p.exclusive_key = g.jobs[0].exclusive_key;
  return p;
}

PodDemand Outsider() {
  PodDemand p;
  p.job = JobKey{"other", "w", 0};
  p.requests = {{kTpu, 1}};
  p.eligibility.tolerations = {{kTpu, TolerationOperator::kExists, "", std::nullopt}};
  return p;
}

void BM_FilterMember(benchmark::State& state) {
  Setup& s = SetupFor(static_cast<int>(state.range(0)));
  const Names sample = Contiguous(Sample(s, static_cast<int>(state.range(0))));
  const auto names = absl::MakeConstSpan(sample.views);
  const PodDemand pod = Member(s.gang);
  for (auto _ : state) {
    FilterResult r = Filter(s.cluster, s.reservations, pod, names);
    benchmark::DoNotOptimize(r);
  }
  state.counters["names"] = static_cast<double>(names.size());
  state.counters["ns_per_name"] = benchmark::Counter(
      static_cast<double>(names.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FilterMember)->ArgName("names")->Arg(500)->Arg(65536)->Unit(benchmark::kMicrosecond);

void BM_FilterOutsider(benchmark::State& state) {
  Setup& s = SetupFor(static_cast<int>(state.range(0)));
  const Names sample = Contiguous(Sample(s, static_cast<int>(state.range(0))));
  const auto names = absl::MakeConstSpan(sample.views);
  const PodDemand pod = Outsider();
  for (auto _ : state) {
    FilterResult r = Filter(s.cluster, s.reservations, pod, names);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_FilterOutsider)->ArgName("names")->Arg(500)->Arg(65536)->Unit(benchmark::kMicrosecond);

void BM_Prioritize(benchmark::State& state) {
  Setup& s = SetupFor(static_cast<int>(state.range(0)));
  const Names sample = Contiguous(Sample(s, static_cast<int>(state.range(0))));
  const auto names = absl::MakeConstSpan(sample.views);
  const PodDemand pod = Outsider();
  for (auto _ : state) {
    std::vector<int64_t> r = Prioritize(s.cluster, s.reservations, pod, names);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Prioritize)->ArgName("names")->Arg(500)->Arg(65536)->Unit(benchmark::kMicrosecond);

// --- the RapidJSON baseline ------------------------------------------------------------------

std::string RequestBody(const std::vector<std::string>& names) {
  std::ifstream in(std::string(PHALANX_FIXTURES_DIR) + "/extender/normal.scheduler_filter.request.json");
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document d;
  d.Parse(ss.str().c_str());
  if (d.HasParseError() || !d.IsObject()) return "";
  rapidjson::Value arr(rapidjson::kArrayType);
  for (const std::string& n : names) {
    arr.PushBack(rapidjson::Value(n.c_str(), static_cast<rapidjson::SizeType>(n.size()),
                                  d.GetAllocator()),
                 d.GetAllocator());
  }
  d["NodeNames"] = arr;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return buf.GetString();
}

// Parse the request, collect NodeNames, write a response passing `pass` of them (others failed
// with `reason`). `decide` fills verdicts; the baseline passes everything.
template <typename Decide>
size_t Handle(const std::string& body, Decide decide) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  const rapidjson::Value& arr = d["NodeNames"];
  std::vector<std::string_view> names;
  names.reserve(arr.Size());
  for (const auto& v : arr.GetArray()) names.emplace_back(v.GetString(), v.GetStringLength());
  const auto& r = decide(names);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("Nodes");
  w.Null();
  w.Key("NodeNames");
  w.StartArray();
  for (size_t i = 0; i < names.size(); ++i) {
    if (r.verdicts.empty() || r.verdicts[i] == Verdict::kPass) {
      w.String(names[i].data(), static_cast<rapidjson::SizeType>(names[i].size()));
    }
  }
  w.EndArray();
  for (const char* key : {"FailedNodes", "FailedAndUnresolvableNodes"}) {
    const Verdict want = key[6] == 'A' ? Verdict::kUnresolvable : Verdict::kFail;
    w.Key(key);
    w.StartObject();
    for (size_t i = 0; i < r.verdicts.size(); ++i) {
      if (r.verdicts[i] != want) continue;
      w.Key(names[i].data(), static_cast<rapidjson::SizeType>(names[i].size()));
      const std::string& why = r.reason(i);
      w.String(why.data(), static_cast<rapidjson::SizeType>(why.size()));
    }
    w.EndObject();
  }
  w.Key("Error");
  w.String("");
  w.EndObject();
  return buf.GetSize();
}

// Parses the same request and writes the same response as BM_ParseFilterWrite, with the verdicts
// computed once outside the loop: what RapidJSON alone costs for these bodies.
void BM_RapidJsonOnly(benchmark::State& state) {
  Setup& s = SetupFor(static_cast<int>(state.range(0)));
  const std::vector<std::string> names = Sample(s, static_cast<int>(state.range(0)));
  const std::string body = RequestBody(names);
  if (body.empty()) {
    state.SkipWithError("fixture not found");
    return;
  }
  const FilterResult fixed = Filter(s.cluster, s.reservations, Member(s.gang), names);
  size_t response = 0;
  for (auto _ : state) {
    response = Handle(body, [&](const std::vector<std::string_view>&) -> const FilterResult& { return fixed; });
    benchmark::DoNotOptimize(response);
  }
  state.counters["request_bytes"] = static_cast<double>(body.size());
  state.counters["response_bytes"] = static_cast<double>(response);
}
BENCHMARK(BM_RapidJsonOnly)->ArgName("names")->Arg(500)->Arg(65536)->Unit(benchmark::kMicrosecond);

void BM_ParseFilterWrite(benchmark::State& state) {
  Setup& s = SetupFor(static_cast<int>(state.range(0)));
  const std::string body = RequestBody(Sample(s, static_cast<int>(state.range(0))));
  if (body.empty()) {
    state.SkipWithError("fixture not found");
    return;
  }
  const PodDemand pod = Member(s.gang);
  for (auto _ : state) {
    benchmark::DoNotOptimize(Handle(body, [&](const std::vector<std::string_view>& names) {
      return Filter(s.cluster, s.reservations, pod, absl::MakeConstSpan(names));
    }));
  }
}
BENCHMARK(BM_ParseFilterWrite)->ArgName("names")->Arg(500)->Arg(65536)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace phalanx::placement::bench
