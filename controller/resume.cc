#include "controller/resume.h"

#include <algorithm>

namespace phalanx::controller {
namespace {

void MergeMap(std::optional<api::StringMap>& into, const std::optional<api::StringMap>& from) {
  if (!from || from->empty()) return;
  if (!into) into.emplace();
  for (const auto& [k, v] : *from) (*into)[k] = v;
}

void MergeSet(std::optional<std::vector<api::RawJson>>& into, const std::optional<std::vector<api::RawJson>>& from) {
  if (!from || from->empty()) return;
  if (!into) into.emplace();
  for (const api::RawJson& item : *from) {
    if (std::find(into->begin(), into->end(), item) == into->end()) into->push_back(item);
  }
}

}  // namespace

void MergePodTemplateForResume(api::PodTemplateSpec& job_template, const api::PodTemplateSpec& rjob_template) {
  MergeMap(job_template.metadata.labels, rjob_template.metadata.labels);
  MergeMap(job_template.metadata.annotations, rjob_template.metadata.annotations);
  MergeMap(job_template.spec.node_selector, rjob_template.spec.node_selector);
  MergeSet(job_template.spec.tolerations, rjob_template.spec.tolerations);
  MergeSet(job_template.spec.scheduling_gates, rjob_template.spec.scheduling_gates);
}

}  // namespace phalanx::controller
