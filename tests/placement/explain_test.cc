#include "placement/explain.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace phalanx::placement {
namespace {

TEST(PlacementExplainTest, Table) {
  struct Case {
    std::string name;
    Shortfall s;
    std::string want;
  };
  Shortfall ex;
  ex.kind = Shortfall::Kind::kExclusive;
  ex.key = "cloud.google.com/gke-nodepool";
  ex.needed = 4;
  ex.pods_per_job = 16;
  ex.per_pod = "cpu: 1, google.com/tpu: 4";
  ex.total = 5;
  ex.free = 3;
  ex.reserved = 2;
  ex.reserved_by = {{"ml/train", 2}};
  Shortfall many = ex;
  many.reserved = 5;
  many.reserved_by = {{"ml/a", 2}, {"ml/b", 1}};
  many.occupied = 1;
  many.too_small = 2;
  Shortfall none = ex;
  none.total = 0;
  none.free = 0;
  none.reserved = 0;
  none.reserved_by.clear();
  Shortfall chained = none;
  chained.key = "rack";
  chained.path_keys = {"block", "rack"};
  Shortfall mixed = none;
  mixed.needed = 1;
  mixed.other_jobs = 2;
  mixed.total = 3;
  mixed.free = 3;
  Shortfall col;
  col.kind = Shortfall::Kind::kColocate;
  col.key = "sb";
  col.colocate_key = "block";
  col.needed = 3;
  col.best_colocate = "block=b1";
  col.best_colocate_jobs = 2;
  Shortfall col_path = col;
  col_path.best_colocate = "block=region-1/b1";
  Shortfall cap;
  cap.kind = Shortfall::Kind::kCapacity;
  cap.needed = 2;
  cap.per_pod = "cpu: 8, memory: 1000Gi";
  cap.fitted = 1;
  Shortfall nothing = cap;
  nothing.needed = 1;
  nothing.per_pod = "";
  nothing.fitted = 0;
  Shortfall bad;
  bad.kind = Shortfall::Kind::kInvalid;
  bad.detail = "no jobs";
  const std::vector<Case> cases = {
      {"none", Shortfall{}, ""},
      {"exclusive",
       ex,
       "gang needs 4 domains of cloud.google.com/gke-nodepool with 16 pods of {cpu: 1, google.com/tpu: 4}; "
       "3 free, 2 reserved by ml/train"},
      {"several owners",
       many,
       "gang needs 4 domains of cloud.google.com/gke-nodepool with 16 pods of {cpu: 1, google.com/tpu: 4}; "
       "3 free, 5 reserved by ml/a (2), ml/b (1) and others, 1 in use by other pods, 2 too small "
       "or unhealthy"},
      {"no domains",
       none,
       "gang needs 4 domains of cloud.google.com/gke-nodepool with 16 pods of {cpu: 1, google.com/tpu: 4}; "
       "0 free (no node has label cloud.google.com/gke-nodepool)"},
      {"no domains on a chain",
       chained,
       "gang needs 4 domains of rack with 16 pods of {cpu: 1, google.com/tpu: 4}; 0 free (no node has all of "
       "the labels block, rack)"},
      {"jobs of several sizes",
       mixed,
       "gang needs 1 domain of cloud.google.com/gke-nodepool with 16 pods of {cpu: 1, google.com/tpu: 4} "
       "besides 2 for its other Jobs; 3 free"},
      {"colocate", col, "gang needs 3 domains of sb within one block; best block=b1 has 2 free"},
      {"colocate, best by full path", col_path,
       "gang needs 3 domains of sb within one block; best block=region-1/b1 has 2 free"},
      {"capacity", cap,
       "gang needs 2 pods of {cpu: 8, memory: 1000Gi} outside reserved domains; 1 fit"},
      {"one pod requesting nothing", nothing, "gang needs 1 pod outside reserved domains; 0 fit"},
      {"invalid", bad, "invalid gang: no jobs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Explain(c.s), c.want);
  }
}

}  // namespace
}  // namespace phalanx::placement
