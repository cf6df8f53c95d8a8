#include "placement/name_index.h"

#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace phalanx::placement {
namespace {

uint32_t Lookup(const NameIndex& idx, const std::map<uint32_t, std::string>& names,
                const std::string& name) {
  return idx.Find(name, NameIndex::Hash(name),
                  [&](uint32_t id) { return names.at(id) == name; });
}

TEST(PlacementNameIndexTest, InsertFindErase) {
  NameIndex idx;
  std::map<uint32_t, std::string> names;
  EXPECT_EQ(Lookup(idx, names, "a"), NameIndex::kNone);
  const std::string long_a(70, 'x');
  std::string long_b = long_a;
  long_b.back() = 'y';  // same length and 48-byte prefix: only the tail differs
  names = {{1, "node-1"}, {2, long_a}, {3, long_b}, {4, ""}};
  for (const auto& [id, n] : names) idx.Insert(n, id);
  EXPECT_EQ(Lookup(idx, names, "node-1"), 1u);
  EXPECT_EQ(Lookup(idx, names, long_a), 2u);
  EXPECT_EQ(Lookup(idx, names, long_b), 3u);
  EXPECT_EQ(Lookup(idx, names, ""), 4u);
  EXPECT_EQ(Lookup(idx, names, "node-2"), NameIndex::kNone);
  idx.Erase(long_a, 2);
  EXPECT_EQ(Lookup(idx, names, long_a), NameIndex::kNone);
  EXPECT_EQ(Lookup(idx, names, long_b), 3u);
  EXPECT_EQ(idx.size(), 3u);
}

// Random inserts and erases against std::map; exercises growth and backward-shift deletion.
TEST(PlacementNameIndexTest, MatchesAMapUnderChurn) {
  std::mt19937 rng(99);
  NameIndex idx;
  std::map<std::string, uint32_t> want;
  std::map<uint32_t, std::string> names;
  uint32_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string name = absl::StrCat("gke-pool-", rng() % 3000);
    auto it = want.find(name);
    if (it == want.end()) {
      idx.Insert(name, next);
      names[next] = name;
      want[name] = next++;
    } else if (rng() % 2 == 0) {
      idx.Erase(name, it->second);
      want.erase(it);
    }
    if (step % 1000 == 0) {
      for (int k = 0; k < 3000; ++k) {
        const std::string probe = absl::StrCat("gke-pool-", k);
        auto w = want.find(probe);
        ASSERT_EQ(Lookup(idx, names, probe), w == want.end() ? NameIndex::kNone : w->second)
            << probe << " at step " << step;
      }
    }
  }
  EXPECT_EQ(idx.size(), want.size());
}

}  // namespace
}  // namespace phalanx::placement
