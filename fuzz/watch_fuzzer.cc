// fuzz/watch_fuzzer.cc — a watch response body through kube::WatchDecoder, cut into chunks whose sizes
// come from the first byte. The same bytes in one chunk must give the same events (framing does not
// depend on where the network cuts).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>

#include "absl/strings/string_view.h"
#include "kube/watch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  phalanx::kube::WatchDecoder whole;
  std::deque<phalanx::kube::WatchEvent> expected;
  const absl::Status whole_status = whole.Feed(body, expected);
  phalanx::kube::WatchDecoder cut;
  std::deque<phalanx::kube::WatchEvent> events;
  absl::Status status;
  for (size_t at = 0; at < body.size() && status.ok(); at += chunk) status = cut.Feed(body.substr(at, chunk), events);
  if (whole_status.ok() != status.ok()) std::abort();
  if (status.ok()) {
    if (events.size() != expected.size()) std::abort();
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].type != expected[i].type || events[i].object.json != expected[i].object.json) std::abort();
    }
  }
  return 0;
}
