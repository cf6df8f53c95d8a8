// api/names.h
//
// Kubernetes name and label-value checks with the exact messages apimachinery returns (an empty list
// means valid), and the child names JobSet generates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace phalanx::api {

inline constexpr std::string_view kDns1035TooLong = "must be no more than 63 characters";

std::vector<std::string> IsDns1035Label(std::string_view value);
std::vector<std::string> IsDns1123Subdomain(std::string_view value);
std::vector<std::string> IsValidLabelValue(std::string_view value);

// "<jobset>-<replicatedJob>-<jobIndex>"
std::string ChildJobName(std::string_view jobset, std::string_view rjob, int job_index);
// "<jobset>-<replicatedJob>-<jobIndex>-<podIndex>" (the Job controller appends "-<5 random chars>")
std::string ChildPodName(std::string_view jobset, std::string_view rjob, std::string_view job_index,
                         std::string_view pod_index);

}  // namespace phalanx::api
