#include "webhook/planner_watch.h"

#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "api/internal/rapidjson_read.h"
#include "api/labels.h"
#include "common/log.h"
#include "common/strings.h"
#include "kube/resource.h"

namespace phalanx::webhook {

using api::internal::Member;
using api::internal::Str;
using api::internal::WrongType;

absl::StatusOr<LeaseRecord> ReadLease(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("lease: malformed JSON");
  LeaseRecord r;
  const rapidjson::Value* spec = Member(doc, "spec");
  if (spec == nullptr) return r;
  if (!spec->IsObject()) return WrongType("spec", "object", *spec);
  if (const rapidjson::Value* v = Member(*spec, "holderIdentity")) {
    if (!v->IsString()) return WrongType("spec.holderIdentity", "string", *v);
    r.holder = Str(*v);
  }
  if (const rapidjson::Value* v = Member(*spec, "renewTime")) {
    if (!v->IsString()) return WrongType("spec.renewTime", "string", *v);
    r.renew_time = Str(*v);
  }
  if (const rapidjson::Value* v = Member(*spec, "leaseDurationSeconds")) {
    if (!v->IsInt64()) return WrongType("spec.leaseDurationSeconds", "integer", *v);
    r.duration_seconds = v->GetInt64();
  }
  return r;
}

PlannerTracker::PlannerTracker(absl::Time start, absl::Duration grace)
    : start_(start), grace_(grace), changed_at_(start) {}

void PlannerTracker::ObserveLease(const std::optional<LeaseRecord>& lease, absl::Time now) {
  bool changed = lease.has_value() != lease_.has_value() ||
                 (lease && (lease->holder != lease_->holder || lease->renew_time != lease_->renew_time));
  lease_ = lease;
  if (changed) changed_at_ = now;
  if (Available(now)) warned_.clear();
}

bool PlannerTracker::Available(absl::Time now) const {
  if (!lease_) return now - start_ < grace_;
  if (lease_->holder.empty()) return now - changed_at_ < grace_;
  return now - changed_at_ < absl::Seconds(lease_->duration_seconds) + grace_;
}

void PlannerTracker::Tick(absl::Time now) {
  if (Available(now)) warned_.clear();
}

bool PlannerTracker::ShouldWarn(const std::string& jobset_uid, absl::Time now) {
  if (Available(now)) {
    warned_.clear();
    return false;
  }
  return warned_.insert(jobset_uid).second;
}

std::string PlannerUnavailableNote(std::string_view lease_namespace, std::string_view lease_name) {
  return absl::StrCat("pods of this JobSet carry the scheduling gate ", AsAbsl(api::kPlacementGate),
                      " but no phalanx-extender planner holds Lease ", AsAbsl(lease_namespace), "/",
                      AsAbsl(lease_name),
                      ": they stay SchedulingGated until it runs (docs/troubleshooting.md, \"The planner is not "
                      "running\")");
}

PlannerWatch::PlannerWatch(kube::Client& client, PlannerWatchOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_),
      recorder_(client, clock_, kube::EventSource{"phalanx-webhook", options_.reporting_instance}),
      tracker_(clock_.Now(), options_.grace) {
  kube::InformerOptions io;
  io.namespace_ = options_.lease_namespace;
  leases_ = std::make_unique<kube::Informer>(client_, kube::kLeases, io);
  leases_->AddHandlers({[this](const kube::Object& o) { OnLease(&o); },
                        [this](const kube::Object&, const kube::Object& o) { OnLease(&o); },
                        [this](const kube::Object& o) {
                          if (o.meta.name == options_.lease_name) OnLease(nullptr);
                        }});
}

PlannerWatch::~PlannerWatch() { Stop(); }

void PlannerWatch::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  leases_->Start();
  thread_ = std::thread([this] { Loop(); });
}

void PlannerWatch::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  leases_->Stop();
}

void PlannerWatch::OnLease(const kube::Object* lease) {
  if (lease != nullptr && lease->meta.name != options_.lease_name) return;
  std::optional<LeaseRecord> record;
  if (lease != nullptr) {
    absl::StatusOr<LeaseRecord> read = ReadLease(lease->json);
    if (!read.ok()) {
      PHALANX_LOG(kWarning, "unreadable planner Lease", {{"error", read.status().ToString()}});
      return;
    }
    record = *std::move(read);
  }
  absl::MutexLock l(&mu_);
  tracker_.ObserveLease(record, clock_.Now());
}

bool PlannerWatch::Available() const {
  absl::MutexLock l(&mu_);
  return tracker_.Available(clock_.Now());
}

void PlannerWatch::NoteGated(const api::Pod& pod) {
  std::optional<std::string> name = pod.metadata.Label(api::kJobSetNameKey);
  if (!name) name = pod.metadata.Annotation(api::kJobSetNameKey);
  std::string uid = pod.metadata.Label(api::kJobSetUidKey).value_or("");
  const std::string ns = pod.metadata.namespace_or_default();
  absl::MutexLock l(&mu_);
  const absl::Time now = clock_.Now();
  if (tracker_.Available(now)) return;
  ++gated_without_planner_;
  if (!name || !tracker_.ShouldWarn(uid.empty() ? absl::StrCat(ns, "/", *name) : uid, now)) return;
  pending_.push_back(kube::ObjectReference{std::string(api::kJobSetApiVersion), std::string(api::kJobSetKind), ns,
                                           *name, uid});
}

void PlannerWatch::Loop() {
  std::optional<bool> last;
  for (;;) {
    std::deque<kube::ObjectReference> send;
    bool available = false;
    {
      absl::MutexLock l(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.tick)) return;
      // Re-evaluated on every tick: a Lease can simply stop being renewed.
      tracker_.Tick(clock_.Now());
      available = tracker_.Available(clock_.Now());
      send.swap(pending_);
    }
    if (last != available) {
      if (available) {
        PHALANX_LOG(kInfo, "planner available", {{"lease", options_.lease_name}});
      } else {
        PHALANX_LOG(kWarning, "planner unavailable: gated pods will wait",
                    {{"lease", absl::StrCat(options_.lease_namespace, "/", options_.lease_name)}});
      }
      last = available;
    }
    const std::string note = PlannerUnavailableNote(options_.lease_namespace, options_.lease_name);
    for (const kube::ObjectReference& ref : send) {
      absl::Status st = recorder_.Record(ref, "Warning", AsAbsl(kPlannerUnavailableReason), "Admission", note);
      if (!st.ok()) {
        PHALANX_LOG(kWarning, "event not recorded", {{"jobset", ref.name}, {"error", st.ToString()}});
        continue;
      }
      absl::MutexLock l(&mu_);
      ++events_sent_;
    }
  }
}

std::string PlannerWatch::RenderMetrics() const {
  absl::MutexLock l(&mu_);
  return absl::StrCat(
      "# HELP phalanx_planner_available 1 while a phalanx-extender planner holds and renews its Lease.\n"
      "# TYPE phalanx_planner_available gauge\n"
      "phalanx_planner_available ",
      tracker_.Available(clock_.Now()) ? 1 : 0,
      "\n# HELP phalanx_webhook_gated_without_planner_total Pods given the placement gate while no planner ran.\n"
      "# TYPE phalanx_webhook_gated_without_planner_total counter\n"
      "phalanx_webhook_gated_without_planner_total ",
      gated_without_planner_, "\n");
}

int64_t PlannerWatch::EventsSent() const {
  absl::MutexLock l(&mu_);
  return events_sent_;
}

}  // namespace phalanx::webhook
