#include "api/raw_json.h"

#include <utility>

#include "api/internal/json.h"
#include "common/json_text.h"

namespace phalanx::api {
namespace {
const std::shared_ptr<const internal::JsonHolder>& EmptyObject() {
  static const auto* empty = new std::shared_ptr<const internal::JsonHolder>(
      std::make_shared<internal::JsonHolder>(internal::JsonHolder{internal::Json::object()}));
  return *empty;
}
}  // namespace

RawJson::RawJson() : holder_(EmptyObject()) {}
RawJson::RawJson(std::shared_ptr<const internal::JsonHolder> holder) : holder_(std::move(holder)) {}

absl::StatusOr<RawJson> RawJson::Parse(std::string_view text) {
  auto parsed = internal::ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  return internal::MakeRaw(std::move(*parsed));
}

std::string RawJson::Text() const { return JsonText(holder_->value); }

bool RawJson::IsEmptyObject() const {
  return holder_->value.is_object() && holder_->value.empty();
}

bool operator==(const RawJson& a, const RawJson& b) {
  return a.holder_ == b.holder_ || a.holder_->value == b.holder_->value;
}

}  // namespace phalanx::api
