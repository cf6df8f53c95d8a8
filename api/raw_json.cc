#include "api/raw_json.h"

#include <utility>

#include "api/internal/json.h"
#include "common/json_text.h"

namespace phalanx::api {
namespace {
const std::shared_ptr<const internal::JsonHolder>& EmptyObject() {
  static const auto* empty = new std::shared_ptr<const internal::JsonHolder>(
      std::make_shared<internal::JsonHolder>(internal::JsonHolder{"{}"}));
  return *empty;
}
}  // namespace

RawJson::RawJson() : holder_(EmptyObject()) {}
RawJson::RawJson(std::shared_ptr<const internal::JsonHolder> holder) : holder_(std::move(holder)) {}

absl::StatusOr<RawJson> RawJson::Parse(std::string_view text) {
  auto parsed = internal::ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  return internal::MakeRaw(*parsed);
}

std::string RawJson::Text() const { return holder_->text; }

bool RawJson::IsEmptyObject() const { return holder_->text == "{}"; }

bool operator==(const RawJson& a, const RawJson& b) {
  if (a.holder_ == b.holder_ || a.holder_->text == b.holder_->text) return true;
  // Different text can still be equal values (1 and 1.0): compare parsed, as before.
  return internal::AsJson(a) == internal::AsJson(b);
}

}  // namespace phalanx::api
