// WatchDecoder: the real watch bodies (fixtures api/watch-*.jsonl) cut into chunks at every size give the
// same events; corrupt lines and endless lines end the stream with kDataLoss.
#include "kube/watch_decoder.h"

#include <deque>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/files.h"

namespace phalanx::kube {
namespace {

std::string Fixture(const std::string& name) {
  return ::phalanx::testing::ReadFileOrDie(::phalanx::testing::FixturesDir() + "/api/" + name);
}

TEST(WatchDecoderTest, ChunksCutAnywhereGiveTheSameEvents) {
  for (const char* name : {"watch-pods.jsonl", "watch-jobsets-rv1-gone.jsonl", "watch-nodes.jsonl"}) {
    const std::string body = Fixture(name);
    std::deque<WatchEvent> whole;
    WatchDecoder one;
    ASSERT_TRUE(one.Feed(body, whole).ok()) << name;
    ASSERT_FALSE(whole.empty()) << name;
    for (size_t chunk : {1u, 7u, 100u, 4096u}) {
      WatchDecoder d;
      std::deque<WatchEvent> events;
      for (size_t at = 0; at < body.size(); at += chunk) {
        ASSERT_TRUE(d.Feed(absl::string_view(body).substr(at, chunk), events).ok()) << name << " " << chunk;
      }
      ASSERT_EQ(events.size(), whole.size()) << name << " " << chunk;
      for (size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].type, whole[i].type);
        EXPECT_EQ(events[i].object.json, whole[i].object.json);
      }
    }
  }
}

TEST(WatchDecoderTest, TheGoneErrorIsAnEventWithItsStatus) {
  std::deque<WatchEvent> events;
  WatchDecoder d;
  ASSERT_TRUE(d.Feed(Fixture("watch-jobsets-rv1-gone.jsonl"), events).ok());
  bool gone = false;
  for (const WatchEvent& e : events) gone |= e.type == WatchEventType::kError && !e.error.ok();
  EXPECT_TRUE(gone);
}

TEST(WatchDecoderTest, CorruptOrEndlessLinesEndTheStream) {
  for (const std::string& bad : {std::string("{\n"), std::string("[]\n"), std::string("{\"type\":\"ADDED\"}\n"),
                                 std::string("{\"type\":\"NOPE\",\"object\":{}}\n")}) {
    WatchDecoder d;
    std::deque<WatchEvent> events;
    EXPECT_EQ(d.Feed(bad, events).code(), absl::StatusCode::kDataLoss) << bad;
  }
  WatchDecoder d;
  std::deque<WatchEvent> events;
  const std::string chunk(1 << 20, ' ');
  absl::Status s;
  for (int i = 0; i < 20 && s.ok(); ++i) s = d.Feed("{\"x\":\"" + chunk, events);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace phalanx::kube
