// controller/metrics.h
//
// Controller metrics in Prometheus text format (0.0.4):
//   phalanx_build_info{version,commit}              gauge, always 1 (common/version.h)
//   process_resident_memory_bytes, process_start_time_seconds   gauges (common/process_metrics.h)
//   jobset_completed_total{jobset_name,namespace}   counter (upstream name)
//   jobset_failed_total{jobset_name,namespace}      counter (upstream name)
//   phalanx_controller_reconcile_total{result}      counter, result = success | error
//   phalanx_controller_reconcile_errors_total       counter
//   phalanx_controller_reconcile_duration_seconds   histogram
// The terminal counters are bumped after the status write that set the condition succeeded (upstream
// bumps before, so a write conflict can count twice; Phalanx does not). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace phalanx::controller {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  void JobSetCompleted(const std::string& name, const std::string& ns);
  void JobSetFailed(const std::string& name, const std::string& ns);
  void ObserveReconcile(double seconds, bool error);

  std::string Render() const;

  // For tests.
  uint64_t Completed(const std::string& name, const std::string& ns) const;
  uint64_t Failed(const std::string& name, const std::string& ns) const;
  uint64_t Errors() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> completed_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, uint64_t> failed_ ABSL_GUARDED_BY(mu_);
  uint64_t successes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<uint64_t, kBuckets.size()> buckets_ ABSL_GUARDED_BY(mu_){};
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::controller
