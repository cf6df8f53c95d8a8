#include "placement/name_index.h"

#include <algorithm>

namespace phalanx::placement {

namespace {

inline uint64_t Load(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t NameIndex::Hash(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    h = Mix(h ^ Load(p, 8));
    p += 8;
    n -= 8;
  }
  if (n > 0) h = Mix(h ^ Load(p, n) ^ (uint64_t{n} << 56));
  return Mix(h);
}

void NameIndex::Place(const Slot& s) {
  size_t i = s.hash & mask_;
  while (slots_[i].id != kNone) i = (i + 1) & mask_;
  slots_[i] = s;
}

void NameIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  const size_t cap = std::max<size_t>(64, old.size() * 2);
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (const Slot& s : old) {
    if (s.id != kNone) Place(s);
  }
}

void NameIndex::Insert(std::string_view name, uint32_t id) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  Slot s;
  s.hash = Hash(name);
  s.id = id;
  s.len = static_cast<uint32_t>(name.size());
  std::memcpy(s.prefix, name.data(), std::min(name.size(), kInline));
  Place(s);
  ++size_;
}

void NameIndex::Erase(std::string_view name, uint32_t id) {
  if (slots_.empty()) return;
  const uint64_t hash = Hash(name);
  size_t i = hash & mask_;
  while (true) {
    if (slots_[i].id == kNone) return;
    if (slots_[i].id == id && Matches(slots_[i], name, hash)) break;
    i = (i + 1) & mask_;
  }
  // Backward-shift: move later members of the probe run into the hole.
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; slots_[j].id != kNone; j = (j + 1) & mask_) {
    const size_t home = slots_[j].hash & mask_;
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

}  // namespace phalanx::placement
