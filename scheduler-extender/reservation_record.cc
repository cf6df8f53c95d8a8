#include "scheduler-extender/reservation_record.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace phalanx::extender {

std::string RecordJobName(std::string_view replicated_job, int index) {
  return absl::StrCat(std::string(replicated_job), "/", index);
}

std::string EncodeReservationRecord(const ReservationRecord& record) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [job, domain] : record) j[job] = domain;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<ReservationRecord> DecodeReservationRecord(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("reservation record is not a JSON object");
  }
  ReservationRecord out;
  for (const auto& [job, domain] : j.items()) {
    size_t slash = job.rfind('/');
    int index = 0;
    if (slash == std::string::npos || slash == 0 ||
        !absl::SimpleAtoi(job.substr(slash + 1), &index) || index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("reservation record: key \"", job, "\" is not <replicatedJob>/<index>"));
    }
    if (!domain.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("reservation record: value of \"", job, "\" is not a string"));
    }
    out[job] = domain.get<std::string>();
  }
  return out;
}

absl::StatusOr<std::pair<std::string, std::string>> SplitDomainLabel(std::string_view label) {
  size_t eq = label.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == label.size()) {
    return absl::InvalidArgumentError(absl::StrCat("domain \"", std::string(label), "\" is not <key>=<path>"));
  }
  return std::make_pair(std::string(label.substr(0, eq)), std::string(label.substr(eq + 1)));
}

}  // namespace phalanx::extender
