// controller/resume.h
//
// The pod-template merge applied to an already-created child Job when the JobSet resumes (reference
// §4.10, §10): the replicated job's current pod template labels, annotations and nodeSelector are
// map-merged into the Job's (template wins on conflicts), tolerations and schedulingGates are set-unioned
// (the Job's entries first, then the template's new ones). Nothing is ever removed. This is how
// Kueue-injected node selectors, tolerations and scheduling gates reach existing Jobs. Pure.
#pragma once

#include "api/jobset.h"

namespace phalanx::controller {

void MergePodTemplateForResume(api::PodTemplateSpec& job_template, const api::PodTemplateSpec& rjob_template);

}  // namespace phalanx::controller
