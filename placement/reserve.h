// placement/reserve.h
//
// Reservations: gang → one exclusive domain per Job, all-or-nothing.
//
// Reserve(gang) gives every exclusive Job of the gang its own whole domain of its exclusive key —
// unreserved, free of other pods (DaemonSet pods excepted), and with enough healthy, eligible
// capacity for all its pods — or reserves nothing and says why (Shortfall). Choice is best fit:
// domains in partly used coarser domains first (whole coarser domains stay free), then the smallest
// domain, then the lowest path, so equal inputs give equal answers. Non-exclusive Jobs of the gang
// are checked to fit outside reserved domains but hold nothing. With a colocate key, all Jobs lie in
// one domain of that key (partly used and smallest first), and each exclusive Job's domains are those
// of the gang's chain, Cluster::EnsureGangLevel(colocate, exclusive): the colocate key and the
// exclusive key form a chain by themselves (paths "block-1/rack-1") even when no configured chain
// links them, so finer values that repeat under different coarser domains are never merged. A
// colocate key finer than an exclusive key in a configured chain makes the gang invalid.
// Reservations are keyed by JobKey (JobSet UID + ReplicatedJob + index), not by restart attempt, so
// a restarted Job keeps its domain. Calling Reserve again for a reserved gang re-checks it: a Job
// whose domain can no longer hold it (nodes NotReady, cordoned, tainted, removed or relabelled) and
// that has no bound pods is moved to a domain that can; otherwise it stays and is reported stranded.
// If the gang's list of Jobs changed, the old reservation is dropped and the gang placed afresh.
// Cost: O(domains of the key + nodes of the domains examined), never a scan of unrelated levels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "placement/cluster.h"
#include "placement/explain.h"
#include "placement/model.h"

namespace phalanx::placement {

struct JobSlot {
  JobKey job;
  std::string name;
  DomainId domain = kNoDomain;  // kNoDomain: non-exclusive Job, nothing held
  OwnerId owner = kNoOwner;
};

struct Reservation {
  GangId gang;
  std::string owner;  // "ml/train"
  int32_t priority = 0;
  DomainId colocate = kNoDomain;
  std::vector<JobSlot> jobs;  // in demand order
};

struct ReserveResult {
  enum class Outcome { kPlaced, kKept, kUnplaced };
  Outcome outcome = Outcome::kUnplaced;
  std::optional<Reservation> reservation;  // set unless kUnplaced
  std::vector<JobKey> moved;               // re-placed to a new domain by this call
  std::vector<JobKey> stranded;            // domain cannot hold the Job, but it could not move
  Shortfall shortfall;                     // kUnplaced: why
  std::string reason;                      // Explain(shortfall)

  bool placed() const { return outcome != Outcome::kUnplaced; }
};

class Reservations {
 public:
  // See the file comment. Mutates `cluster` only through Claim/Unclaim and level indexing.
  ReserveResult Reserve(Cluster& cluster, const GangDemand& gang);

  // Drops the gang's reservation (JobSet completed, failed, suspended or deleted). No-op if absent.
  void Release(Cluster& cluster, const GangId& gang);

  // Rebuilds a reservation recorded elsewhere (after an extender restart): `domains` gives, per
  // exclusive Job, the full path of its domain on the gang's chain for the Job's exclusive key —
  // exactly `cluster.domain(slot.domain).path` of the reservation Reserve made ("block-1/rack-1" for a
  // gang colocated on block and exclusive on rack; a bare "rack-1" names no domain there). Fails (and
  // records nothing) if a domain is unknown or held by another reservation.
  absl::Status Adopt(Cluster& cluster, const GangDemand& gang,
                     absl::Span<const std::pair<JobKey, std::string>> domains);

  const Reservation* Find(const GangId& gang) const;
  // The reservation and slot of `job`, if its gang is reserved.
  std::optional<std::pair<const Reservation*, const JobSlot*>> FindJob(const JobKey& job) const;
  // "ml/train job train-workers-2" for the holder of a claim.
  std::string OwnerName(OwnerId owner) const;
  // The gang holding `owner`, if any.
  const Reservation* OwnerGang(OwnerId owner) const;
  size_t size() const { return gangs_.size(); }
  // Every reserved gang, sorted.
  std::vector<GangId> Gangs() const;

 private:
  void Record(Cluster& cluster, const GangDemand& gang, DomainId colocate,
              const std::vector<DomainId>& domains);
  OwnerId NewOwner(const GangId& gang, size_t job);

  absl::node_hash_map<GangId, Reservation> gangs_;
  absl::flat_hash_map<JobKey, std::pair<GangId, size_t>> jobs_;
  std::vector<std::optional<std::pair<GangId, size_t>>> owners_;
  std::vector<OwnerId> free_owners_;
};

}  // namespace phalanx::placement
