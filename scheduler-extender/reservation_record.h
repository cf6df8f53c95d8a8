// scheduler-extender/reservation_record.h
//
// The reservation of a JobSet's gangs as the planner records it on the API: one annotation on the JobSet,
// `phalanx.dev/reservations`, whose value is a compact JSON object from "<replicatedJob>/<jobIndex>" to
// the Job's domain label "<topologyKey>=<path>" (the path of a chained key holds every coarser value,
// "block-1/rack-2"), or "" for a Job of a reserved gang that holds no exclusive domain. Keys are sorted,
// so equal reservations give equal text, and users read it with
//   kubectl get jobset NAME -o jsonpath='{.metadata.annotations.phalanx\.dev/reservations}'
// The annotation is the source of truth after an extender restart (every replica rebuilds its
// reservations from it). Pure; value types.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace phalanx::extender {

// "<replicatedJob>/<jobIndex>" → "<key>=<path>" or "".
using ReservationRecord = std::map<std::string, std::string>;

std::string RecordJobName(std::string_view replicated_job, int index);

std::string EncodeReservationRecord(const ReservationRecord& record);
// kInvalidArgument for anything but a JSON object of strings whose keys are "<name>/<index>".
absl::StatusOr<ReservationRecord> DecodeReservationRecord(std::string_view text);

// "<key>=<path>" → (key, path); kInvalidArgument when there is no '=' or either side is empty.
absl::StatusOr<std::pair<std::string, std::string>> SplitDomainLabel(std::string_view label);

}  // namespace phalanx::extender
