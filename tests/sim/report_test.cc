// sim/report: the JSON report (fields, nulls, rounding), determinism, the SVG picture (well-formed,
// one bar per occupancy, hatching and outlines, marks with tooltips, escaping, aggregation of many
// domains and JobSets) and the text summary.
#include "sim/report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string D(const std::string& pool) { return "cloud.google.com/gke-nodepool=" + pool; }

// Two slices, three JobSets: one completed after a restart, one still running, one never started.
Timeline Sample() {
  Timeline t;
  t.cluster_name = "mixed-tpu";
  t.workload_name = "demo";
  t.gangs = true;
  t.seed = 42;
  t.end_s = 3720;
  t.resource = "google.com/tpu";
  t.nodes = 8;
  t.domains = {{D("v5p-0"), "v5p-0", 4, 16}, {D("v5p-1"), "v5p-1", 4, 16}};
  t.occupancies = {
      {D("v5p-0"), "ml/train", "train-w-0", 0, 600, 4, false, false},
      {D("v5p-0"), "ml/train", "train-w-0", 630, 1800, 4, false, false},
      {D("v5p-1"), "ml/serve", "serve-w-0", 120, 3720, 3, true, false},
  };
  t.marks = {
      {MarkKind::kPodFailure, 600, D("v5p-0"), "ml/train",
       "pod train-w-0-1 failed: exit 137 (OOMKilled)"},
      {MarkKind::kRestart, 610, "", "ml/train", "ml/train restart 1"},
      {MarkKind::kNodeFailure, 900, D("v5p-1"), "", "node v5p-1-2 NotReady"},
  };
  t.jobsets = {
      {"ml", "train", 0, 1.5, 1800, "Completed", 1, {D("v5p-0")}, 4, ""},
      {"ml",
       "serve",
       60,
       120,
       std::nullopt,
       "Running",
       0,
       {D("v5p-1")},
       4,
       "waiting for a whole slice"},
      {"ml",
       "big",
       300,
       std::nullopt,
       std::nullopt,
       "Waiting",
       0,
       {},
       16,
       "needs 4 slices, 2 exist"},
  };
  t.samples = {{0, 0.5, 0, 4, 0}, {120, 1.0, 0, 8, 16}, {1800, 0.5, 0.25, 4, 16}};
  t.invariants.checked = 77;
  return t;
}

// A minimal XML check: tags balance, attributes are quoted, '&' starts an entity, no '<' in text.
::testing::AssertionResult WellFormed(const std::string& xml) {
  std::vector<std::string> stack;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      const std::string entity = xml.substr(i, semi == std::string::npos ? 8 : semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        return ::testing::AssertionFailure() << "bad entity at " << i << ": " << entity;
      }
      i = semi + 1;
      continue;
    }
    if (xml[i] != '<') {
      if (xml[i] == '>') return ::testing::AssertionFailure() << "stray '>' at " << i;
      ++i;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      i = xml.find("?>", i) + 2;
      continue;
    }
    // Find the tag's end, skipping quoted attribute values.
    size_t j = i + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      if (quote != 0) {
        if (xml[j] == quote)
          quote = 0;
        else if (xml[j] == '<')
          return ::testing::AssertionFailure() << "'<' in an attribute at " << j;
      } else if (xml[j] == '"' || xml[j] == '\'') {
        quote = xml[j];
      } else if (xml[j] == '>') {
        break;
      }
    }
    if (j >= xml.size()) return ::testing::AssertionFailure() << "unterminated tag at " << i;
    const std::string tag = xml.substr(i + 1, j - i - 1);
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag at " << i;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        return ::testing::AssertionFailure()
               << "</" << name << "> closes " << (stack.empty() ? "nothing" : stack.back());
      }
      stack.pop_back();
    } else if (tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n\t")));
    }
    i = j + 1;
  }
  if (!stack.empty())
    return ::testing::AssertionFailure() << "<" << stack.back() << "> never closed";
  return ::testing::AssertionSuccess();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

TEST(HumanDurationTest, Formats) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(45), "45s");
  EXPECT_EQ(HumanDuration(44.6), "45s");
  EXPECT_EQ(HumanDuration(60), "1m");
  EXPECT_EQ(HumanDuration(725), "12m05s");
  EXPECT_EQ(HumanDuration(3720), "1h02m");
  EXPECT_EQ(HumanDuration(3600), "1h00m");
  EXPECT_EQ(HumanDuration(2 * 86400 + 3 * 3600 + 59), "2d03h");
  EXPECT_EQ(HumanDuration(-90), "-1m30s");
}

TEST(ReportJsonTest, FieldsAndNulls) {
  const json j = json::parse(ReportJson(Sample()));
  EXPECT_EQ(j["cluster"], "mixed-tpu");
  EXPECT_EQ(j["mode"], "gangs");
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["end_s"], 3720);
  ASSERT_EQ(j["jobsets"].size(), 3u);
  const json& train = j["jobsets"][0];
  EXPECT_EQ(train["namespace"], "ml");
  EXPECT_EQ(train["name"], "train");
  EXPECT_EQ(train["arrived_s"], 0);
  EXPECT_EQ(train["started_s"], 1.5);
  EXPECT_EQ(train["finished_s"], 1800);
  EXPECT_EQ(train["waited_s"], 1.5);
  EXPECT_EQ(train["restarts"], 1);
  EXPECT_EQ(train["outcome"], "Completed");
  EXPECT_EQ(train["domains"], json::array({D("v5p-0")}));
  const json& serve = j["jobsets"][1];
  EXPECT_TRUE(serve["finished_s"].is_null());
  EXPECT_EQ(serve["started_s"], 120);
  const json& big = j["jobsets"][2];
  EXPECT_TRUE(big["started_s"].is_null());
  EXPECT_TRUE(big["finished_s"].is_null());
  EXPECT_EQ(big["waited_s"], 3720 - 300);  // to the end of the run
  EXPECT_EQ(big["domains"], json::array());
  EXPECT_EQ(big["wait_reason"], "needs 4 slices, 2 exist");
  EXPECT_EQ(j["invariants"]["checked"], 77);
  EXPECT_EQ(j["invariants"]["violations"], 0);
  EXPECT_EQ(j["invariants"]["by_rule"]["partial-gang"], 0);
  EXPECT_EQ(j["utilisation"]["samples"].size(), 3u);
  EXPECT_EQ(j["utilisation"]["peak"], 1);
  EXPECT_EQ(j["marks"].size(), 3u);
  EXPECT_EQ(j["marks"][0]["kind"], "pod-failure");
  EXPECT_EQ(j["occupancies"].size(), 3u);
  EXPECT_EQ(j["occupancies"][2]["partial"], true);
}

TEST(ReportJsonTest, TimeWeightedMeanAndViolations) {
  Timeline t = Sample();
  t.gangs = false;
  t.invariants.violations["partial-gang"] = 3;
  t.invariants.violations["capacity-exceeded"] = 1;
  const json j = json::parse(ReportJson(t));
  EXPECT_EQ(j["mode"], "without-gangs");
  EXPECT_EQ(j["invariants"]["violations"], 4);
  EXPECT_EQ(j["invariants"]["by_rule"]["partial-gang"], 3);
  EXPECT_EQ(j["invariants"]["by_rule"]["exclusive-domain-shared"], 0);
  // 0.5 for 120 s, 1.0 for 1680 s, 0.5 for 1920 s, over 3720 s.
  const double mean = (0.5 * 120 + 1.0 * 1680 + 0.5 * 1920) / 3720;
  EXPECT_NEAR(j["utilisation"]["mean"].get<double>(), mean, 1e-4);
  EXPECT_NEAR(j["utilisation"]["fragmentation_mean"].get<double>(), 0.25 * 1920 / 3720, 1e-4);
}

TEST(ReportJsonTest, RoundsToMilliseconds) {
  Timeline t = Sample();
  t.jobsets[0].arrived_s = 1.23456;
  t.samples[1].utilisation = 1.0 / 3;
  const json j = json::parse(ReportJson(t));
  EXPECT_EQ(j["jobsets"][0]["arrived_s"].dump(), "1.235");
  EXPECT_EQ(j["utilisation"]["samples"][1]["utilisation"].dump(), "0.3333");
}

TEST(ReportTest, Deterministic) {
  const Timeline a = Sample(), b = Sample();
  EXPECT_EQ(ReportJson(a), ReportJson(b));
  EXPECT_EQ(SummaryText(a), SummaryText(b));
  EXPECT_EQ(RenderSvg({&a}), RenderSvg({&b}));
  Timeline other = Sample();
  other.jobsets[0].restarts = 2;
  EXPECT_NE(ReportJson(a), ReportJson(other));
}

TEST(RenderSvgTest, WellFormedWithOneBarPerOccupancy) {
  const Timeline t = Sample();
  const std::string svg = RenderSvg({&t});
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(Count(svg, "class=\"occ\""), t.occupancies.size());
  EXPECT_EQ(Count(svg, "class=\"occ-hatch\""), 1u);            // the one partial occupancy
  EXPECT_EQ(Count(svg, "class=\"mark "), t.marks.size() + 5);  // + the five symbols of the legend
  EXPECT_EQ(Count(svg, "class=\"lane\""), t.jobsets.size());
  EXPECT_EQ(Count(svg, "class=\"wait\""),
            2u);  // serve waited 60 s; big never started; train waited 1.5 s (< a pixel)
  EXPECT_THAT(svg, HasSubstr("with gangs"));
  EXPECT_THAT(svg, HasSubstr(">v5p-0</text>"));
  EXPECT_THAT(svg, HasSubstr("<title>10m: pod train-w-0-1 failed: exit 137 (OOMKilled)</title>"));
  EXPECT_THAT(svg, HasSubstr(">ml/train</text>"));  // in the legend
  // Tick labels in minutes.
  EXPECT_THAT(svg, HasSubstr(">10m</text>"));
}

TEST(RenderSvgTest, SharedOccupancyIsOutlined) {
  Timeline t = Sample();
  t.occupancies[1].shared = true;
  const std::string svg = RenderSvg({&t});
  EXPECT_EQ(Count(svg, "stroke-dasharray=\"3 2\""), 2u);  // the bar and its legend swatch
}

TEST(RenderSvgTest, TwoPanelsShareTheTimeScale) {
  Timeline a = Sample();
  Timeline b = Sample();
  b.gangs = false;
  b.end_s = 7200;
  const std::string svg = RenderSvg({&a, &b});
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr(">with gangs</text>"));
  EXPECT_THAT(svg, HasSubstr(">without gangs</text>"));
  EXPECT_EQ(Count(svg, "class=\"occ\""), a.occupancies.size() + b.occupancies.size());
  // The axis runs to 2h in both panels; the shorter run marks its end.
  EXPECT_EQ(Count(svg, ">2h</text>"), 2u);
  EXPECT_THAT(svg, HasSubstr("run ended at 1h02m"));
  // Both panels colour a JobSet alike.
  EXPECT_EQ(Count(svg, "fill=\"#4e79a7\"><title>ml/train"), 4u);
}

TEST(RenderSvgTest, EscapesText) {
  Timeline t = Sample();
  t.jobsets[0].name = "a<b>&\"c'";
  t.occupancies[0].jobset = "ml/a<b>&\"c'";
  t.cluster_name = "x&y";
  t.marks[0].text = "</title><script>";
  const std::string svg = RenderSvg({&t});
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, Not(HasSubstr("<script>")));
  EXPECT_THAT(svg, HasSubstr("a&lt;b&gt;&amp;&quot;c&apos;"));
  EXPECT_THAT(svg, HasSubstr("x&amp;y"));
}

TEST(RenderSvgTest, ManyDomainsAreAggregatedAndManyJobSetsTruncated) {
  Timeline t = Sample();
  t.domains.clear();
  t.occupancies.clear();
  t.jobsets.clear();
  t.marks.clear();
  for (int i = 0; i < 3000; ++i)
    t.domains.push_back({absl::StrCat("k=r", i), absl::StrCat("r", i), 18, 72});
  for (int i = 0; i < 100; ++i) {
    t.jobsets.push_back({"team",
                         absl::StrCat("j", i),
                         i * 10.0,
                         i * 10.0 + 5,
                         i * 10.0 + 600,
                         "Completed",
                         0,
                         {absl::StrCat("k=r", i * 30)},
                         18,
                         ""});
    t.occupancies.push_back({absl::StrCat("k=r", i * 30), absl::StrCat("team/j", i), "w",
                             i * 10.0 + 5, i * 10.0 + 600, 18, false, false});
  }
  const std::string svg = RenderSvg({&t});
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_EQ(Count(svg, "class=\"occ\""), 100u);
  EXPECT_THAT(svg, HasSubstr("3000 domains drawn as"));
  EXPECT_EQ(Count(svg, "class=\"lane\""), static_cast<size_t>(kMaxSvgLanes));
  EXPECT_THAT(svg, HasSubstr(absl::StrCat("+", 100 - kMaxSvgLanes, " more JobSets (no lane)")));
  EXPECT_THAT(svg, HasSubstr(absl::StrCat("+", 100 - kMaxSvgLegend, " more</text>")));
  // The picture stays a sensible size.
  const size_t h = svg.find("height=\"");
  ASSERT_NE(h, std::string::npos);
  EXPECT_LT(std::stod(svg.substr(h + 8)), 2000);
}

TEST(RenderSvgTest, NoPanels) {
  const std::string svg = RenderSvg({nullptr});
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("no simulation to draw"));
}

TEST(SummaryTextTest, Contents) {
  const std::string text = SummaryText(Sample());
  EXPECT_THAT(text, HasSubstr("mixed-tpu"));
  EXPECT_THAT(text, HasSubstr("8 nodes, 2 domains, with gangs"));
  EXPECT_THAT(text, HasSubstr("Simulated time 1h02m"));
  EXPECT_THAT(text, HasSubstr("1 completed, 0 failed, 1 running, 1 waiting"));
  for (const char* col :
       {"JOBSET", "ARRIVED", "WAITED", "STARTED", "FINISHED", "OUTCOME", "RESTARTS", "RAN ON"}) {
    EXPECT_THAT(text, HasSubstr(col));
  }
  EXPECT_THAT(text, HasSubstr("ml/train"));
  EXPECT_THAT(text, HasSubstr("30m"));    // train finished at 1800 s
  EXPECT_THAT(text, HasSubstr(">57m"));   // big has waited since 300 s, to the end at 3720 s
  EXPECT_THAT(text, HasSubstr("v5p-1"));  // where serve ran (the short label)
  EXPECT_THAT(text, Not(HasSubstr("cloud.google.com/gke-nodepool=")));
  EXPECT_THAT(text, HasSubstr("Waits: median 1m, p90 57m, longest >57m (ml/big)\n"
                              "  ml/big waited >57m: needs 4 slices, 2 exist\n"
                              "  ml/serve waited 1m: waiting for a whole slice\n"));
  EXPECT_THAT(text, HasSubstr("Utilisation of google.com/tpu: mean"));
  EXPECT_THAT(text, HasSubstr("peak 100%"));
  EXPECT_THAT(text, HasSubstr("Invariants checked after 77 steps: all held"));
}

TEST(SummaryTextTest, CliqueLabelsAreShortenedAndSplitJobsJoined) {
  Timeline t = Sample();
  const std::string clique = "nvidia.com/gpu.clique=64614b2f-8978-4b41-84c9-734d46fb50e1.";
  t.domains = {{clique + "0", "64614b2f-8978-4b41-84c9-734d46fb50e1.0", 18, 72},
               {clique + "1", "64614b2f-8978-4b41-84c9-734d46fb50e1.1", 18, 72}};
  t.jobsets[0].domains = {clique + "1"};
  t.jobsets[1].domains = {clique + "0+64614b2f-8978-4b41-84c9-734d46fb50e1.1"};
  const std::string text = SummaryText(t);
  EXPECT_THAT(text, HasSubstr("  64614b2f\xE2\x80\xA6.1\n"));
  EXPECT_THAT(text, HasSubstr("  64614b2f\xE2\x80\xA6.0+64614b2f\xE2\x80\xA6.1\n"));
  EXPECT_THAT(text, Not(HasSubstr("8978-4b41")));
  const std::string svg = RenderSvg({&t});
  EXPECT_THAT(svg, HasSubstr(">64614b2f\xE2\x80\xA6.0</text>"));
}

TEST(SummaryTextTest, NoWaits) {
  Timeline t = Sample();
  t.jobsets.pop_back();         // big never started
  t.jobsets[1].started_s = 60;  // serve started on arrival
  t.jobsets[0].started_s = 0;
  EXPECT_THAT(SummaryText(t), HasSubstr("\nWaits: none, every JobSet started on arrival\n"));
  EXPECT_THAT(SummaryText(t), Not(HasSubstr("waited")));
}

TEST(SummaryTextTest, ManyJobSetsAreCut) {
  Timeline t = Sample();
  t.jobsets.clear();
  for (int i = 0; i < 100; ++i) {
    t.jobsets.push_back({"team",
                         absl::StrCat("j", i),
                         0.0,
                         10.0 * i,
                         std::nullopt,
                         "Running",
                         0,
                         {},
                         1,
                         absl::StrCat("reason ", i)});
  }
  const std::string text = SummaryText(t);
  EXPECT_THAT(text, HasSubstr("team/j39 "));
  EXPECT_THAT(text, Not(HasSubstr("team/j40 ")));
  EXPECT_THAT(text, HasSubstr("... and 60 more JobSets (all of them are in -o json)"));
  // The longest waits are explained, longest first.
  EXPECT_THAT(text, HasSubstr("longest 16m30s (team/j99)\n  team/j99 waited 16m30s: reason 99\n"));
  EXPECT_THAT(text, HasSubstr("team/j92 waited"));
  EXPECT_THAT(text, Not(HasSubstr("team/j91 waited")));
  EXPECT_THAT(text, HasSubstr("... and 91 more that waited"));  // j0 waited 0 s
}

TEST(SummaryTextTest, ViolationsAreCountedPerRule) {
  Timeline t = Sample();
  t.gangs = false;
  t.invariants.violations["exclusive-domain-shared"] = 2;
  t.invariants.examples = {"v5p-1 held by ml/a and ml/b"};
  const std::string text = SummaryText(t);
  EXPECT_THAT(text, HasSubstr("without gangs"));
  EXPECT_THAT(text, HasSubstr("2 violations"));
  EXPECT_THAT(text, HasSubstr("exclusive-domain-shared  2 violations"));
  EXPECT_THAT(text, HasSubstr("partial-gang"));
  EXPECT_THAT(text, HasSubstr("e.g. v5p-1 held by ml/a and ml/b"));
  EXPECT_THAT(text, Not(HasSubstr("all held")));
}

}  // namespace
}  // namespace phalanx::sim
