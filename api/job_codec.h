// api/job_codec.h
//
// JSON ↔ batch/v1 Job and v1 Service, and the `v1` List wrapper `phalanx expand` prints. Same
// guarantees as api/jobset_codec.h: strict on modeled fields, unmodeled ones kept verbatim.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/job.h"

namespace phalanx::api {

absl::StatusOr<Job> DecodeJob(std::string_view json);
std::string EncodeJob(const Job& job);

absl::StatusOr<Service> DecodeService(std::string_view json);
std::string EncodeService(const Service& service);

// {"apiVersion":"v1","kind":"List","items":[...],"metadata":{}} from already-encoded items.
std::string EncodeList(const std::vector<std::string>& encoded_items);

}  // namespace phalanx::api
