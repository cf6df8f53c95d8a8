#include "scheduler-extender/handler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "scheduler-extender/wire.h"

namespace phalanx::extender {
namespace {

Reply BadRequest(const absl::Status& status) {
  Reply r;
  r.status = 400;
  r.content_type = "text/plain; charset=utf-8";
  r.body = absl::StrCat("bad ExtenderArgs: ", status.message(), "\n");
  return r;
}

}  // namespace

Reply Handler::Filter(std::string body) {
  const absl::Time start = absl::Now();
  absl::StatusOr<ExtenderArgs> args = ParseExtenderArgs(std::move(body));
  if (!args.ok()) {
    metrics_.ObserveRequest("filter", "bad_request", absl::Now() - start);
    return BadRequest(args.status());
  }
  placement::FilterResult result = state_.Filter(args->pod(), args->node_names());
  Reply r;
  r.body = EncodeFilterResult(*args, result);
  metrics_.ObserveRequest("filter", "ok", absl::Now() - start);
  return r;
}

Reply Handler::Prioritize(std::string body) {
  const absl::Time start = absl::Now();
  absl::StatusOr<ExtenderArgs> args = ParseExtenderArgs(std::move(body));
  if (!args.ok()) {
    metrics_.ObserveRequest("prioritize", "bad_request", absl::Now() - start);
    return BadRequest(args.status());
  }
  std::vector<int64_t> scores = state_.Prioritize(args->pod(), args->node_names());
  Reply r;
  r.body = EncodePrioritizeResult(*args, scores);
  metrics_.ObserveRequest("prioritize", "ok", absl::Now() - start);
  return r;
}

}  // namespace phalanx::extender
