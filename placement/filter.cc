#include "placement/filter.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace phalanx::placement {

namespace {

enum class Code : uint8_t {
  kPass,
  kUnknownNode,
  kNotReady,
  kCordoned,
  kNotPlaced,
  kOutsideDomain,
  kReservedBy,
  kSelector,
  kTaint,
  kInsufficient,
};

struct Check {
  Code code = Code::kPass;
  uint32_t detail = 0;
};

// Everything about the pod that does not depend on the node, computed once per call.
struct PodContext {
  PodContext(const Cluster& c, const Reservations& r, const PodDemand& pod,
             const FilterOptions& options)
      : cluster(c),
        reservations(r),
        pod(pod),
        req(ToRequestReadOnly(c.resources(), pod.requests)),
        elig(c.labels(), pod.eligibility) {
    if (pod.job.has_value()) {
      if (auto slot = r.FindJob(*pod.job); slot.has_value()) {
        domain = slot->second->domain;
        if (domain != kNoDomain) {
          owner = slot->second->owner;
          level = c.domain(domain).level;
        }
      }
    }
    not_placed = domain == kNoDomain && !pod.exclusive_key.empty();
    may_enter_reserved =
        pod.daemonset || (!pod.job.has_value() && options.allow_non_jobset_pods_in_reserved_domains);
  }

  Check Run(NodeId n) const {
    const NodeState& ns = cluster.node(n);
    if (!ns.ready) return {Code::kNotReady, 0};
    if (ns.unschedulable) return {Code::kCordoned, 0};
    if (not_placed) return {Code::kNotPlaced, 0};
    if (domain != kNoDomain) {
      if (cluster.NodeDomain(n, level) != domain) return {Code::kOutsideDomain, domain};
    } else if (ns.claims > 0 && !may_enter_reserved) {
      return {Code::kReservedBy, ns.owner};
    }
    switch (cluster.CheckEligibility(elig, n)) {
      case EligibilityResult::kOk:
        break;
      case EligibilityResult::kSelectorMismatch:
        return {Code::kSelector, 0};
      case EligibilityResult::kUntoleratedTaint:
        return {Code::kTaint, 0};
    }
    if (auto r = FirstShort(ns.capacity, ns.used, req); r.has_value()) {
      return {Code::kInsufficient, *r};
    }
    return {Code::kPass, 0};
  }

  std::string Text(Check c) const {
    switch (c.code) {
      case Code::kPass:
        return "";
      case Code::kUnknownNode:
        return "node unknown to placement";
      case Code::kNotReady:
        return "node not ready";
      case Code::kCordoned:
        return "node unschedulable";
      case Code::kNotPlaced:
        return "gang not placed yet";
      case Code::kOutsideDomain:
        return absl::StrCat("outside reserved domain ", cluster.DomainLabel(c.detail));
      case Code::kReservedBy: {
        if (const Reservation* r = reservations.OwnerGang(c.detail); r != nullptr) {
          for (const JobSlot& slot : r->jobs) {
            if (slot.owner != c.detail) continue;
            return absl::StrCat("domain ", cluster.DomainLabel(slot.domain), " reserved by ",
                                reservations.OwnerName(c.detail));
          }
        }
        return "domain reserved by another gang";
      }
      case Code::kSelector:
        return "node does not match pod's node selector or affinity";
      case Code::kTaint:
        return "node has a taint the pod does not tolerate";
      case Code::kInsufficient:
        return absl::StrCat("insufficient ", cluster.resources().name(c.detail));
    }
    return "";
  }

  const Cluster& cluster;
  const Reservations& reservations;
  const PodDemand& pod;
  RequestVec req;
  CompiledEligibility elig;
  DomainId domain = kNoDomain;
  OwnerId owner = kNoOwner;
  LevelId level = kNoLevel;
  bool not_placed = false;
  bool may_enter_reserved = false;
};

template <typename Name>
FilterResult FilterImpl(const Cluster& cluster, const Reservations& reservations,
                        const PodDemand& pod, absl::Span<const Name> names,
                        const FilterOptions& options) {
  const PodContext ctx(cluster, reservations, pod, options);
  FilterResult out;
  out.verdicts.resize(names.size());
  out.reason_ids.resize(names.size());
  absl::flat_hash_map<uint64_t, uint16_t> seen;
  // Names are resolved a chunk at a time so the node records FindNodes prefetched are still in
  // cache when Run reads them.
  constexpr size_t kChunk = 64;
  NodeId ids[kChunk];
  for (size_t i = 0; i < names.size(); ++i) {
    if (i % kChunk == 0) {
      cluster.FindNodes(names.subspan(i, std::min(kChunk, names.size() - i)), ids);
    }
    const NodeId id = ids[i % kChunk];
    const Check c = id != kNoNode ? ctx.Run(id) : Check{Code::kUnknownNode, 0};
    if (c.code == Code::kPass) {
      out.verdicts[i] = Verdict::kPass;
      continue;
    }
    out.verdicts[i] = c.code == Code::kInsufficient ? Verdict::kFail : Verdict::kUnresolvable;
    const uint64_t key = (static_cast<uint64_t>(c.code) << 32) | c.detail;
    auto [it, inserted] = seen.try_emplace(key, static_cast<uint16_t>(out.reasons.size()));
    if (inserted) out.reasons.push_back(ctx.Text(c));
    out.reason_ids[i] = it->second;
  }
  return out;
}

// Utilisation, after adding one pod of `req`, of the most loaded requested resource.
double Fullness(const ResourceVec& capacity, const ResourceVec& used, const RequestVec& req) {
  double best = 0;
  bool any = false;
  for (const Request& e : req) {
    if (e.id == 0 && req.size() > 1) continue;  // "pods" only when nothing else is requested
    const int64_t cap = At(capacity, e.id);
    if (cap <= 0) continue;
    any = true;
    best = std::max(best, static_cast<double>(At(used, e.id) + e.qty) / static_cast<double>(cap));
  }
  return any ? std::min(best, 1.0) : 0.0;
}

template <typename Name>
std::vector<int64_t> PrioritizeImpl(const Cluster& cluster, const Reservations& reservations,
                                    const PodDemand& pod, absl::Span<const Name> names,
                                    const FilterOptions& options) {
  const PodContext ctx(cluster, reservations, pod, options);
  std::vector<int64_t> scores(names.size(), 0);
  constexpr size_t kChunk = 64;
  NodeId ids[kChunk];
  for (size_t i = 0; i < names.size(); ++i) {
    if (i % kChunk == 0) {
      cluster.FindNodes(names.subspan(i, std::min(kChunk, names.size() - i)), ids);
    }
    const NodeId id = ids[i % kChunk];
    if (id == kNoNode || ctx.Run(id).code != Code::kPass) continue;
    const NodeState& ns = cluster.node(id);
    double score = Fullness(ns.capacity, ns.used, ctx.req);
    if (ctx.domain == kNoDomain) {
      // Outside reservations: prefer fuller domains so whole domains stay free.
      double dom = 0;
      int levels = 0;
      for (const auto& [d, pos] : ns.domains) {
        if (d == kNoDomain) continue;
        const Domain& dd = cluster.domain(d);
        dom += Fullness(dd.capacity, dd.used, ctx.req);
        ++levels;
      }
      if (levels > 0) score = (score + dom / levels) / 2;
    }
    scores[i] = std::clamp<int64_t>(std::llround(score * 10), 0, 10);
  }
  return scores;
}

}  // namespace

size_t FilterResult::passed() const {
  return static_cast<size_t>(std::count(verdicts.begin(), verdicts.end(), Verdict::kPass));
}

FilterResult Filter(const Cluster& cluster, const Reservations& reservations, const PodDemand& pod,
                    absl::Span<const std::string_view> names, const FilterOptions& options) {
  return FilterImpl(cluster, reservations, pod, names, options);
}

FilterResult Filter(const Cluster& cluster, const Reservations& reservations, const PodDemand& pod,
                    absl::Span<const std::string> names, const FilterOptions& options) {
  return FilterImpl(cluster, reservations, pod, names, options);
}

std::vector<int64_t> Prioritize(const Cluster& cluster, const Reservations& reservations,
                                const PodDemand& pod, absl::Span<const std::string_view> names,
                                const FilterOptions& options) {
  return PrioritizeImpl(cluster, reservations, pod, names, options);
}

std::vector<int64_t> Prioritize(const Cluster& cluster, const Reservations& reservations,
                                const PodDemand& pod, absl::Span<const std::string> names,
                                const FilterOptions& options) {
  return PrioritizeImpl(cluster, reservations, pod, names, options);
}

}  // namespace phalanx::placement
