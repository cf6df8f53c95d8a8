// scheduler-extender/handler.h
//
// The extender's HTTP surface reduced to bytes in, bytes out, so tests feed it captured bodies:
//   Filter(body)     ExtenderArgs → ExtenderFilterResult (scheduler-extender/wire.h)
//   Prioritize(body) ExtenderArgs → HostPriorityList
// Malformed input is HTTP 400 with a one-line text body (the scheduler then reports a SchedulerError and
// retries the pod); "no room" is never an error, it is a failure map entry. Both verbs record request
// metrics. Thread-safe (ExtenderState and Metrics are).
#pragma once

#include <string>

#include "scheduler-extender/metrics.h"
#include "scheduler-extender/state.h"

namespace phalanx::extender {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class Handler {
 public:
  Handler(ExtenderState& state, Metrics& metrics) : state_(state), metrics_(metrics) {}

  Reply Filter(std::string body);
  Reply Prioritize(std::string body);

 private:
  ExtenderState& state_;
  Metrics& metrics_;
};

}  // namespace phalanx::extender
