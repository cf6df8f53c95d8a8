// webhook/metrics.h
//
// Request metrics for the webhook in Prometheus text exposition format (version 0.0.4):
//   phalanx_build_info{version,commit}              gauge, always 1 (common/version.h)
//   process_resident_memory_bytes, process_start_time_seconds   gauges (common/process_metrics.h)
//   phalanx_webhook_requests_total{path,result}            counter
//   phalanx_webhook_request_duration_seconds{path}          histogram (server time, body in → body out)
//   phalanx_webhook_certificate_reloads_total               counter
// Paths outside the known set are folded into path="other" so a scanner cannot grow the label space.
// Thread-safe: Observe() is called from every HTTP worker thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace phalanx::webhook {

class Metrics {
 public:
  // Upper bounds in seconds; admission work is sub-millisecond, the API server's timeout is seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

  void Observe(std::string_view path, std::string_view result, double seconds);
  void CertificateReloaded();
  // The full exposition text.
  std::string Render() const;

  // Counter value, for tests.
  uint64_t RequestCount(std::string_view path, std::string_view result) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  static std::string_view PathLabel(std::string_view path);

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  uint64_t cert_reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::webhook
