// placement/filter.h
//
// Per-pod answers for the scheduler extender. Filter(pod, candidate node names) gives each node a
// verdict: pass; fail (Unschedulable — capacity, which preemption could free); or fail-unresolvable
// (health, eligibility, reservations — preemption cannot help). Members of a reserved exclusive Job
// pass only on their domain; every other pod is kept out of reserved domains (DaemonSet pods
// excepted; pods of no JobSet optionally allowed). Reasons are short categorical strings, equal for
// equal causes, so the scheduler's per-message aggregation stays readable.
// Prioritize gives 0–10 scores that pack pods tightly: fuller nodes first, and for pods outside
// reservations fuller domains first, so whole domains stay free for gangs.
// Both are O(names) hash lookups plus O(levels) per node; neither mutates anything.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "placement/cluster.h"
#include "placement/model.h"
#include "placement/reserve.h"

namespace phalanx::placement {

enum class Verdict : uint8_t { kPass, kFail, kUnresolvable };

struct FilterOptions {
  // Pods that belong to no JobSet may run on idle nodes of reserved domains.
  bool allow_non_jobset_pods_in_reserved_domains = false;
};

struct FilterResult {
  std::vector<Verdict> verdicts;     // one per candidate, in input order
  std::vector<uint16_t> reason_ids;  // index into `reasons` (unused for kPass)
  std::vector<std::string> reasons;  // distinct reason texts

  const std::string& reason(size_t i) const { return reasons[reason_ids[i]]; }
  size_t passed() const;
};

FilterResult Filter(const Cluster& cluster, const Reservations& reservations, const PodDemand& pod,
                    absl::Span<const std::string_view> names, const FilterOptions& options = {});
FilterResult Filter(const Cluster& cluster, const Reservations& reservations, const PodDemand& pod,
                    absl::Span<const std::string> names, const FilterOptions& options = {});

// Scores in [0, 10], one per candidate in input order; nodes Filter would reject score 0.
std::vector<int64_t> Prioritize(const Cluster& cluster, const Reservations& reservations,
                                const PodDemand& pod, absl::Span<const std::string_view> names,
                                const FilterOptions& options = {});
std::vector<int64_t> Prioritize(const Cluster& cluster, const Reservations& reservations,
                                const PodDemand& pod, absl::Span<const std::string> names,
                                const FilterOptions& options = {});

}  // namespace phalanx::placement
