#include "scheduler-extender/planner.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/labels.h"
#include "common/log.h"
#include "common/strings.h"
#include "scheduler-extender/fencing.h"
#include "nlohmann/json.hpp"

namespace phalanx::extender {
namespace {

constexpr char kReportingController[] = "phalanx.dev/extender";

// {"metadata":{"annotations":{"phalanx.dev/reservations": value | null}}}
std::string RecordPatch(const std::string& value) {
  nlohmann::json patch;
  nlohmann::json& annotations = patch["metadata"]["annotations"];
  if (value.empty()) {
    annotations[std::string(api::kReservationsKey)] = nullptr;
  } else {
    annotations[std::string(api::kReservationsKey)] = value;
  }
  return patch.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

kube::ObjectReference JobSetReference(const JobSetRef& js) {
  kube::ObjectReference ref;
  ref.api_version = std::string(api::kJobSetApiVersion);
  ref.kind = std::string(api::kJobSetKind);
  ref.namespace_ = js.ns;
  ref.name = js.name;
  ref.uid = js.uid;
  return ref;
}

}  // namespace

Planner::Planner(kube::Client& client, ExtenderState& state, const Clock& clock, Metrics& metrics,
                 std::function<bool()> ready, PlannerOptions options)
    : client_(client),
      state_(state),
      clock_(clock),
      metrics_(metrics),
      ready_(std::move(ready)),
      options_(std::move(options)),
      events_(client, clock, kube::EventSource{kReportingController, options_.reporting_instance}) {}

Planner::~Planner() { Stop(); }

void Planner::Start() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Planner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Planner::SetLeading(bool leading) {
  leading_ = leading;
  state_.SetLeading(leading);
  Wake();
}

void Planner::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void Planner::Loop() {
  while (true) {
    absl::SleepFor(options_.min_interval);
    {
      absl::MutexLock lock(&mu_);
      auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&cond), options_.resync);
      if (stopping_) return;
      woken_ = false;
    }
    RunOnce();
  }
}

bool Planner::RunOnce() {
  absl::MutexLock round(&round_mu_);
  if (ready_ && !ready_()) return false;
  if (!leading_) {
    state_.Sync();
    return false;
  }
  const absl::Time start = absl::Now();
  PlanActions actions = state_.Plan(clock_.Now());
  metrics_.ObserveRound(actions.placed_gangs, actions.waiting_gangs, absl::Now() - start);
  // Fence first: the taints are on before this round ungates anyone (errors are logged by the fencer
  // and retried next round).
  bool fenced = false;
  if (options_.fencer != nullptr && options_.fencer->Synced()) {
    const int64_t before = options_.fencer->Patches();
    (void)options_.fencer->Apply(state_.ReservedNodes());
    fenced = options_.fencer->Patches() != before;
  }
  return Execute(std::move(actions)) || fenced;
}

void Planner::ForEach(size_t n, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const int workers = static_cast<int>(std::min<size_t>(n, std::max(1, options_.pin_workers)));
  std::vector<std::thread> threads;
  for (int i = 1; i < workers; ++i) threads.emplace_back(worker);
  if (n > 0) worker();
  for (std::thread& t : threads) t.join();
}

bool Planner::Execute(PlanActions actions) {
  // Each write is one request; the API server is the limit, not this loop, so they go in parallel.
  ForEach(actions.records.size(), [&](size_t i) {
    const RecordAction& r = actions.records[i];
    absl::StatusOr<kube::Object> done =
        client_.Patch(kube::kJobSets, r.jobset.ns, r.jobset.name, kube::PatchType::kMerge, RecordPatch(r.value));
    if (!done.ok()) {
      metrics_.CountApiError("record");
      PHALANX_LOG(kWarning, "reservation not recorded",
                  {{"jobset", absl::StrCat(r.jobset.ns, "/", r.jobset.name)}, {"error", done.status().ToString()}});
      return;
    }
    state_.Recorded(r.jobset.uid, r.value);
    PHALANX_LOG(kInfo, "reservation recorded",
                {{"jobset", absl::StrCat(r.jobset.ns, "/", r.jobset.name)}, {"reservation", r.value}});
  });
  if (!actions.records.empty()) {
    // The pods of gangs just recorded are due now, not a round later.
    PlanActions more = state_.Pins();
    for (PinAction& p : more.pins) actions.pins.push_back(std::move(p));
    for (EventAction& e : more.events) actions.events.push_back(std::move(e));
  }

  ForEach(actions.pins.size(), [&](size_t i) {
    const PinAction& p = actions.pins[i];
    absl::StatusOr<kube::Object> done =
        client_.Patch(kube::kPods, p.ns, p.name, kube::PatchType::kJson, p.patch.ToJson());
    if (done.ok()) {
      state_.Pinned(p.uid);
      metrics_.CountPinned();
      return;
    }
    state_.PinFailed(p.uid, done.status());
    metrics_.CountApiError("pin");
    if (IsTransient(done.status())) {
      PHALANX_LOG(kDebug, "pin failed, retried", {{"pod", absl::StrCat(p.ns, "/", p.name)}, {"error", done.status().ToString()}});
      Wake();
      return;
    }
    // NotFound (the pod went) and Conflict (a stale gate index: the pod changed) retry on the next event.
    if (absl::IsNotFound(done.status()) || absl::IsAborted(done.status())) return;
    PHALANX_LOG(kWarning, "pin refused", {{"pod", absl::StrCat(p.ns, "/", p.name)}, {"error", done.status().ToString()}});
    absl::Status s = events_.Record(JobSetReference(p.jobset), "Warning", "PinFailed", "Pin",
                                    absl::StrCat("pod ", p.name, " could not be ungated and pinned to ",
                                                 p.domain.empty() ? std::string("its gang") : p.domain, ": ",
                                                 done.status().message()));
    if (!s.ok()) metrics_.CountApiError("event");
  });

  ForEach(actions.events.size(), [&](size_t i) {
    const EventAction& e = actions.events[i];
    absl::Status s = events_.Record(JobSetReference(e.jobset), e.type, e.reason, "Place", e.note);
    if (!s.ok()) {
      metrics_.CountApiError("event");
      PHALANX_LOG(kDebug, "event not recorded", {{"error", s.ToString()}});
    }
  });
  return !actions.records.empty() || !actions.pins.empty() || !actions.events.empty();
}

}  // namespace phalanx::extender
