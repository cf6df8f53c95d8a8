// api/job_key.h
//
// The `jobset.sigs.k8s.io/job-key` value: lowercase hex SHA-1 of "<namespace>/<jobName>" (upstream's
// documentation says SHA-256; its implementation, and every existing pod, uses SHA-1).
#pragma once

#include <string>
#include <string_view>

namespace phalanx::api {

std::string JobKey(std::string_view ns, std::string_view job_name);

}  // namespace phalanx::api
