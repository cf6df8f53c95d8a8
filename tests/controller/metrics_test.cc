#include "controller/metrics.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/version.h"
#include "controller/http_server.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace phalanx::controller {
namespace {

TEST(MetricsTest, RendersUpstreamCountersAndLatency) {
  Metrics m;
  m.JobSetCompleted("train", "ml");
  m.JobSetCompleted("train", "ml");
  m.JobSetFailed("eval", "ml");
  m.ObserveReconcile(0.002, false);
  m.ObserveReconcile(2.0, true);
  std::string text = m.Render();
  EXPECT_TRUE(absl::StrContains(text, "# TYPE jobset_completed_total counter\n"));
  EXPECT_TRUE(absl::StrContains(text, "jobset_completed_total{jobset_name=\"train\",namespace=\"ml\"} 2\n"));
  EXPECT_TRUE(absl::StrContains(text, "jobset_failed_total{jobset_name=\"eval\",namespace=\"ml\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "phalanx_controller_reconcile_errors_total 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "phalanx_controller_reconcile_duration_seconds_bucket{le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "phalanx_controller_reconcile_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
  EXPECT_TRUE(absl::StrContains(text, "phalanx_controller_reconcile_duration_seconds_count 2\n"));
  EXPECT_EQ(m.Completed("train", "ml"), 2u);
  EXPECT_EQ(m.Errors(), 1u);
}

TEST(MetricsTest, BuildInfo) {
  const std::string text = Metrics().Render();
  EXPECT_TRUE(absl::StrContains(text, "# TYPE phalanx_build_info gauge\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("phalanx_build_info{version=\"", AsAbsl(Version()),
                                                   "\",commit=\"", AsAbsl(GitCommit()), "\"} 1\n")))
      << text;
}

// The process gauges every binary carries: resident memory (a positive byte count) and start time.
TEST(MetricsTest, ProcessGauges) {
  const std::string text = Metrics().Render();
  size_t at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stoll(text.substr(at + 31)), 0) << text;
  EXPECT_TRUE(absl::StrContains(text, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "))
      << text;
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.JobSetFailed("a\"b", "n");
  EXPECT_TRUE(absl::StrContains(m.Render(), "jobset_name=\"a\\\"b\""));
}

TEST(ProbeServerTest, RefusesBodiesItWouldHaveToHoldInMemory) {
  Metrics m;
  ProbeServer server(ProbeServerOptions{true, true, &m, nullptr});
  absl::StatusOr<int> port = server.Start("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  httplib::Client c("127.0.0.1", *port);
  auto big = c.Post("/healthz", std::string(1 << 20, 'x'), "application/octet-stream");
  ASSERT_TRUE(big) << httplib::to_string(big.error());
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
}

TEST(ProbeServerTest, ServesHealthReadinessAndMetrics) {
  Metrics m;
  m.JobSetCompleted("x", "default");
  bool ready = false;
  ProbeServer server(ProbeServerOptions{true, true, &m, [&] { return ready; }});
  absl::StatusOr<int> port = server.Start("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  httplib::Client c("127.0.0.1", *port);
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto readyz = c.Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 503);
  ready = true;
  EXPECT_EQ(c.Get("/readyz")->status, 200);
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(absl::StrContains(metrics->body, "jobset_completed_total{jobset_name=\"x\",namespace=\"default\"} 1"));
  EXPECT_EQ(c.Get("/nope")->status, 404);
  server.Stop();
}

}  // namespace
}  // namespace phalanx::controller
