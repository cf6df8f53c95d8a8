#include "api/job_key.h"

#include <openssl/sha.h>

namespace phalanx::api {

std::string JobKey(std::string_view ns, std::string_view job_name) {
  std::string input;
  input.reserve(ns.size() + 1 + job_name.size());
  input.append(ns).push_back('/');
  input.append(job_name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace phalanx::api
