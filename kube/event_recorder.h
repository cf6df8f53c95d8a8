// kube/event_recorder.h
//
// EventRecorder: writes events.k8s.io/v1 Events (eventTime as MicroTime, regarding, related, reason,
// note, type Normal|Warning, action, reportingController, reportingInstance). A repeat of the same event
// (same regarding object, type, reason, action, note and related) within `series_window` is not a new
// object: the first Event gets `series {count, lastObservedTime}` by a merge patch, as Kubernetes
// recorders do. Synchronous (one API call per Record); callers that must not block record from a
// queue of their own. Thread-safe.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kube/client.h"

namespace phalanx::kube {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;

  // The reference to an object as read from the server.
  static ObjectReference To(const Object& object);
};

struct EventSource {
  std::string reporting_controller;  // e.g. "jobset.sigs.k8s.io/jobset-controller"
  std::string reporting_instance;    // e.g. the pod name
};

class EventRecorder {
 public:
  EventRecorder(Client& client, const Clock& clock, EventSource source,
                absl::Duration series_window = absl::Minutes(6));

  // `type` is "Normal" or "Warning"; `note` is cut to 1 KiB (the API's limit). The Event lives in the regarding object's namespace ("default" for
  // cluster-scoped objects).
  absl::Status Record(const ObjectReference& regarding, absl::string_view type, absl::string_view reason,
                      absl::string_view action, absl::string_view note, const ObjectReference* related = nullptr);

 private:
  struct Series {
    std::string name;
    std::string ns;
    int64_t count = 1;
    absl::Time last;
  };
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string>;

  Client& client_;
  const Clock& clock_;
  const EventSource source_;
  const absl::Duration window_;
  absl::Mutex mu_;
  std::map<Key, Series> series_ ABSL_GUARDED_BY(mu_);
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::kube
