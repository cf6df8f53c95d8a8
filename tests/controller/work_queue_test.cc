#include "controller/work_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace phalanx::controller {
namespace {

TEST(WorkQueueTest, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  q.Done("a");
  q.Done("b");
  EXPECT_TRUE(q.Idle());
}

TEST(WorkQueueTest, KeyBeingProcessedIsHandedOutAgainOnlyAfterDone) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");  // changed while in process
  EXPECT_EQ(q.Len(), 0u);  // not handed to a second worker
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_TRUE(q.Idle());
}

TEST(WorkQueueTest, NoKeyIsProcessedConcurrently) {
  WorkQueue q;
  std::atomic<int> in_flight{0};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        if (in_flight.fetch_add(1) != 0) overlap = true;
        std::this_thread::yield();
        in_flight.fetch_sub(1);
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("same");
  while (!q.Idle()) std::this_thread::yield();
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_GE(processed.load(), 1);
}

TEST(WorkQueueTest, RateLimitedBackoffDoublesAndForgetResets) {
  WorkQueue q(absl::Milliseconds(1), absl::Milliseconds(4));
  q.AddRateLimited("k");
  EXPECT_EQ(q.Failures("k"), 1);
  ASSERT_EQ(q.Get(), "k");  // after ~1 ms
  q.Done("k");
  q.AddRateLimited("k");
  q.AddRateLimited("k");
  EXPECT_EQ(q.Failures("k"), 3);
  q.Forget("k");
  EXPECT_EQ(q.Failures("k"), 0);
  ASSERT_EQ(q.Get(), "k");
  q.Done("k");
}

TEST(WorkQueueTest, AddAfterDelaysAndShutDownReleasesGet) {
  WorkQueue q;
  q.AddAfter("later", absl::Milliseconds(20));
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_FALSE(q.Idle());
  EXPECT_EQ(q.Get(), "later");
  q.Done("later");
  std::thread t([&] { EXPECT_EQ(q.Get(), std::nullopt); });
  q.ShutDown();
  t.join();
}

}  // namespace
}  // namespace phalanx::controller
