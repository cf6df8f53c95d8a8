// api/job.h
//
// batch/v1 Job and v1 Service as Phalanx builds and observes them: the child objects of a JobSet.
// Modeled fields are those the controller reads or writes; the rest rides in `extra`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/jobset.h"
#include "api/meta.h"
#include "api/raw_json.h"

namespace phalanx::api {

struct JobCondition {
  std::string type;    // "Complete", "Failed", "Suspended", "FailureTarget", "SuccessCriteriaMet"
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;
  RawJson extra;
};

struct JobStatus {
  std::vector<JobCondition> conditions;
  std::optional<int32_t> active;
  std::optional<int32_t> ready;
  std::optional<int32_t> succeeded;
  std::optional<int32_t> failed;
  std::optional<std::string> start_time;
  std::optional<std::string> completion_time;
  RawJson extra;
};

struct Job {
  std::string api_version = "batch/v1";
  std::string kind = "Job";
  ObjectMeta metadata;
  JobSpec spec;
  std::optional<JobStatus> status;
  RawJson extra;
};

struct Service {
  std::string api_version = "v1";
  std::string kind = "Service";
  ObjectMeta metadata;
  // spec: clusterIP None, selector, publishNotReadyAddresses; other spec fields in spec_extra.
  std::optional<std::string> cluster_ip;
  std::optional<StringMap> selector;
  std::optional<bool> publish_not_ready_addresses;
  RawJson spec_extra;
  RawJson extra;
};

}  // namespace phalanx::api
