#include "common/bind_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace phalanx {

absl::StatusOr<std::pair<std::string, int>> ParseBindAddress(const std::string& address) {
  std::string host;
  std::string port = address;
  if (size_t colon = address.rfind(':'); colon != std::string::npos) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int p = 0;
  if (!absl::SimpleAtoi(port, &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad bind address \"", address, "\""));
  }
  if (host.empty()) host = "0.0.0.0";
  return std::make_pair(host, p);
}

}  // namespace phalanx
