#include "kube/watch_decoder.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "kube/errors.h"
#include "kube/internal/object_rapidjson.h"
#include "rapidjson/document.h"

namespace phalanx::kube {

// RapidJSON: every informer event of every binary comes this way.
absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line) {
  rapidjson::Document doc;
  if (!internal::ParseRapid(line, doc).ok() || !doc.IsObject()) {
    return absl::DataLossError("watch event is not a JSON object");
  }
  const std::string type = internal::StringMember(doc, "type");
  auto oit = doc.FindMember("object");
  if (oit == doc.MemberEnd() || !oit->value.IsObject()) return absl::DataLossError("watch event has no object");
  const rapidjson::Value& object_json = oit->value;
  std::string text = internal::WriteValue(object_json);
  WatchEvent ev{WatchEventType::kError, Object{}, absl::OkStatus()};
  if (type == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else if (type == "ERROR") {
    auto cit = object_json.FindMember("code");
    const int code = cit != object_json.MemberEnd() && cit->value.IsInt() ? cit->value.GetInt() : 500;
    ev.error = StatusFromResponse(code, text);
  } else {
    return absl::DataLossError(absl::StrCat("unknown watch event type \"", type, "\""));
  }
  absl::StatusOr<Object> obj = internal::ObjectFromValue(object_json, std::move(text));
  if (!obj.ok()) return obj.status();
  ev.object = *std::move(obj);
  return ev;
}


absl::Status WatchDecoder::Feed(absl::string_view data, std::deque<WatchEvent>& out) {
  buffer_.append(data.data(), data.size());
  size_t start = 0;
  size_t nl;
  while ((nl = buffer_.find('\n', start)) != std::string::npos) {
    absl::string_view line = absl::StripAsciiWhitespace(absl::string_view(buffer_).substr(start, nl - start));
    start = nl + 1;
    if (line.empty()) continue;
    absl::StatusOr<WatchEvent> ev = ParseWatchEvent(line);
    if (!ev.ok()) return ev.status();
    out.push_back(*std::move(ev));
  }
  buffer_.erase(0, start);
  if (buffer_.size() > kMaxWatchLineBytes) {
    return absl::DataLossError(absl::StrCat("watch event longer than ", kMaxWatchLineBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace phalanx::kube
