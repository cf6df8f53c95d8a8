#include "kube/leader_election.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "kube/internal/json.h"
#include "kube/micro_time.h"

namespace phalanx::kube {
namespace {

using internal::Json;

int64_t Seconds(absl::Duration d) { return std::max<int64_t>(1, absl::ToInt64Seconds(d + absl::Milliseconds(999)) ); }

}  // namespace

LeaderElector::LeaderElector(Client& client, const Clock& clock, LeaderElectionConfig config,
                             LeaderCallbacks callbacks)
    : client_(client), clock_(clock), config_(std::move(config)), callbacks_(std::move(callbacks)) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable() || stopping_) return;
  }
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable() && !leader_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  bool was_leader;
  {
    absl::MutexLock lock(&mu_);
    was_leader = leader_;
  }
  if (was_leader && config_.release_on_stop) {
    if (absl::Status s = Release(); !s.ok()) {
      PHALANX_LOG(kWarning, "lease release failed", {{"lease", config_.name}, {"error", s.ToString()}});
    }
  }
  SetLeader(false);
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leader_;
}

std::string LeaderElector::Leader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

void LeaderElector::SetLeader(bool leading) {
  {
    absl::MutexLock lock(&mu_);
    if (leader_ == leading) return;
    leader_ = leading;
  }
  PHALANX_LOG(kInfo, leading ? "became leader" : "stopped leading",
              {{"lease", config_.name}, {"identity", config_.identity}});
  if (leading && callbacks_.on_started_leading) callbacks_.on_started_leading();
  if (!leading && callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

absl::StatusOr<bool> LeaderElector::TryAcquireOrRenew() {
  absl::Time now = clock_.Now();
  std::string now_text = FormatMicroTime(now);
  absl::StatusOr<Object> cur = client_.Get(kLeases, config_.namespace_, config_.name);
  std::string new_holder;
  if (absl::IsNotFound(cur.status())) {
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.name}, {"namespace", config_.namespace_}}},
                  {"spec",
                   {{"holderIdentity", config_.identity},
                    {"leaseDurationSeconds", Seconds(config_.lease_duration)},
                    {"acquireTime", now_text},
                    {"renewTime", now_text},
                    {"leaseTransitions", 0}}}};
    absl::StatusOr<Object> created = client_.Create(kLeases, config_.namespace_, internal::Dump(lease));
    if (absl::IsAlreadyExists(created.status()) || absl::IsAborted(created.status())) return false;
    if (!created.ok()) return created.status();
    {
      absl::MutexLock lock(&mu_);
      observed_holder_ = config_.identity;
      observed_record_ = absl::StrCat(config_.identity, "|", now_text);
      observed_time_ = now;
      last_renew_ = now;
    }
    if (callbacks_.on_new_leader) callbacks_.on_new_leader(config_.identity);
    return true;
  }
  if (!cur.ok()) return cur.status();
  absl::StatusOr<Json> lease = internal::ParseJson(cur->json);
  if (!lease.ok()) return lease.status();
  Json& spec = (*lease)["spec"];
  if (!spec.is_object()) spec = Json::object();
  std::string holder = internal::GetString(spec, "holderIdentity");
  std::string renew = internal::GetString(spec, "renewTime");
  int64_t dur = spec.contains("leaseDurationSeconds") && spec["leaseDurationSeconds"].is_number_integer()
                    ? spec["leaseDurationSeconds"].get<int64_t>()
                    : Seconds(config_.lease_duration);
  int64_t transitions = spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_integer()
                            ? spec["leaseTransitions"].get<int64_t>()
                            : 0;
  std::string record = absl::StrCat(holder, "|", renew);
  bool holder_changed = false;
  absl::Time observed;
  {
    absl::MutexLock lock(&mu_);
    if (record != observed_record_) {
      holder_changed = holder != observed_holder_;
      observed_record_ = record;
      observed_holder_ = holder;
      observed_time_ = now;
    }
    observed = observed_time_;
  }
  if (holder_changed && callbacks_.on_new_leader) callbacks_.on_new_leader(holder);
  if (!holder.empty() && holder != config_.identity && observed + absl::Seconds(dur) > now) return false;

  if (holder != config_.identity) {
    spec["acquireTime"] = now_text;
    spec["leaseTransitions"] = transitions + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = Seconds(config_.lease_duration);
  spec["renewTime"] = now_text;
  absl::StatusOr<Object> updated = client_.Update(kLeases, config_.namespace_, internal::Dump(*lease));
  if (absl::IsAborted(updated.status()) || absl::IsNotFound(updated.status())) return false;
  if (!updated.ok()) return updated.status();
  {
    absl::MutexLock lock(&mu_);
    observed_holder_ = config_.identity;
    observed_record_ = absl::StrCat(config_.identity, "|", now_text);
    observed_time_ = now;
    last_renew_ = now;
  }
  if (holder != config_.identity && callbacks_.on_new_leader) callbacks_.on_new_leader(config_.identity);
  return true;
}

absl::Status LeaderElector::Release() {
  absl::StatusOr<Object> cur = client_.Get(kLeases, config_.namespace_, config_.name);
  if (!cur.ok()) return absl::IsNotFound(cur.status()) ? absl::OkStatus() : cur.status();
  absl::StatusOr<Json> lease = internal::ParseJson(cur->json);
  if (!lease.ok()) return lease.status();
  Json& spec = (*lease)["spec"];
  if (!spec.is_object() || internal::GetString(spec, "holderIdentity") != config_.identity) return absl::OkStatus();
  std::string now_text = FormatMicroTime(clock_.Now());
  spec.erase("holderIdentity");
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = now_text;
  spec["acquireTime"] = now_text;
  absl::StatusOr<Object> updated = client_.Update(kLeases, config_.namespace_, internal::Dump(*lease));
  if (absl::IsAborted(updated.status())) return absl::OkStatus();  // someone else already holds it
  return updated.status();
}

void LeaderElector::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<bool> held = TryAcquireOrRenew();
    if (held.ok() && *held) {
      SetLeader(true);
    } else {
      bool lost;
      {
        absl::MutexLock lock(&mu_);
        // Someone else holds it, or renewals have failed for longer than the renew deadline.
        lost = leader_ && ((held.ok() && !*held) || clock_.Now() - last_renew_ > config_.renew_deadline);
      }
      if (!held.ok()) {
        PHALANX_LOG(kWarning, "lease acquire/renew failed", {{"lease", config_.name}, {"error", held.status().ToString()}});
      }
      if (lost) SetLeader(false);
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), config_.retry_period);
  }
}

}  // namespace phalanx::kube
