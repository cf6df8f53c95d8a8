// scheduler-extender/metrics.h
//
// Extender metrics in Prometheus text format (0.0.4):
//   phalanx_build_info{version,commit}              gauge, always 1 (common/version.h)
//   process_resident_memory_bytes, process_start_time_seconds   gauges (common/process_metrics.h)
//   phalanx_extender_requests_total{verb,result}        counter; verb = filter | prioritize, result = ok | bad_request | error
//   phalanx_extender_request_duration_seconds{verb}     histogram: server time, body in → body out
//   phalanx_extender_plan_rounds_total                  counter
//   phalanx_extender_plan_round_duration_seconds        histogram
//   phalanx_extender_gangs_placed_total                 counter
//   phalanx_extender_gangs_waiting                      gauge (last round)
//   phalanx_extender_pods_pinned_total                  counter
//   phalanx_extender_api_errors_total{call}             counter; call = record | pin | event
//   phalanx_extender_leader                             gauge, 1 while this replica plans
//   phalanx_extender_cache_objects{kind}                gauge; kind = nodes | bound_pods | gated_pods | jobsets |
//                                                       reservations | pending_gangs (from a callback at render time)
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "scheduler-extender/state.h"

namespace phalanx::extender {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005,   0.01,   0.025,   0.1,    0.5,   1.0};

  void ObserveRequest(std::string_view verb, std::string_view result, absl::Duration server_time);
  void ObserveRound(int placed, int waiting, absl::Duration took);
  void CountPinned();
  void CountApiError(std::string_view call);
  void SetLeader(bool leader);
  void SetCounts(std::function<StateCounts()> counts);

  std::string Render() const;

  // For tests.
  uint64_t Requests(std::string_view verb, std::string_view result) const;
  uint64_t Pinned() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
    void Render(std::string& out, std::string_view name, std::string_view labels) const;
  };

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  Histogram rounds_ ABSL_GUARDED_BY(mu_);
  uint64_t placed_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pinned_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t> api_errors_ ABSL_GUARDED_BY(mu_);
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  std::function<StateCounts()> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace phalanx::extender
