// placement/explain.h
//
// Why a gang is not placed, as data (Shortfall, filled by Reservations::Reserve) and as one line of
// human text (Explain), e.g.
//   gang needs 4 domains of cloud.google.com/gke-nodepool with 16 pods of {cpu: 1, google.com/tpu: 4};
//   3 free, 2 reserved by ml/train
// Quantities are in Kubernetes' canonical form (placement/resources.h FormatRequest).
// The text is stable for equal inputs, so callers can aggregate or compare it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace phalanx::placement {

struct Shortfall {
  enum class Kind {
    kNone,       // nothing missing
    kInvalid,    // the demand itself is malformed
    kExclusive,  // not enough free domains of `key` for the Jobs of one shape
    kColocate,   // no single domain of `colocate_key` holds every Job
    kCapacity,   // non-exclusive Jobs do not fit outside reserved domains
  };
  Kind kind = Kind::kNone;
  std::string key;           // exclusive key of the shape that failed
  // kExclusive: the keys whose values make up the paths of `key`'s domains (coarse → fine), when
  // there are several (a configured chain, or the gang's colocate key above `key`); else empty.
  std::vector<std::string> path_keys;
  int32_t needed = 0;        // domains (kExclusive/kColocate) or pods (kCapacity) needed
  int32_t pods_per_job = 0;  // pods of each Job of that shape
  int32_t other_jobs = 0;    // kExclusive: the gang's other exclusive Jobs on the same key
  std::string per_pod;       // one pod's request, FormatRequest: "cpu: 1, google.com/tpu: 4"
  // Domains of `key`, by state (kExclusive): each domain counted once, first matching state wins.
  int32_t total = 0;
  int32_t free = 0;      // unreserved, unoccupied and big enough
  int32_t reserved = 0;  // held by other reservations
  std::vector<std::pair<std::string, int32_t>> reserved_by;  // top owners, most domains first
  int32_t occupied = 0;   // running pods of others
  int32_t too_small = 0;  // not enough healthy, eligible capacity
  // kColocate: the best domain of `colocate_key` and how many of `needed` Jobs it could hold.
  std::string colocate_key;
  std::string best_colocate;
  int32_t best_colocate_jobs = 0;
  int32_t fitted = 0;  // kCapacity: pods that did fit
  std::string detail;  // kInvalid: what is wrong
};

// One line of text, never empty for a Kind other than kNone.
std::string Explain(const Shortfall& s);

}  // namespace phalanx::placement
