#include "kube/internal/json.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace phalanx::kube::internal {

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body is not valid JSON");
  return j;
}

std::string GetString(const Json& obj, absl::string_view key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(std::string(key));
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace phalanx::kube::internal
