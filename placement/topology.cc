#include "placement/topology.h"

namespace phalanx::placement {

std::vector<std::string> PathKeys(const TopologyConfig& config, std::string_view key) {
  for (const std::vector<std::string>& chain : config.chains) {
    for (size_t i = 0; i < chain.size(); ++i) {
      if (chain[i] == key) return std::vector<std::string>(chain.begin(), chain.begin() + i + 1);
    }
  }
  return {std::string(key)};
}

}  // namespace phalanx::placement
