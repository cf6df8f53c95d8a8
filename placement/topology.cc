#include "placement/topology.h"

#include <algorithm>

namespace phalanx::placement {

std::vector<std::string> PathKeys(const TopologyConfig& config, std::string_view key) {
  for (const std::vector<std::string>& chain : config.chains) {
    for (size_t i = 0; i < chain.size(); ++i) {
      if (chain[i] == key) return std::vector<std::string>(chain.begin(), chain.begin() + i + 1);
    }
  }
  return {std::string(key)};
}

std::vector<std::string> GangPathKeys(const TopologyConfig& config, std::string_view colocate_key,
                                      std::string_view exclusive_key) {
  std::vector<std::string> keys = PathKeys(config, exclusive_key);
  if (colocate_key.empty() || colocate_key == exclusive_key) return keys;
  if (std::find(keys.begin(), keys.end(), colocate_key) != keys.end()) return keys;
  std::vector<std::string> out = PathKeys(config, colocate_key);
  if (std::find(out.begin(), out.end(), exclusive_key) != out.end()) return keys;  // finer colocate
  for (std::string& k : keys) {
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
  }
  return out;
}

}  // namespace phalanx::placement
