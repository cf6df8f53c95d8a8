#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

#include "common/json_text.h"

namespace phalanx::sim {
namespace {

// ---------------------------------------------------------------------------------------------------
// Shared helpers

// Fixed-point text with `decimals` digits (0..3), without the locale: 12.25 → "12.3" for 1 decimal.
std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) v = 0;
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const int64_t units = std::llround(v * static_cast<double>(scale));
  const int64_t whole = (units < 0 ? -units : units) / scale;
  const int64_t frac = (units < 0 ? -units : units) % scale;
  std::string out = units < 0 ? "-" : "";
  absl::StrAppend(&out, whole);
  if (decimals > 0) {
    std::string f = absl::StrCat(frac);
    out += "." + std::string(static_cast<size_t>(decimals) - f.size(), '0') + f;
  }
  return out;
}

// SVG coordinates: one decimal, "12" rather than "12.0".
std::string N(double v) {
  std::string s = Fixed(v, 1);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

std::string Percent(double ratio) {
  return absl::StrCat(std::llround(std::clamp(ratio, 0.0, 1.0) * 100), "%");
}

std::string Xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out.push_back(' ');
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

// At most `max` characters (counting UTF-8 code points), with "…" when cut.
std::string Truncate(const std::string& s, size_t max) {
  size_t points = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
      if (points == max - 1) {
        // Is there more than one code point left?
        size_t rest = 0;
        for (size_t j = i; j < s.size(); ++j)
          rest += (static_cast<unsigned char>(s[j]) & 0xc0) != 0x80;
        if (rest > 1) return s.substr(0, i) + "\xE2\x80\xA6";
        return s;
      }
      ++points;
    }
  }
  return s;
}

std::string JobSetKey(const JobSetRecord& r) { return absl::StrCat(r.namespace_, "/", r.name); }

// The short label of a domain id: the timeline's label, else the last path element of "key=path".
bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A label for people: an NVLink clique "<cluster uuid>.<id>" becomes "<first 8 hex digits>….<id>"
// (one cluster's cliques share the uuid); anything else is kept.
std::string Short(const std::string& label) {
  if (label.size() > 37 && label[36] == '.' && IsUuid(std::string_view(label).substr(0, 36))) {
    return absl::StrCat(label.substr(0, 8), "\xE2\x80\xA6", label.substr(36));
  }
  return label;
}

// Short domain labels by id: the timeline's label (shortened), else the last path element of each
// "+"-joined part of "key=path" (a Job split over several domains).
class DomainLabels {
 public:
  explicit DomainLabels(const Timeline& t) {
    for (const DomainInfo& d : t.domains)
      by_id_.emplace(d.id, Short(d.label.empty() ? Tail(d.id) : d.label));
  }

  std::string operator()(const std::string& id) const {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) return it->second;
    const size_t eq = id.find('=');
    const std::string path = eq == std::string::npos ? id : id.substr(eq + 1);
    std::vector<std::string> parts;
    for (absl::string_view part : absl::StrSplit(path, '+'))
      parts.push_back(Short(Tail(std::string(part))));
    return absl::StrJoin(parts, "+");
  }

 private:
  static std::string Tail(const std::string& id) {
    const size_t eq = id.find('=');
    const std::string path = eq == std::string::npos ? id : id.substr(eq + 1);
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }

  std::map<std::string, std::string> by_id_;
};

// Time-weighted view of the samples: each value holds from its sample until the next (or the end).
struct Series {
  double mean_util = 0, peak_util = 0, mean_frag = 0, peak_frag = 0;
  int peak_running = 0, peak_pending = 0;
};

double EndOf(const Timeline& t) {
  double end = t.end_s;
  if (!t.samples.empty()) end = std::max(end, t.samples.back().t_s);
  return end;
}

Series Summarise(const Timeline& t) {
  Series s;
  const double end = EndOf(t);
  double util_area = 0, frag_area = 0;
  for (size_t i = 0; i < t.samples.size(); ++i) {
    const Sample& x = t.samples[i];
    const double until = i + 1 < t.samples.size() ? t.samples[i + 1].t_s : end;
    const double span = std::max(0.0, until - x.t_s);
    util_area += span * x.utilisation;
    frag_area += span * x.fragmentation;
    s.peak_util = std::max(s.peak_util, x.utilisation);
    s.peak_frag = std::max(s.peak_frag, x.fragmentation);
    s.peak_running = std::max(s.peak_running, x.running_pods);
    s.peak_pending = std::max(s.peak_pending, x.pending_pods);
  }
  if (end > 0) {
    s.mean_util = util_area / end;
    s.mean_frag = frag_area / end;
  } else if (!t.samples.empty()) {
    s.mean_util = t.samples.back().utilisation;
    s.mean_frag = t.samples.back().fragmentation;
  }
  return s;
}

// Time-weighted means of `value` in `buckets` equal slices of [0, end].
template <typename Value>
std::vector<double> Buckets(const Timeline& t, int buckets, Value value) {
  std::vector<double> area(static_cast<size_t>(buckets), 0.0);
  const double end = EndOf(t);
  if (end <= 0 || buckets <= 0) return area;
  const double width = end / buckets;
  for (size_t i = 0; i < t.samples.size(); ++i) {
    const double a = std::max(0.0, t.samples[i].t_s);
    const double b = std::min(end, i + 1 < t.samples.size() ? t.samples[i + 1].t_s : end);
    if (b <= a) continue;
    const double v = value(t.samples[i]);
    int first = std::clamp(static_cast<int>(a / width), 0, buckets - 1);
    int last = std::clamp(static_cast<int>(b / width), 0, buckets - 1);
    for (int k = first; k <= last; ++k) {
      const double lo = std::max(a, k * width), hi = std::min(b, (k + 1) * width);
      if (hi > lo) area[static_cast<size_t>(k)] += (hi - lo) * v;
    }
  }
  for (double& x : area) x /= width;
  return area;
}

std::string Sparkline(const std::vector<double>& values) {
  static const char* const kBars[] = {"\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83",
                                      "\xE2\x96\x84", "\xE2\x96\x85", "\xE2\x96\x86",
                                      "\xE2\x96\x87", "\xE2\x96\x88"};
  std::string out;
  for (double v : values) {
    const int level = std::clamp(static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * 7)), 0, 7);
    out += kBars[level];
  }
  return out;
}

const char* MarkName(MarkKind k) {
  switch (k) {
    case MarkKind::kPodFailure:
      return "pod-failure";
    case MarkKind::kNodeFailure:
      return "node-failure";
    case MarkKind::kNodeRecovery:
      return "node-recovery";
    case MarkKind::kRestart:
      return "restart";
    case MarkKind::kGangMoved:
      return "gang-moved";
  }
  return "unknown";
}

const char* const kKnownRules[] = {"exclusive-domain-shared", "partial-gang", "outside-reservation",
                                   "capacity-exceeded"};

std::map<std::string, int64_t> RuleCounts(const InvariantCounts& inv) {
  std::map<std::string, int64_t> rules;
  for (const char* r : kKnownRules) rules[r] = 0;
  for (const auto& [rule, n] : inv.violations) rules[rule] += n;
  return rules;
}

// Arrival to start; for a JobSet that never had all its pods running at once, arrival to its
// finish (or the end of the run).
double WaitedSeconds(const JobSetRecord& r, double end) {
  const double until = r.started_s ? *r.started_s : (r.finished_s ? *r.finished_s : end);
  return std::max(0.0, until - r.arrived_s);
}

std::string Waited(const JobSetRecord& r, double end) {
  return (r.started_s ? "" : ">") + HumanDuration(WaitedSeconds(r, end));
}

}  // namespace

std::string HumanDuration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  int64_t s = std::llround(seconds);
  const char* sign = "";
  if (s < 0) {
    sign = "-";
    s = -s;
  }
  if (s < 60) return absl::StrCat(sign, s, "s");
  if (s < 3600) {
    if (s % 60 == 0) return absl::StrCat(sign, s / 60, "m");
    return absl::StrCat(sign, s / 60, "m", s % 60 < 10 ? "0" : "", s % 60, "s");
  }
  if (s < 86400) {
    const int64_t m = (s % 3600) / 60;
    return absl::StrCat(sign, s / 3600, "h", m < 10 ? "0" : "", m, "m");
  }
  const int64_t h = (s % 86400) / 3600;
  return absl::StrCat(sign, s / 86400, "d", h < 10 ? "0" : "", h, "h");
}

// ---------------------------------------------------------------------------------------------------
// Text summary

std::string SummaryText(const Timeline& t) {
  const double end = EndOf(t);
  std::string out;
  absl::StrAppend(&out, "Simulated ", t.workload_name.empty() ? "workload" : t.workload_name,
                  " on cluster ", t.cluster_name, ": ", t.nodes, " nodes, ", t.domains.size(),
                  " domains, ", t.gangs ? "with gangs" : "without gangs", " (seed ", t.seed, ")\n");
  std::map<std::string, int> outcomes;
  for (const JobSetRecord& r : t.jobsets) ++outcomes[r.outcome.empty() ? "Unknown" : r.outcome];
  std::vector<std::string> parts;
  for (const char* o : {"Completed", "Failed", "Running", "Waiting"}) {
    parts.push_back(absl::StrCat(outcomes[o], " ", absl::AsciiStrToLower(o)));
    outcomes.erase(o);
  }
  for (const auto& [o, n] : outcomes) {
    if (n > 0) parts.push_back(absl::StrCat(n, " ", o));
  }
  absl::StrAppend(&out, "Simulated time ", HumanDuration(end), "; ", t.jobsets.size(),
                  " JobSets: ", absl::StrJoin(parts, ", "), "\n\n");

  // The JobSet table.
  const DomainLabels domain_label(t);
  std::vector<std::vector<std::string>> rows = {
      {"JOBSET", "ARRIVED", "WAITED", "STARTED", "FINISHED", "OUTCOME", "RESTARTS", "RAN ON"}};
  const size_t table_rows =
      t.jobsets.size() <= kMaxSummaryRows + 5 ? t.jobsets.size() : kMaxSummaryRows;
  for (size_t i = 0; i < table_rows; ++i) {
    const JobSetRecord& r = t.jobsets[i];
    std::vector<std::string> labels;
    for (const std::string& d : r.domains) {
      std::string l = domain_label(d);
      if (std::find(labels.begin(), labels.end(), l) == labels.end())
        labels.push_back(std::move(l));
    }
    std::string ran = labels.empty() ? "-" : "";
    for (size_t i = 0; i < labels.size() && i < 4; ++i)
      absl::StrAppend(&ran, i > 0 ? ", " : "", labels[i]);
    if (labels.size() > 4) absl::StrAppend(&ran, " +", labels.size() - 4, " more");
    rows.push_back({JobSetKey(r), HumanDuration(r.arrived_s), Waited(r, end),
                    r.started_s ? HumanDuration(*r.started_s) : "-",
                    r.finished_s ? HumanDuration(*r.finished_s) : "-",
                    r.outcome.empty() ? "-" : r.outcome, absl::StrCat(r.restarts), ran});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  if (t.jobsets.empty()) absl::StrAppend(&out, "(no JobSets)\n");
  if (table_rows < t.jobsets.size()) {
    absl::StrAppend(&out, "... and ", t.jobsets.size() - table_rows,
                    " more JobSets (all of them are in -o json)\n");
  }
  if (std::any_of(t.jobsets.begin(), t.jobsets.end(),
                  [](const JobSetRecord& r) { return !r.started_s.has_value(); })) {
    absl::StrAppend(&out, "(STARTED -: never had all its pods running at once)\n");
  }
  // Waits: their distribution, then why the longest waits waited.
  if (!t.jobsets.empty()) {
    std::vector<double> waits;
    const JobSetRecord* longest = &t.jobsets[0];
    for (const JobSetRecord& r : t.jobsets) {
      waits.push_back(WaitedSeconds(r, end));
      if (WaitedSeconds(r, end) > WaitedSeconds(*longest, end)) longest = &r;
    }
    std::sort(waits.begin(), waits.end());
    auto quantile = [&](double q) {
      return waits[std::min(waits.size() - 1, static_cast<size_t>(q * (waits.size() - 1) + 0.5))];
    };
    if (WaitedSeconds(*longest, end) < 0.5) {
      absl::StrAppend(&out, "\nWaits: none, every JobSet started on arrival\n");
    } else {
      absl::StrAppend(&out, "\nWaits: median ", HumanDuration(quantile(0.5)), ", p90 ",
                      HumanDuration(quantile(0.9)), ", longest ", Waited(*longest, end), " (",
                      JobSetKey(*longest), ")\n");
    }
    std::vector<const JobSetRecord*> reasons;
    for (const JobSetRecord& r : t.jobsets) {
      if (!r.wait_reason.empty() && WaitedSeconds(r, end) >= 0.5) reasons.push_back(&r);
    }
    std::stable_sort(reasons.begin(), reasons.end(),
                     [&](const JobSetRecord* a, const JobSetRecord* b) {
                       return WaitedSeconds(*a, end) > WaitedSeconds(*b, end);
                     });
    for (size_t i = 0; i < reasons.size() && i < kMaxSummaryReasons; ++i) {
      absl::StrAppend(&out, "  ", JobSetKey(*reasons[i]), " waited ", Waited(*reasons[i], end),
                      ": ", reasons[i]->wait_reason, "\n");
    }
    if (reasons.size() > kMaxSummaryReasons) {
      absl::StrAppend(&out, "  ... and ", reasons.size() - kMaxSummaryReasons,
                      " more that waited\n");
    }
  }

  // Utilisation and fragmentation.
  const Series s = Summarise(t);
  constexpr int kColumns = 48;
  const std::string axis_end = HumanDuration(end);
  absl::StrAppend(&out, "\nUtilisation of ", t.resource.empty() ? "capacity" : t.resource,
                  ": mean ", Percent(s.mean_util), ", peak ", Percent(s.peak_util), "\n  0s |",
                  Sparkline(Buckets(t, kColumns, [](const Sample& x) { return x.utilisation; })),
                  "| ", axis_end, "\n");
  absl::StrAppend(&out, "Fragmentation (free capacity outside wholly free domains): mean ",
                  Percent(s.mean_frag), ", peak ", Percent(s.peak_frag), "\n  0s |",
                  Sparkline(Buckets(t, kColumns, [](const Sample& x) { return x.fragmentation; })),
                  "| ", axis_end, "\n");
  absl::StrAppend(&out, "Pods: peak ", s.peak_running, " running, peak ", s.peak_pending,
                  " pending\n");

  // Invariants.
  const int64_t total = t.invariants.Total();
  absl::StrAppend(
      &out, "\nInvariants checked after ", t.invariants.checked, " steps: ",
      total == 0 ? "all held" : absl::StrCat(total, " violation", total == 1 ? "" : "s"), "\n");
  const auto rules = RuleCounts(t.invariants);
  size_t rule_width = 0;
  for (const auto& [rule, n] : rules) rule_width = std::max(rule_width, rule.size());
  for (const auto& [rule, n] : rules) {
    absl::StrAppend(&out, "  ", rule, std::string(rule_width - rule.size() + 2, ' '),
                    n == 0 ? "held" : absl::StrCat(n, " violation", n == 1 ? "" : "s"), "\n");
  }
  for (const std::string& e : t.invariants.examples) absl::StrAppend(&out, "    e.g. ", e, "\n");
  return out;
}

// ---------------------------------------------------------------------------------------------------
// JSON

namespace {

using OJson = nlohmann::ordered_json;

// Seconds rounded to milliseconds; whole values as integers ("90", not "90.0").
OJson Seconds(double v) {
  if (!std::isfinite(v)) return nullptr;
  const int64_t ms = std::llround(v * 1000);
  if (ms % 1000 == 0) return ms / 1000;
  return static_cast<double>(ms) / 1000.0;
}

// A ratio rounded to 4 decimals.
OJson Ratio(double v) {
  if (!std::isfinite(v)) return nullptr;
  const int64_t x = std::llround(v * 10000);
  if (x % 10000 == 0) return x / 10000;
  return static_cast<double>(x) / 10000.0;
}

OJson Optional(const std::optional<double>& v) { return v ? Seconds(*v) : OJson(nullptr); }

}  // namespace

std::string ReportJson(const Timeline& t) {
  const double end = EndOf(t);
  OJson j;
  j["cluster"] = t.cluster_name;
  j["workload"] = t.workload_name;
  j["mode"] = t.gangs ? "gangs" : "without-gangs";
  j["seed"] = t.seed;
  j["end_s"] = Seconds(t.end_s);
  j["resource"] = t.resource;
  j["nodes"] = t.nodes;
  j["domains"] = OJson::array();
  for (const DomainInfo& d : t.domains) {
    j["domains"].push_back(
        {{"id", d.id}, {"label", d.label}, {"nodes", d.nodes}, {"capacity", Ratio(d.capacity)}});
  }
  j["jobsets"] = OJson::array();
  for (const JobSetRecord& r : t.jobsets) {
    OJson x;
    x["namespace"] = r.namespace_;
    x["name"] = r.name;
    x["outcome"] = r.outcome;
    x["arrived_s"] = Seconds(r.arrived_s);
    x["started_s"] = Optional(r.started_s);
    x["finished_s"] = Optional(r.finished_s);
    x["waited_s"] = Seconds(WaitedSeconds(r, end));
    x["restarts"] = r.restarts;
    x["pods"] = r.pods;
    x["domains"] = r.domains;
    x["wait_reason"] = r.wait_reason;
    j["jobsets"].push_back(std::move(x));
  }
  const Series s = Summarise(t);
  OJson u;
  u["mean"] = Ratio(s.mean_util);
  u["peak"] = Ratio(s.peak_util);
  u["fragmentation_mean"] = Ratio(s.mean_frag);
  u["fragmentation_peak"] = Ratio(s.peak_frag);
  u["samples"] = OJson::array();
  for (const Sample& x : t.samples) {
    u["samples"].push_back({{"t_s", Seconds(x.t_s)},
                            {"utilisation", Ratio(x.utilisation)},
                            {"fragmentation", Ratio(x.fragmentation)},
                            {"running_pods", x.running_pods},
                            {"pending_pods", x.pending_pods}});
  }
  j["utilisation"] = std::move(u);
  j["marks"] = OJson::array();
  for (const Mark& m : t.marks) {
    j["marks"].push_back({{"kind", MarkName(m.kind)},
                          {"t_s", Seconds(m.t_s)},
                          {"domain", m.domain_id},
                          {"jobset", m.jobset},
                          {"text", m.text}});
  }
  j["occupancies"] = OJson::array();
  for (const Occupancy& o : t.occupancies) {
    j["occupancies"].push_back({{"domain", o.domain_id},
                                {"jobset", o.jobset},
                                {"job", o.job},
                                {"start_s", Seconds(o.start_s)},
                                {"end_s", Seconds(o.end_s)},
                                {"pods", o.pods},
                                {"partial", o.partial},
                                {"shared", o.shared}});
  }
  OJson inv;
  inv["checked"] = t.invariants.checked;
  inv["violations"] = t.invariants.Total();
  inv["by_rule"] = OJson::object();
  for (const auto& [rule, n] : RuleCounts(t.invariants)) inv["by_rule"][rule] = n;
  inv["examples"] = t.invariants.examples;
  j["invariants"] = std::move(inv);
  return JsonText(j, 2) + "\n";
}

// ---------------------------------------------------------------------------------------------------
// SVG

namespace {

constexpr double kWidth = 1200;
constexpr double kPlotX = 190;  // left edge of the time axis (labels to its left)
constexpr double kPlotW = kWidth - kPlotX - 24;
constexpr double kLaneH = 13;
constexpr double kStripH = 30;
constexpr double kRowsBudget = 560;  // px for the domain rows of one panel

// Distinguishable colours, in order of first appearance of each JobSet.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948",
                                    "#76b7b2", "#ff9da7", "#9c755f", "#e15759", "#1b9e77",
                                    "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#17becf",
                                    "#393b79", "#8c6d31", "#bcbd22", "#843c39", "#5254a3"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr const char* kUnknownColour = "#9e9e9e";

struct Tick {
  double t;
  std::string label;
};

// Tick marks at a round step giving at most ~12 ticks over [0, end].
std::vector<Tick> Ticks(double end) {
  static const double kSteps[] = {1,     2,     5,     10,    15,     30,    60,
                                  120,   300,   600,   900,   1800,   3600,  7200,
                                  10800, 21600, 43200, 86400, 172800, 604800};
  double step = kSteps[sizeof(kSteps) / sizeof(kSteps[0]) - 1];
  for (double s : kSteps) {
    if (end / s <= 12) {
      step = s;
      break;
    }
  }
  std::vector<Tick> ticks;
  for (int i = 0; i * step <= end + 1e-9 && i < 1000; ++i) {
    const double t = i * step;
    std::string label = t == 0 ? "0" : HumanDuration(t);
    // "1h00m" reads better as "1h".
    for (const char* zero : {"h00m", "d00h"}) {
      if (label.size() > 4 && label.compare(label.size() - 4, 4, zero) == 0)
        label.resize(label.size() - 3);
    }
    ticks.push_back({t, label});
  }
  return ticks;
}

class Svg {
 public:
  void Line(const std::string& s) { out_ += s + "\n"; }
  std::string& text() { return out_; }

 private:
  std::string out_;
};

// The symbol of a mark centred at (x, y), with its tooltip.
std::string MarkSymbol(const Mark& m, double x, double y, const std::string& tooltip) {
  const double r = 4.5;
  std::string shape;
  switch (m.kind) {
    case MarkKind::kPodFailure:
      shape =
          absl::StrCat("<path d=\"M", N(x - r), " ", N(y - r), "L", N(x + r), " ", N(y + r), "M",
                       N(x - r), " ", N(y + r), "L", N(x + r), " ", N(y - r),
                       "\" stroke=\"#fff\" stroke-width=\"4\"/><path d=\"M", N(x - r), " ",
                       N(y - r), "L", N(x + r), " ", N(y + r), "M", N(x - r), " ", N(y + r), "L",
                       N(x + r), " ", N(y - r), "\" stroke=\"#c62828\" stroke-width=\"2\"/>");
      break;
    case MarkKind::kNodeFailure:
      shape = absl::StrCat("<path d=\"M", N(x - r), " ", N(y - r), "L", N(x + r), " ", N(y - r),
                           "L", N(x), " ", N(y + r),
                           "Z\" fill=\"#212121\" stroke=\"#fff\" stroke-width=\"1\"/>");
      break;
    case MarkKind::kNodeRecovery:
      shape = absl::StrCat(
          "<path d=\"M", N(x - r), " ", N(y + r), "L", N(x + r), " ", N(y + r), "L", N(x), " ",
          N(y - r),
          "Z\" fill=\"#fff\" stroke=\"#2e7d32\" stroke-width=\"2\" stroke-linejoin=\"round\"/>");
      break;
    case MarkKind::kRestart:
      shape = absl::StrCat("<circle cx=\"", N(x), "\" cy=\"", N(y), "\" r=\"", N(r - 0.5),
                           "\" fill=\"#fff\" stroke=\"#212121\" stroke-width=\"2\"/>");
      break;
    case MarkKind::kGangMoved:
      shape = absl::StrCat(
          "<path d=\"M", N(x - r), " ", N(y - r), "L", N(x + r), " ", N(y), "L", N(x - r), " ",
          N(y + r),
          "Z\" fill=\"#fff\" stroke=\"#1565c0\" stroke-width=\"2\" stroke-linejoin=\"round\"/>");
      break;
  }
  return absl::StrCat("<g class=\"mark ", MarkName(m.kind), "\"><title>", Xml(tooltip), "</title>",
                      shape, "</g>");
}

struct Layout {
  std::map<std::string, std::string> colour;  // JobSet key → colour
  std::map<std::string, int> order;           // JobSet key → legend position
  std::vector<std::string> keys;              // in order
  double end = 1;
  double X(double t) const { return kPlotX + std::clamp(t / end, 0.0, 1.0) * kPlotW; }
  std::string Colour(const std::string& key) const {
    auto it = colour.find(key);
    return it == colour.end() ? kUnknownColour : it->second;
  }
};

double RenderPanel(Svg& svg, const Timeline& t, const Layout& L, double y0) {
  double y = y0;
  const double end = EndOf(t);
  // Title and one line of facts.
  int completed = 0, failed = 0, waiting = 0;
  for (const JobSetRecord& r : t.jobsets) {
    completed += r.outcome == "Completed";
    failed += r.outcome == "Failed";
    waiting += !r.started_s.has_value();
  }
  const Series s = Summarise(t);
  const DomainLabels domain_label(t);
  const int64_t violations = t.invariants.Total();
  svg.Line(absl::StrCat("<text x=\"12\" y=\"", N(y + 18),
                        "\" font-size=\"16\" font-weight=\"bold\">",
                        t.gangs ? "with gangs" : "without gangs", "</text>"));
  svg.Line(absl::StrCat(
      "<text x=\"160\" y=\"", N(y + 18), "\" font-size=\"12\" fill=\"#424242\">",
      Xml(absl::StrCat(
          t.cluster_name, " \xC2\xB7 ", t.nodes, " nodes \xC2\xB7 ", t.domains.size(),
          " domains \xC2\xB7 ", t.jobsets.size(), " JobSets: ", completed, " completed, ", failed,
          " failed", waiting == 0 ? "" : absl::StrCat(", ", waiting, " never all running"),
          " \xC2\xB7 ", t.resource.empty() ? "capacity" : t.resource, " used ",
          Percent(s.mean_util), " on average \xC2\xB7 invariants: ",
          violations == 0 ? std::string("all held")
                          : absl::StrCat(violations, " violation", violations == 1 ? "" : "s"))),
      "</text>"));
  y += 28;

  const double top = y;  // grid lines start here

  // JobSet lanes.
  std::map<std::string, double> lane_y;  // JobSet key → lane centre
  const size_t lanes = std::min<size_t>(t.jobsets.size(), kMaxSvgLanes);
  for (size_t i = 0; i < lanes; ++i) {
    const JobSetRecord& r = t.jobsets[i];
    const std::string key = JobSetKey(r);
    const std::string colour = L.Colour(key);
    const double cy = y + kLaneH / 2;
    lane_y[key] = cy;
    svg.Line(absl::StrCat("<text x=\"", N(kPlotX - 6), "\" y=\"", N(cy + 4),
                          "\" font-size=\"10\" text-anchor=\"end\" fill=\"#424242\">",
                          Xml(Truncate(key, 30)), "</text>"));
    std::string tip = absl::StrCat(key, ": arrived ", HumanDuration(r.arrived_s));
    if (r.started_s) {
      absl::StrAppend(&tip, ", waited ", HumanDuration(*r.started_s - r.arrived_s), ", started ",
                      HumanDuration(*r.started_s));
    } else {
      absl::StrAppend(&tip, ", never had all its pods running at once");
    }
    if (r.finished_s) absl::StrAppend(&tip, ", finished ", HumanDuration(*r.finished_s));
    absl::StrAppend(&tip, " \xE2\x80\x94 ", r.outcome.empty() ? "-" : r.outcome, ", ", r.restarts,
                    " restart", r.restarts == 1 ? "" : "s");
    if (!r.wait_reason.empty()) absl::StrAppend(&tip, "; waited for: ", r.wait_reason);
    svg.Line(absl::StrCat("<g class=\"lane\"><title>", Xml(tip), "</title>"));
    const double x_arrive = L.X(r.arrived_s);
    const double wait_end = r.started_s ? *r.started_s : (r.finished_s ? *r.finished_s : end);
    svg.Line(absl::StrCat("<line x1=\"", N(x_arrive), "\" y1=\"", N(cy - 4), "\" x2=\"",
                          N(x_arrive), "\" y2=\"", N(cy + 4), "\" stroke=\"", colour,
                          "\" stroke-width=\"2\"/>"));
    if (L.X(wait_end) > x_arrive + 0.5) {
      svg.Line(absl::StrCat("<line class=\"wait\" x1=\"", N(x_arrive), "\" y1=\"", N(cy),
                            "\" x2=\"", N(L.X(wait_end)), "\" y2=\"", N(cy), "\" stroke=\"", colour,
                            "\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>"));
    }
    if (r.started_s) {
      const double run_end = r.finished_s ? *r.finished_s : end;
      svg.Line(absl::StrCat("<rect class=\"run\" x=\"", N(L.X(*r.started_s)), "\" y=\"", N(cy - 3),
                            "\" width=\"", N(std::max(1.0, L.X(run_end) - L.X(*r.started_s))),
                            "\" height=\"6\" fill=\"", colour, "\"/>"));
    }
    if (r.outcome == "Failed" && r.finished_s) {
      const double fx = L.X(*r.finished_s);
      svg.Line(absl::StrCat("<path d=\"M", N(fx - 4), " ", N(cy - 4), "L", N(fx + 4), " ",
                            N(cy + 4), "M", N(fx - 4), " ", N(cy + 4), "L", N(fx + 4), " ",
                            N(cy - 4), "\" stroke=\"#c62828\" stroke-width=\"2\"/>"));
    }
    svg.Line("</g>");
    y += kLaneH;
  }
  if (t.jobsets.size() > lanes) {
    svg.Line(absl::StrCat("<text x=\"", N(kPlotX - 6), "\" y=\"", N(y + 10),
                          "\" font-size=\"10\" text-anchor=\"end\" fill=\"#757575\">+",
                          t.jobsets.size() - lanes, " more JobSets (no lane)</text>"));
    y += kLaneH;
  }
  y += 4;

  // Utilisation strip: area = utilisation, line = fragmentation.
  {
    const double sy = y, sh = kStripH;
    svg.Line(absl::StrCat(
        "<text x=\"", N(kPlotX - 6), "\" y=\"", N(sy + 13),
        "\" font-size=\"10\" text-anchor=\"end\" fill=\"#424242\">utilisation</text>"));
    svg.Line(absl::StrCat(
        "<text x=\"", N(kPlotX - 6), "\" y=\"", N(sy + 25),
        "\" font-size=\"10\" text-anchor=\"end\" fill=\"#e65100\">fragmentation</text>"));
    svg.Line(absl::StrCat("<rect x=\"", N(kPlotX), "\" y=\"", N(sy), "\" width=\"", N(kPlotW),
                          "\" height=\"", N(sh),
                          "\" fill=\"#fafafa\" stroke=\"#bdbdbd\" stroke-width=\"0.5\"/>"));
    // At most one point per horizontal pixel-ish: bucket the samples.
    constexpr int kBuckets = 400;
    const auto util = Buckets(t, kBuckets, [](const Sample& x) { return x.utilisation; });
    const auto frag = Buckets(t, kBuckets, [](const Sample& x) { return x.fragmentation; });
    const double bw = (L.X(end) - kPlotX) / kBuckets;
    if (end > 0) {
      std::string area = absl::StrCat("M", N(kPlotX), " ", N(sy + sh));
      std::string line;
      for (int k = 0; k < kBuckets; ++k) {
        const double x0 = kPlotX + k * bw, x1 = kPlotX + (k + 1) * bw;
        const double uy = sy + sh - std::clamp(util[static_cast<size_t>(k)], 0.0, 1.0) * (sh - 2);
        const double fy = sy + sh - std::clamp(frag[static_cast<size_t>(k)], 0.0, 1.0) * (sh - 2);
        absl::StrAppend(&area, "L", N(x0), " ", N(uy), "L", N(x1), " ", N(uy));
        absl::StrAppend(&line, k == 0 ? "M" : "L", N(x0), " ", N(fy), "L", N(x1), " ", N(fy));
      }
      absl::StrAppend(&area, "L", N(kPlotX + kBuckets * bw), " ", N(sy + sh), "Z");
      svg.Line(absl::StrCat(
          "<path class=\"util\" d=\"", area, "\" fill=\"#90caf9\"><title>",
          Xml(absl::StrCat("utilisation of ", t.resource.empty() ? "capacity" : t.resource,
                           ": mean ", Percent(s.mean_util), ", peak ", Percent(s.peak_util))),
          "</title></path>"));
      svg.Line(absl::StrCat("<path class=\"frag\" d=\"", line,
                            "\" fill=\"none\" stroke=\"#e65100\" stroke-width=\"1.2\"><title>",
                            Xml(absl::StrCat("fragmentation: mean ", Percent(s.mean_frag),
                                             ", peak ", Percent(s.peak_frag))),
                            "</title></path>"));
    }
    y += sh + 8;
  }

  // Domain rows (aggregated beyond kMaxSvgRows).
  const size_t n = t.domains.size();
  const size_t per_row =
      n <= static_cast<size_t>(kMaxSvgRows) ? 1 : (n + kMaxSvgRows - 1) / kMaxSvgRows;
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < n; ++i) row_of[t.domains[i].id] = i / per_row;
  size_t rows = n == 0 ? 0 : (n + per_row - 1) / per_row;
  bool other = false;
  for (const Occupancy& o : t.occupancies) other = other || row_of.count(o.domain_id) == 0;
  for (const Mark& m : t.marks) {
    const bool on_lane = m.domain_id.empty() && lane_y.count(m.jobset) > 0;
    other = other || (!on_lane && row_of.count(m.domain_id) == 0);
  }
  const size_t other_row = rows;
  if (other) ++rows;
  const double row_h = rows == 0 ? 0 : std::clamp(std::floor(kRowsBudget / rows), 3.0, 18.0);
  const int label_every = row_h >= 9 ? 1 : static_cast<int>(std::ceil(11.0 / row_h));
  const double rows_top = y;
  if (per_row > 1) {
    svg.Line(absl::StrCat("<text x=\"", N(kPlotX), "\" y=\"", N(y + 9),
                          "\" font-size=\"10\" fill=\"#757575\">", n, " domains drawn as ",
                          rows - (other ? 1 : 0), " rows of up to ", per_row,
                          " consecutive domains each</text>"));
    y += 13;
  }
  const double grid_top = top;
  const double first_row_y = y;
  for (size_t r = 0; r < rows; ++r) {
    const double ry = first_row_y + r * row_h;
    if (r % 2 == 0 && row_h >= 5) {
      svg.Line(absl::StrCat("<rect x=\"", N(kPlotX), "\" y=\"", N(ry), "\" width=\"", N(kPlotW),
                            "\" height=\"", N(row_h), "\" fill=\"#f5f5f5\"/>"));
    }
    if (r % static_cast<size_t>(label_every) != 0) continue;
    std::string label;
    std::string tip;
    if (other && r == other_row) {
      label = "(no domain)";
      tip = "occupancies and marks outside the domains listed";
    } else if (per_row == 1 && label_every == 1) {
      const DomainInfo& d = t.domains[r];
      label = domain_label(d.id);
      tip = absl::StrCat(d.id, ": ", d.nodes, " nodes, ", Fixed(d.capacity, 0), " ",
                         t.resource.empty() ? "capacity" : t.resource);
    } else {
      // The label stands for every domain up to the next label.
      const size_t a = r * per_row;
      const size_t b =
          std::min(n, std::min(other ? other_row : rows, r + label_every) * per_row) - 1;
      if (a == b) {
        label = domain_label(t.domains[a].id);
        tip = t.domains[a].id;
      } else {
        label = absl::StrCat(Truncate(domain_label(t.domains[a].id), 12), "\xE2\x80\xA6",
                             Truncate(domain_label(t.domains[b].id), 12));
        tip = absl::StrCat(t.domains[a].id, " to ", t.domains[b].id, " (", b - a + 1, " domains)");
      }
    }
    const double fs = std::min(11.0, std::max(8.0, row_h - 3));
    svg.Line(absl::StrCat("<text x=\"", N(kPlotX - 6), "\" y=\"", N(ry + row_h / 2 + fs * 0.35),
                          "\" font-size=\"", N(fs), "\" text-anchor=\"end\"><title>", Xml(tip),
                          "</title>", Xml(Truncate(label, 30)), "</text>"));
  }
  y = first_row_y + rows * row_h;
  if (rows > 0) {
    svg.Line(absl::StrCat("<rect x=\"", N(kPlotX), "\" y=\"", N(first_row_y), "\" width=\"",
                          N(kPlotW), "\" height=\"", N(rows * row_h),
                          "\" fill=\"none\" stroke=\"#bdbdbd\" stroke-width=\"0.5\"/>"));
  }

  // Grid lines and the time axis (drawn before the bars would hide them; thin and light).
  const auto ticks = Ticks(L.end);
  for (const Tick& tk : ticks) {
    svg.Line(absl::StrCat("<line x1=\"", N(L.X(tk.t)), "\" y1=\"", N(grid_top), "\" x2=\"",
                          N(L.X(tk.t)), "\" y2=\"", N(y),
                          "\" stroke=\"#e0e0e0\" stroke-width=\"0.6\"/>"));
  }

  // Occupancy bars.
  const double inset = row_h >= 8 ? 1.5 : (row_h >= 4 ? 0.5 : 0);
  for (const Occupancy& o : t.occupancies) {
    auto it = row_of.find(o.domain_id);
    const size_t r = it == row_of.end() ? other_row : it->second;
    const double ry = first_row_y + r * row_h;
    const double x0 = L.X(o.start_s), x1 = L.X(std::max(o.end_s, o.start_s));
    const double w = std::max(1.0, x1 - x0);
    std::string tip =
        absl::StrCat(o.jobset, " ", o.job, " on ", domain_label(o.domain_id), ": ",
                     HumanDuration(o.start_s), " \xE2\x86\x92 ", HumanDuration(o.end_s), " (",
                     o.pods, " pod", o.pods == 1 ? "" : "s", ")");
    if (o.partial) absl::StrAppend(&tip, ", partial");
    if (o.shared) absl::StrAppend(&tip, ", shared with another Job");
    const std::string geometry =
        absl::StrCat("x=\"", N(x0), "\" y=\"", N(ry + inset), "\" width=\"", N(w), "\" height=\"",
                     N(std::max(1.0, row_h - 2 * inset)), "\"");
    std::string stroke = "";
    if (o.shared) stroke = " stroke=\"#000\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\"";
    svg.Line(absl::StrCat("<rect class=\"occ\" ", geometry, " fill=\"", L.Colour(o.jobset), "\"",
                          stroke, per_row > 1 ? " fill-opacity=\"0.7\"" : "", "><title>", Xml(tip),
                          "</title></rect>"));
    if (o.partial)
      svg.Line(absl::StrCat("<rect class=\"occ-hatch\" ", geometry, " fill=\"url(#hatch)\"/>"));
  }

  // Marks: on their domain row, on their JobSet's lane, or on the "(no domain)" row; a mark that
  // would cover an earlier one on the same line moves right until both show.
  std::map<double, std::vector<double>>
      placed;  // line centre → x of the marks drawn there, in order
  for (const Mark& m : t.marks) {
    double cy;
    auto it = row_of.find(m.domain_id);
    if (it != row_of.end()) {
      cy = first_row_y + it->second * row_h + row_h / 2;
    } else if (m.domain_id.empty() && lane_y.count(m.jobset) > 0) {
      cy = lane_y[m.jobset];
    } else {
      cy = first_row_y + other_row * row_h + row_h / 2;
    }
    std::string tip =
        absl::StrCat(HumanDuration(m.t_s), ": ", m.text.empty() ? MarkName(m.kind) : m.text);
    // Marks come in time order, so only the last one on the line can be covered; at most three
    // steps aside (a burst of marks at one instant then piles up at its place).
    const double true_x = L.X(m.t_s);
    double x = true_x;
    std::vector<double>& xs = placed[cy];
    if (!xs.empty() && std::abs(xs.back() - x) < 9 && xs.back() + 9 <= true_x + 27)
      x = xs.back() + 9;
    xs.push_back(x);
    svg.Line(MarkSymbol(m, x, cy, tip));
  }

  // Axis below the rows.
  svg.Line(absl::StrCat("<line x1=\"", N(kPlotX), "\" y1=\"", N(y), "\" x2=\"", N(kPlotX + kPlotW),
                        "\" y2=\"", N(y), "\" stroke=\"#616161\" stroke-width=\"1\"/>"));
  for (const Tick& tk : ticks) {
    svg.Line(absl::StrCat("<line x1=\"", N(L.X(tk.t)), "\" y1=\"", N(y), "\" x2=\"", N(L.X(tk.t)),
                          "\" y2=\"", N(y + 4), "\" stroke=\"#616161\" stroke-width=\"1\"/>"));
    svg.Line(absl::StrCat("<text x=\"", N(L.X(tk.t)), "\" y=\"", N(y + 15),
                          "\" font-size=\"10\" text-anchor=\"middle\" fill=\"#424242\">",
                          Xml(tk.label), "</text>"));
  }
  if (end < L.end - 0.5) {
    // This run stopped before the other panel's: show where.
    svg.Line(absl::StrCat(
        "<line x1=\"", N(L.X(end)), "\" y1=\"", N(grid_top), "\" x2=\"", N(L.X(end)), "\" y2=\"",
        N(y),
        "\" stroke=\"#616161\" stroke-width=\"1\" stroke-dasharray=\"2 2\"><title>run ended at ",
        Xml(HumanDuration(end)), "</title></line>"));
  }
  (void)rows_top;
  return y + 22;
}

// One legend entry: a swatch drawn by `swatch` at (x, y) and a label.
void LegendItem(Svg& svg, double x, double y, const std::string& swatch, const std::string& label) {
  svg.Line(swatch);
  svg.Line(absl::StrCat("<text x=\"", N(x + 18), "\" y=\"", N(y + 10), "\" font-size=\"11\">",
                        Xml(label), "</text>"));
}

}  // namespace

std::string RenderSvg(const std::vector<const Timeline*>& panels_in) {
  std::vector<const Timeline*> panels;
  for (const Timeline* t : panels_in) {
    if (t != nullptr) panels.push_back(t);
  }
  Svg body;
  Layout L;
  L.end = 1;
  for (const Timeline* t : panels) {
    L.end = std::max(L.end, EndOf(*t));
    for (const JobSetRecord& r : t->jobsets) {
      const std::string key = JobSetKey(r);
      if (L.colour.count(key) > 0) continue;
      L.order[key] = static_cast<int>(L.keys.size());
      L.colour[key] = kPalette[L.keys.size() % kPaletteSize];
      L.keys.push_back(key);
    }
  }

  double y = 8;
  if (panels.empty()) {
    body.Line("<text x=\"12\" y=\"24\" font-size=\"13\">no simulation to draw</text>");
    y = 40;
  }
  for (const Timeline* t : panels) y = RenderPanel(body, *t, L, y);

  // Legend: JobSets, then the symbols.
  if (!panels.empty()) {
    body.Line(absl::StrCat("<line x1=\"12\" y1=\"", N(y - 8), "\" x2=\"", N(kWidth - 12),
                           "\" y2=\"", N(y - 8), "\" stroke=\"#e0e0e0\"/>"));
    body.Line(absl::StrCat("<text x=\"12\" y=\"", N(y + 8),
                           "\" font-size=\"12\" font-weight=\"bold\">JobSets</text>"));
    y += 16;
    constexpr int kPerRow = 5;
    constexpr double kItemW = (kWidth - 24) / kPerRow;
    const size_t shown = std::min<size_t>(L.keys.size(), kMaxSvgLegend);
    for (size_t i = 0; i < shown; ++i) {
      const double x = 12 + (i % kPerRow) * kItemW, iy = y + (i / kPerRow) * 18;
      LegendItem(body, x, iy,
                 absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(iy),
                              "\" width=\"13\" height=\"13\" fill=\"", L.Colour(L.keys[i]), "\"/>"),
                 Truncate(L.keys[i], 28));
    }
    size_t used = shown;
    if (L.keys.size() > shown) {
      const double x = 12 + (used % kPerRow) * kItemW, iy = y + (used / kPerRow) * 18;
      body.Line(absl::StrCat("<text x=\"", N(x), "\" y=\"", N(iy + 10),
                             "\" font-size=\"11\" fill=\"#616161\">+", L.keys.size() - shown,
                             " more</text>"));
      ++used;
    }
    if (L.keys.empty()) {
      body.Line(absl::StrCat("<text x=\"12\" y=\"", N(y + 10),
                             "\" font-size=\"11\" fill=\"#616161\">none</text>"));
      used = 1;
    }
    y += ((used + kPerRow - 1) / kPerRow) * 18 + 8;

    body.Line(absl::StrCat("<text x=\"12\" y=\"", N(y + 8),
                           "\" font-size=\"12\" font-weight=\"bold\">Symbols</text>"));
    y += 16;
    struct Entry {
      std::string swatch, label;
    };
    std::vector<Entry> entries;
    auto at = [&](size_t i) {
      return std::make_pair(12 + (i % 4) * ((kWidth - 24) / 4), y + (i / 4) * 18);
    };
    auto add = [&](const std::string& label, auto draw) {
      const auto [x, iy] = at(entries.size());
      entries.push_back({draw(x, iy), label});
    };
    add("Job on a domain (row), coloured by JobSet", [](double x, double iy) {
      return absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(iy),
                          "\" width=\"13\" height=\"13\" fill=\"#9e9e9e\"/>");
    });
    add("partial: gang split or only some pods ran", [](double x, double iy) {
      return absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(iy),
                          "\" width=\"13\" height=\"13\" fill=\"#9e9e9e\"/>", "<rect x=\"", N(x),
                          "\" y=\"", N(iy), "\" width=\"13\" height=\"13\" fill=\"url(#hatch)\"/>");
    });
    add("shared: another Job on the domain at once", [](double x, double iy) {
      return absl::StrCat(
          "<rect x=\"", N(x), "\" y=\"", N(iy),
          "\" width=\"13\" height=\"13\" fill=\"#9e9e9e\" stroke=\"#000\" stroke-width=\"1.2\" "
          "stroke-dasharray=\"3 2\"/>");
    });
    add("JobSet lane: waiting (dashed), running (bar)", [](double x, double iy) {
      return absl::StrCat(
          "<line x1=\"", N(x), "\" y1=\"", N(iy + 6.5), "\" x2=\"", N(x + 7), "\" y2=\"",
          N(iy + 6.5),
          "\" stroke=\"#616161\" stroke-width=\"2\" stroke-dasharray=\"2 1.5\"/><rect x=\"",
          N(x + 7), "\" y=\"", N(iy + 3.5), "\" width=\"7\" height=\"6\" fill=\"#616161\"/>");
    });
    const std::pair<MarkKind, const char*> kMarks[] = {
        {MarkKind::kPodFailure, "pod failure"},
        {MarkKind::kNodeFailure, "node failure"},
        {MarkKind::kNodeRecovery, "node recovery"},
        {MarkKind::kRestart, "JobSet restart"},
        {MarkKind::kGangMoved, "gang moved to another domain"}};
    for (const auto& [kind, label] : kMarks) {
      Mark m;
      m.kind = kind;
      add(label, [&](double x, double iy) { return MarkSymbol(m, x + 6.5, iy + 6.5, label); });
    }
    add("utilisation (area) / fragmentation (line)", [](double x, double iy) {
      return absl::StrCat("<rect x=\"", N(x), "\" y=\"", N(iy + 4),
                          "\" width=\"13\" height=\"9\" fill=\"#90caf9\"/>", "<line x1=\"", N(x),
                          "\" y1=\"", N(iy + 5), "\" x2=\"", N(x + 13), "\" y2=\"", N(iy + 5),
                          "\" stroke=\"#e65100\" stroke-width=\"1.2\"/>");
    });
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto [x, iy] = at(i);
      LegendItem(body, x, iy, entries[i].swatch, entries[i].label);
    }
    y += ((entries.size() + 3) / 4) * 18 + 8;
  }

  const double height = std::ceil(y);
  std::string out = absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"",
      N(kWidth), "\" height=\"", N(height), "\" viewBox=\"0 0 ", N(kWidth), " ", N(height),
      "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
  out += "<title>phalanx simulate</title>\n";
  out +=
      "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
      "patternTransform=\"rotate(45)\"><rect x=\"0\" y=\"0\" width=\"2.5\" height=\"6\" "
      "fill=\"#fff\" "
      "fill-opacity=\"0.75\"/></pattern></defs>\n";
  out += absl::StrCat("<rect x=\"0\" y=\"0\" width=\"", N(kWidth), "\" height=\"", N(height),
                      "\" fill=\"#fff\"/>\n");
  out += body.text();
  out += "</svg>\n";
  return out;
}

}  // namespace phalanx::sim
