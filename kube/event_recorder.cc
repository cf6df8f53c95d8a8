#include "kube/event_recorder.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kube/internal/json.h"
#include "kube/micro_time.h"

namespace phalanx::kube {
namespace {

using internal::Json;

// The API server rejects notes longer than 1 KiB (events.k8s.io/v1 validation).
constexpr size_t kMaxNoteBytes = 1024;

Json RefJson(const ObjectReference& r) {
  Json j = {{"apiVersion", r.api_version}, {"kind", r.kind}, {"name", r.name}};
  if (!r.namespace_.empty()) j["namespace"] = r.namespace_;
  if (!r.uid.empty()) j["uid"] = r.uid;
  return j;
}

}  // namespace

ObjectReference ObjectReference::To(const Object& object) {
  return ObjectReference{object.api_version, object.kind, object.meta.namespace_, object.meta.name, object.meta.uid};
}

EventRecorder::EventRecorder(Client& client, const Clock& clock, EventSource source, absl::Duration series_window)
    : client_(client), clock_(clock), source_(std::move(source)), window_(series_window) {}

absl::Status EventRecorder::Record(const ObjectReference& regarding, absl::string_view type, absl::string_view reason,
                                   absl::string_view action, absl::string_view note, const ObjectReference* related) {
  absl::Time now = clock_.Now();
  std::string ns = regarding.namespace_.empty() ? "default" : regarding.namespace_;
  Key key{regarding.uid + "/" + regarding.namespace_ + "/" + regarding.name,
          std::string(type),
          std::string(reason),
          std::string(action),
          std::string(note),
          related ? related->namespace_ + "/" + related->name : "",
          ns};
  std::string name;
  int64_t count = 0;
  {
    absl::MutexLock lock(&mu_);
    if (series_.size() > 4096) {  // keep the cache bounded: forget series past their window
      for (auto s = series_.begin(); s != series_.end();) {
        s = now - s->second.last > window_ ? series_.erase(s) : std::next(s);
      }
    }
    auto it = series_.find(key);
    if (it != series_.end() && now - it->second.last <= window_) {
      it->second.count++;
      it->second.last = now;
      name = it->second.name;
      count = it->second.count;
    } else {
      // Unique per recorder: the time in nanoseconds (hex) plus a sequence number.
      name = absl::StrFormat("%s.%x%04x", regarding.name, absl::ToUnixNanos(now), (seq_++) & 0xffff);
      series_[key] = Series{name, ns, 1, now};
    }
  }
  if (count > 1) {
    Json patch = {{"series", {{"count", count}, {"lastObservedTime", FormatMicroTime(now)}}}};
    absl::StatusOr<Object> patched = client_.Patch(kEvents, ns, name, PatchType::kMerge, internal::Dump(patch));
    if (!absl::IsNotFound(patched.status())) return patched.status();
    // The Event was deleted (TTL): start over with a fresh one.
    absl::MutexLock lock(&mu_);
    name = absl::StrFormat("%s.%x%04x", regarding.name, absl::ToUnixNanos(now), (seq_++) & 0xffff);
    series_[key] = Series{name, ns, 1, now};
  }
  Json ev = {{"apiVersion", "events.k8s.io/v1"},
             {"kind", "Event"},
             {"metadata", {{"name", name}, {"namespace", ns}}},
             {"eventTime", FormatMicroTime(now)},
             {"reportingController", source_.reporting_controller},
             {"reportingInstance", source_.reporting_instance},
             {"action", std::string(action)},
             {"reason", std::string(reason)},
             {"type", std::string(type)},
             {"note", std::string(note.substr(0, kMaxNoteBytes))},
             {"regarding", RefJson(regarding)}};
  if (related != nullptr) ev["related"] = RefJson(*related);
  return client_.Create(kEvents, ns, internal::Dump(ev)).status();
}

}  // namespace phalanx::kube
