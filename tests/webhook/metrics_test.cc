#include "webhook/metrics.h"

#include <string>

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

TEST(MetricsTest, CertificateReloads) {
  Metrics m;
  EXPECT_THAT(m.Render(), HasSubstr("phalanx_webhook_certificate_reloads_total 0\n"));
  m.CertificateReloaded();
  m.CertificateReloaded();
  EXPECT_THAT(m.Render(), HasSubstr("phalanx_webhook_certificate_reloads_total 2\n"));
}

}  // namespace
}  // namespace phalanx::webhook
