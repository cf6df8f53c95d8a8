#include "webhook/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/process_metrics.h"
#include "common/version.h"

namespace phalanx::webhook {
namespace {

constexpr std::array<std::string_view, 8> kKnownPaths = {
    "/mutate-jobset-x-k8s-io-v1alpha2-jobset",
    "/validate-jobset-x-k8s-io-v1alpha2-jobset",
    "/mutate--v1-pod",
    "/validate--v1-pod",
    "/healthz",
    "/readyz",
    "/metrics",
    "other",
};

std::string FormatDouble(double v) { return absl::StrFormat("%g", v); }

}  // namespace

std::string_view Metrics::PathLabel(std::string_view path) {
  for (std::string_view p : kKnownPaths) {
    if (p == path) return p;
  }
  return "other";
}

void Metrics::Observe(std::string_view path, std::string_view result, double seconds) {
  std::string p(PathLabel(path));
  absl::MutexLock lock(&mu_);
  ++requests_[{p, std::string(result)}];
  Histogram& h = latency_[p];
  ++h.count;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

void Metrics::CertificateReloaded() {
  absl::MutexLock lock(&mu_);
  ++cert_reloads_;
}

uint64_t Metrics::RequestCount(std::string_view path, std::string_view result) const {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find({std::string(PathLabel(path)), std::string(result)});
  return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out = BuildInfoMetric() + ProcessMetricsText();
  out +=
      "# HELP phalanx_webhook_requests_total Admission and probe requests by path and result.\n"
      "# TYPE phalanx_webhook_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    absl::StrAppend(&out, "phalanx_webhook_requests_total{path=\"", key.first, "\",result=\"",
                    key.second, "\"} ", n, "\n");
  }
  out +=
      "# HELP phalanx_webhook_request_duration_seconds Time from request body to response body.\n"
      "# TYPE phalanx_webhook_request_duration_seconds histogram\n";
  for (const auto& [path, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      absl::StrAppend(&out, "phalanx_webhook_request_duration_seconds_bucket{path=\"", path,
                      "\",le=\"", FormatDouble(kBuckets[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "phalanx_webhook_request_duration_seconds_bucket{path=\"", path,
                    "\",le=\"+Inf\"} ", h.count, "\n");
    absl::StrAppend(&out, "phalanx_webhook_request_duration_seconds_sum{path=\"", path, "\"} ",
                    FormatDouble(h.sum), "\n");
    absl::StrAppend(&out, "phalanx_webhook_request_duration_seconds_count{path=\"", path, "\"} ",
                    h.count, "\n");
  }
  out +=
      "# HELP phalanx_webhook_certificate_reloads_total Serving certificate reloads after file "
      "changes.\n"
      "# TYPE phalanx_webhook_certificate_reloads_total counter\n";
  absl::StrAppend(&out, "phalanx_webhook_certificate_reloads_total ", cert_reloads_, "\n");
  return out;
}

}  // namespace phalanx::webhook
