// placement/name_index.h
//
// Node name → NodeId, built for Filter's hot loop: one cache line per slot holding the hash, the id
// and the first 48 bytes of the name, so a lookup usually touches one line that can be prefetched
// from the hash alone (Prefetch, then Find). Open addressing with linear probing, load ≤ 1/2,
// backward-shift deletion. Names longer than 48 bytes are matched on hash, length and prefix here;
// the caller confirms the rest.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace phalanx::placement {

class NameIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFF;
  static constexpr size_t kInline = 48;

  static uint64_t Hash(std::string_view s);

  // `name` must not be present.
  void Insert(std::string_view name, uint32_t id);
  void Erase(std::string_view name, uint32_t id);

  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }
  // The id stored under `name` (whose Hash is `hash`), or kNone. For names longer than kInline
  // bytes, `same_name(id)` confirms a candidate that matched on hash, length and prefix.
  template <typename SameName>
  uint32_t Find(std::string_view name, uint64_t hash, SameName same_name) const {
    if (slots_.empty()) return kNone;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNone) return kNone;
      if (Matches(s, name, hash) && (name.size() <= kInline || same_name(s.id))) return s.id;
    }
  }

  size_t size() const { return size_; }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct alignas(64) Slot {
    uint64_t hash = 0;
    uint32_t id = kNone;
    uint32_t len = 0;
    char prefix[kInline] = {};
  };
  static bool Matches(const Slot& s, std::string_view name, uint64_t hash) {
    return s.hash == hash && s.len == name.size() &&
           std::memcmp(s.prefix, name.data(), name.size() < kInline ? name.size() : kInline) == 0;
  }
  void Grow();
  void Place(const Slot& s);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace phalanx::placement
