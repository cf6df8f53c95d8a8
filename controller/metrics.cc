#include "controller/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/process_metrics.h"
#include "common/version.h"

namespace phalanx::controller {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::JobSetCompleted(const std::string& name, const std::string& ns) {
  absl::MutexLock l(&mu_);
  ++completed_[{name, ns}];
}

void Metrics::JobSetFailed(const std::string& name, const std::string& ns) {
  absl::MutexLock l(&mu_);
  ++failed_[{name, ns}];
}

void Metrics::ObserveReconcile(double seconds, bool error) {
  absl::MutexLock l(&mu_);
  if (error) {
    ++errors_;
  } else {
    ++successes_;
  }
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets_[i];
      break;
    }
  }
  sum_ += seconds;
}

uint64_t Metrics::Completed(const std::string& name, const std::string& ns) const {
  absl::MutexLock l(&mu_);
  auto it = completed_.find({name, ns});
  return it == completed_.end() ? 0 : it->second;
}

uint64_t Metrics::Failed(const std::string& name, const std::string& ns) const {
  absl::MutexLock l(&mu_);
  auto it = failed_.find({name, ns});
  return it == failed_.end() ? 0 : it->second;
}

uint64_t Metrics::Errors() const {
  absl::MutexLock l(&mu_);
  return errors_;
}

std::string Metrics::Render() const {
  absl::MutexLock l(&mu_);
  std::string out = BuildInfoMetric() + ProcessMetricsText();
  auto counter = [&](const char* name, const char* help,
                     const std::map<std::pair<std::string, std::string>, uint64_t>& values) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (const auto& [key, v] : values) {
      absl::StrAppend(&out, name, "{jobset_name=\"", Escape(key.first), "\",namespace=\"", Escape(key.second),
                      "\"} ", v, "\n");
    }
  };
  counter("jobset_completed_total", "The total number of completed JobSets.", completed_);
  counter("jobset_failed_total", "The total number of failed JobSets.", failed_);
  absl::StrAppend(&out,
                  "# HELP phalanx_controller_reconcile_total Reconciles by result.\n"
                  "# TYPE phalanx_controller_reconcile_total counter\n",
                  "phalanx_controller_reconcile_total{result=\"success\"} ", successes_, "\n",
                  "phalanx_controller_reconcile_total{result=\"error\"} ", errors_, "\n",
                  "# HELP phalanx_controller_reconcile_errors_total Reconciles that failed.\n"
                  "# TYPE phalanx_controller_reconcile_errors_total counter\n",
                  "phalanx_controller_reconcile_errors_total ", errors_, "\n",
                  "# HELP phalanx_controller_reconcile_duration_seconds Time per reconcile.\n"
                  "# TYPE phalanx_controller_reconcile_duration_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i];
    absl::StrAppend(&out, "phalanx_controller_reconcile_duration_seconds_bucket{le=\"",
                    absl::StrFormat("%g", kBuckets[i]), "\"} ", cumulative, "\n");
  }
  const uint64_t total = successes_ + errors_;
  absl::StrAppend(&out, "phalanx_controller_reconcile_duration_seconds_bucket{le=\"+Inf\"} ", total, "\n",
                  "phalanx_controller_reconcile_duration_seconds_sum ", absl::StrFormat("%.9g", sum_), "\n",
                  "phalanx_controller_reconcile_duration_seconds_count ", total, "\n");
  return out;
}

}  // namespace phalanx::controller
