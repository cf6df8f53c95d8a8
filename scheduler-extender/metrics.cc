#include "scheduler-extender/metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "common/process_metrics.h"
#include "common/version.h"

namespace phalanx::extender {

void Metrics::Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  if (i < kBuckets.size()) ++buckets[i];
  ++count;
  sum += seconds;
}

void Metrics::Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets[i];
    absl::StrAppend(&out, AsAbsl(name), "_bucket{", AsAbsl(labels), sep, "le=\"", absl::StrFormat("%g", kBuckets[i]),
                    "\"} ", cumulative, "\n");
  }
  absl::StrAppend(&out, AsAbsl(name), "_bucket{", AsAbsl(labels), sep, "le=\"+Inf\"} ", count, "\n");
  const std::string braces = labels.empty() ? "" : absl::StrCat("{", AsAbsl(labels), "}");
  absl::StrAppend(&out, AsAbsl(name), "_sum", braces, " ", absl::StrFormat("%.9f", sum), "\n");
  absl::StrAppend(&out, AsAbsl(name), "_count", braces, " ", count, "\n");
}

void Metrics::ObserveRequest(std::string_view verb, std::string_view result, absl::Duration server_time) {
  absl::MutexLock lock(&mu_);
  ++requests_[{std::string(verb), std::string(result)}];
  latency_[std::string(verb)].Observe(absl::ToDoubleSeconds(server_time));
}

void Metrics::ObserveRound(int placed, int waiting, absl::Duration took) {
  absl::MutexLock lock(&mu_);
  rounds_.Observe(absl::ToDoubleSeconds(took));
  placed_ += placed;
  waiting_ = waiting;
}

void Metrics::CountPinned() {
  absl::MutexLock lock(&mu_);
  ++pinned_;
}

void Metrics::CountApiError(std::string_view call) {
  absl::MutexLock lock(&mu_);
  ++api_errors_[std::string(call)];
}

void Metrics::SetLeader(bool leader) {
  absl::MutexLock lock(&mu_);
  leader_ = leader;
}

void Metrics::SetCounts(std::function<StateCounts()> counts) {
  absl::MutexLock lock(&mu_);
  counts_ = std::move(counts);
}

uint64_t Metrics::Requests(std::string_view verb, std::string_view result) const {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find({std::string(verb), std::string(result)});
  return it == requests_.end() ? 0 : it->second;
}

uint64_t Metrics::Pinned() const {
  absl::MutexLock lock(&mu_);
  return pinned_;
}

std::string Metrics::Render() const {
  std::function<StateCounts()> counts;
  std::string out = BuildInfoMetric() + ProcessMetricsText();
  {
    absl::MutexLock lock(&mu_);
    counts = counts_;
    out += "# HELP phalanx_extender_requests_total Scheduler extender calls by verb and result.\n";
    out += "# TYPE phalanx_extender_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      absl::StrAppend(&out, "phalanx_extender_requests_total{verb=\"", key.first, "\",result=\"", key.second,
                      "\"} ", n, "\n");
    }
    out += "# HELP phalanx_extender_request_duration_seconds Server time per extender call.\n";
    out += "# TYPE phalanx_extender_request_duration_seconds histogram\n";
    for (const auto& [verb, h] : latency_) {
      h.Render(out, "phalanx_extender_request_duration_seconds", absl::StrCat("verb=\"", verb, "\""));
    }
    out += "# HELP phalanx_extender_plan_round_duration_seconds Time to decide one planning round.\n";
    out += "# TYPE phalanx_extender_plan_round_duration_seconds histogram\n";
    rounds_.Render(out, "phalanx_extender_plan_round_duration_seconds", "");
    out += "# HELP phalanx_extender_plan_rounds_total Planning rounds run while leading.\n";
    out += "# TYPE phalanx_extender_plan_rounds_total counter\n";
    absl::StrAppend(&out, "phalanx_extender_plan_rounds_total ", rounds_.count, "\n");
    out += "# HELP phalanx_extender_gangs_placed_total Gangs given their domains.\n";
    out += "# TYPE phalanx_extender_gangs_placed_total counter\n";
    absl::StrAppend(&out, "phalanx_extender_gangs_placed_total ", placed_, "\n");
    out += "# HELP phalanx_extender_gangs_waiting Gangs that did not fit in the last round.\n";
    out += "# TYPE phalanx_extender_gangs_waiting gauge\n";
    absl::StrAppend(&out, "phalanx_extender_gangs_waiting ", waiting_, "\n");
    out += "# HELP phalanx_extender_pods_pinned_total Pods ungated and pinned to their domain.\n";
    out += "# TYPE phalanx_extender_pods_pinned_total counter\n";
    absl::StrAppend(&out, "phalanx_extender_pods_pinned_total ", pinned_, "\n");
    out += "# HELP phalanx_extender_api_errors_total Failed API writes by call.\n";
    out += "# TYPE phalanx_extender_api_errors_total counter\n";
    for (const auto& [call, n] : api_errors_) {
      absl::StrAppend(&out, "phalanx_extender_api_errors_total{call=\"", call, "\"} ", n, "\n");
    }
    out += "# HELP phalanx_extender_leader 1 while this replica runs the planner.\n";
    out += "# TYPE phalanx_extender_leader gauge\n";
    absl::StrAppend(&out, "phalanx_extender_leader ", leader_ ? 1 : 0, "\n");
  }
  if (counts) {
    const StateCounts c = counts();
    out += "# HELP phalanx_extender_cache_objects Objects in the extender's model by kind.\n";
    out += "# TYPE phalanx_extender_cache_objects gauge\n";
    const std::pair<const char*, size_t> kinds[] = {{"nodes", c.nodes},           {"bound_pods", c.bound_pods},
                                                    {"gated_pods", c.gated_pods}, {"jobsets", c.jobsets},
                                                    {"reservations", c.reservations},
                                                    {"pending_gangs", c.pending_gangs}};
    for (const auto& [kind, n] : kinds) {
      absl::StrAppend(&out, "phalanx_extender_cache_objects{kind=\"", kind, "\"} ", n, "\n");
    }
  }
  return out;
}

}  // namespace phalanx::extender
