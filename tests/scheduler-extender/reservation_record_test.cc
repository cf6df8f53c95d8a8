// The reservation annotation's text: stable, readable, and strict about what it accepts.
#include "scheduler-extender/reservation_record.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::extender {
namespace {

TEST(ReservationRecordTest, RoundTripsSortedAndCompact) {
  ReservationRecord r = {{"workers/1", "cloud.google.com/gke-nodepool=pool-b"},
                         {"workers/0", "cloud.google.com/gke-nodepool=pool-a"},
                         {"driver/0", ""}};
  const std::string text = EncodeReservationRecord(r);
  EXPECT_EQ(text,
            "{\"driver/0\":\"\",\"workers/0\":\"cloud.google.com/gke-nodepool=pool-a\","
            "\"workers/1\":\"cloud.google.com/gke-nodepool=pool-b\"}");
  absl::StatusOr<ReservationRecord> back = DecodeReservationRecord(text);
  ASSERT_OK(back.status());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(RecordJobName("workers", 12), "workers/12");
}

TEST(ReservationRecordTest, RefusesWhatIsNotARecord) {
  for (const char* bad : {"", "[]", "{\"workers\":\"a=b\"}", "{\"workers/x\":\"a=b\"}", "{\"/1\":\"a=b\"}",
                          "{\"workers/-1\":\"a=b\"}", "{\"workers/0\":3}", "{\"workers/0\":\"a=b\"", "\xff"}) {
    EXPECT_FALSE(DecodeReservationRecord(bad).ok()) << bad;
  }
}

TEST(ReservationRecordTest, SplitsDomainLabelsAtTheFirstEquals) {
  absl::StatusOr<std::pair<std::string, std::string>> s = SplitDomainLabel("topology.example.com/rack=b1/r=2");
  ASSERT_OK(s.status());
  EXPECT_EQ(s->first, "topology.example.com/rack");
  EXPECT_EQ(s->second, "b1/r=2");
  for (const char* bad : {"", "=x", "key=", "novalue"}) EXPECT_FALSE(SplitDomainLabel(bad).ok()) << bad;
}

}  // namespace
}  // namespace phalanx::extender
