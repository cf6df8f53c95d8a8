#include "webhook/metrics.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace phalanx::webhook {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountsByPathAndResultAndFoldsUnknownPaths) {
  Metrics m;
  m.Observe("/mutate--v1-pod", "patched", 0.0002);
  m.Observe("/mutate--v1-pod", "patched", 0.0003);
  m.Observe("/mutate--v1-pod", "allowed", 0.002);
  m.Observe("/wp-login.php", "not_found", 0.00001);
  m.Observe("/.env", "not_found", 0.00001);
  EXPECT_EQ(m.RequestCount("/mutate--v1-pod", "patched"), 2u);
  EXPECT_EQ(m.RequestCount("/mutate--v1-pod", "allowed"), 1u);
  EXPECT_EQ(m.RequestCount("other", "not_found"), 2u);
  EXPECT_EQ(m.RequestCount("/validate--v1-pod", "allowed"), 0u);

  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE phalanx_webhook_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr(
                        "phalanx_webhook_requests_total{path=\"/mutate--v1-pod\",result=\"patched\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_requests_total{path=\"other\",result=\"not_found\"} 2\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("wp-login")));
  EXPECT_THAT(text, HasSubstr("# TYPE phalanx_webhook_request_duration_seconds histogram\n"));
  // Buckets are cumulative: 0.0002 ≤ 0.00025; 0.0003 ≤ 0.0005; 0.002 ≤ 0.0025.
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/mutate--v1-pod\",le=\"0.0001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/mutate--v1-pod\",le=\"0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/mutate--v1-pod\",le=\"0.0005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/mutate--v1-pod\",le=\"0.0025\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_bucket{path=\"/mutate--v1-pod\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_count{path=\"/mutate--v1-pod\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("phalanx_webhook_request_duration_seconds_sum{path=\"/mutate--v1-pod\"} 0.0025\n"));
}

// The build's version and commit, as a gauge of value 1 with the TYPE line Prometheus expects.
TEST(MetricsTest, BuildInfo) {
  const std::string text = Metrics().Render();
  EXPECT_THAT(text, HasSubstr("# TYPE phalanx_build_info gauge\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("phalanx_build_info{version=\"", AsAbsl(Version()),
                                           "\",commit=\"", AsAbsl(GitCommit()), "\"} 1\n")));
  EXPECT_FALSE(Version().empty());
}

// The process gauges every binary carries: resident memory (a positive byte count) and start time.
TEST(MetricsTest, ProcessGauges) {
  const std::string text = Metrics().Render();
  size_t at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stoll(text.substr(at + 31)), 0) << text;
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "));
}

TEST(MetricsTest, CertificateReloads) {
  Metrics m;
  EXPECT_THAT(m.Render(), HasSubstr("phalanx_webhook_certificate_reloads_total 0\n"));
  m.CertificateReloaded();
  m.CertificateReloaded();
  EXPECT_THAT(m.Render(), HasSubstr("phalanx_webhook_certificate_reloads_total 2\n"));
}

}  // namespace
}  // namespace phalanx::webhook
