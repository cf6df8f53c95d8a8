// kube/watch_decoder.h
//
// The framing of a watch response body: one JSON WatchEvent object ({"type": ADDED | MODIFIED |
// DELETED | BOOKMARK | ERROR, "object": {...}}) per line, in chunks that cut lines anywhere. Blank
// lines are skipped; an ERROR event carries the Status object (e.g. 410 Expired) as `error`.
//
// WatchDecoder::Feed takes the bytes as they arrive and appends every completed event. A line that is
// not such an event, or a line longer than kMaxWatchLineBytes (no object is near it: the API server
// stores at most ~1.5 MiB), is kDataLoss: the stream is corrupt and the caller re-watches.
// Not thread-safe (one per stream); ParseWatchEvent is pure.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kube/client.h"

namespace phalanx::kube {

inline constexpr size_t kMaxWatchLineBytes = 16u << 20;

// One line (without its newline) as an event.
absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line);

class WatchDecoder {
 public:
  absl::Status Feed(absl::string_view data, std::deque<WatchEvent>& out);

 private:
  std::string buffer_;
};

}  // namespace phalanx::kube
