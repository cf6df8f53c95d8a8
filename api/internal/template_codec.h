// api/internal/template_codec.h
//
// Codecs for the embedded Job template (JobTemplateSpec / JobSpec / PodTemplateSpec / PodSpec) and
// status conditions, shared by the JobSet and Job codecs.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "api/internal/json.h"
#include "api/job.h"
#include "api/jobset.h"

namespace phalanx::api::internal {

absl::Status DecodeJobTemplateSpec(Json obj, std::string_view path, JobTemplateSpec& out);
Json EncodeJobTemplateSpec(const JobTemplateSpec& t);

// A pod spec as JSON (modeled fields laid over the unmodeled ones).
Json EncodePodSpecForScheduling(const PodSpec& spec);

absl::Status DecodeJobSpec(Json obj, std::string_view path, JobSpec& out);
Json EncodeJobSpec(const JobSpec& s);

// A JobSet spec as JSON (the JobSet codec's own encoding; used to compare specs field by field).
Json EncodeJobSetSpec(const JobSetSpec& spec);

// Checks apiVersion and kind of a top-level object; erases them from `obj`.
absl::Status TakeTypeMeta(Json& obj, std::string_view want_api_version, std::string_view want_kind);

}  // namespace phalanx::api::internal
