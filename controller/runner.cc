#include "controller/runner.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/expand.h"
#include "api/job_codec.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/log.h"
#include "common/strings.h"
#include "controller/reconcile.h"
#include "kube/resource.h"

namespace phalanx::controller {
namespace {

std::string KeyOf(const std::string& ns, const std::string& name) { return absl::StrCat(ns, "/", name); }

// The uid and name of the controlling JobSet of an owned object, if any.
const kube::OwnerReference* JobSetOwner(const kube::Object& obj) {
  const kube::OwnerReference* ref = obj.meta.ControllerRef();
  if (ref == nullptr) return nullptr;
  if (ref->kind != api::kJobSetKind || ref->api_version != api::kJobSetApiVersion) return nullptr;
  return ref;
}

}  // namespace

void KeepJobIdentity(kube::Object& job) {
  std::vector<kube::OwnerReference> owners = std::move(job.meta.owner_references);
  kube::KeepIdentityOnly(job);
  job.meta.owner_references = std::move(owners);
}

absl::Status ParallelFor(size_t n, int max_parallel, const std::function<absl::Status(size_t)>& fn) {
  if (n == 0) return absl::OkStatus();
  const size_t threads = std::min<size_t>(n, std::max(1, max_parallel));
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first;
  auto body = [&] {
    for (size_t i = next++; i < n; i = next++) {
      absl::Status st = fn(i);
      if (!st.ok()) {
        absl::MutexLock l(&mu);
        if (first.ok()) first = st;
      }
    }
  };
  if (threads == 1) {
    body();
    return first;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(body);
  for (auto& t : pool) t.join();
  return first;
}

Runner::Runner(kube::Client& client, RunnerOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_),
      recorder_(client, clock_,
                kube::EventSource{std::string(api::kJobSetControllerName), options_.reporting_instance}),
      queue_(absl::Milliseconds(5), absl::Seconds(1000), &clock_) {}

Runner::~Runner() { Stop(); }

void Runner::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  Setup();
  jobs_->Start();
  services_->Start();
  jobsets_->Start();
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Worker(); });
}

bool Runner::Step() {
  if (jobsets_ == nullptr) Setup();
  // Owned objects first, so a JobSet's reconcile sees its Jobs as listed.
  bool progress = jobs_->Pump() > 0;
  progress |= services_->Pump() > 0;
  progress |= jobsets_->Pump() > 0;
  while (std::optional<std::string> key = queue_.TryGet()) {
    progress = true;
    Process(*key);
    // Writes of this reconcile come back as events before the next key is looked at.
    jobs_->Pump();
    services_->Pump();
    jobsets_->Pump();
  }
  return progress;
}

absl::Time Runner::NextWakeup() const { return queue_.NextDelayed(); }

void Runner::Setup() {
  kube::InformerOptions io;
  io.namespace_ = options_.namespace_;
  jobsets_ = std::make_unique<kube::Informer>(client_, kube::kJobSets, io);
  kube::InformerOptions job_io = io;
  job_io.cache_transform = KeepJobIdentity;  // OnJob keeps the decoded Jobs
  jobs_ = std::make_unique<kube::Informer>(client_, kube::kJobs, job_io);
  services_ = std::make_unique<kube::Informer>(client_, kube::kServices, io);
  jobsets_->AddHandlers({[this](const kube::Object& o) { queue_.Add(KeyOf(o.meta.namespace_, o.meta.name)); },
                         [this](const kube::Object&, const kube::Object& o) {
                           queue_.Add(KeyOf(o.meta.namespace_, o.meta.name));
                         },
                         nullptr});
  jobs_->AddHandlers({[this](const kube::Object& o) { OnJob(nullptr, &o); },
                      [this](const kube::Object& a, const kube::Object& b) { OnJob(&a, &b); },
                      [this](const kube::Object& o) { OnJob(&o, nullptr); }});
  services_->AddHandlers({[this](const kube::Object& o) { OnService(o); },
                          [this](const kube::Object&, const kube::Object& o) { OnService(o); },
                          [this](const kube::Object& o) { OnService(o); }});
}

void Runner::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
  }
  queue_.ShutDown();
  for (auto& t : workers_) t.join();
  workers_.clear();
  if (jobsets_) jobsets_->Stop();
  if (jobs_) jobs_->Stop();
  if (services_) services_->Stop();
}

bool Runner::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const auto* inf : {jobsets_.get(), jobs_.get(), services_.get()}) {
    if (inf == nullptr || !inf->WaitForSync(deadline - absl::Now())) return false;
  }
  return true;
}

bool Runner::Crashed() const {
  absl::MutexLock l(&mu_);
  return crashed_;
}

bool Runner::CrashAt(std::string_view point, const std::string& key) {
  if (!options_.crash_point || !options_.crash_point(point, key)) return false;
  absl::MutexLock l(&mu_);
  crashed_ = true;
  return true;
}

void Runner::OnJob(const kube::Object* old_obj, const kube::Object* new_obj) {
  std::vector<std::string> keys;
  if (old_obj != nullptr) {
    if (const kube::OwnerReference* ref = JobSetOwner(*old_obj)) {
      keys.push_back(KeyOf(old_obj->meta.namespace_, ref->name));
    }
  }
  const std::string job_key = new_obj != nullptr ? KeyOf(new_obj->meta.namespace_, new_obj->meta.name)
                                                 : KeyOf(old_obj->meta.namespace_, old_obj->meta.name);
  std::shared_ptr<const api::Job> decoded;
  std::string owner_uid;
  if (new_obj != nullptr) {
    if (const kube::OwnerReference* ref = JobSetOwner(*new_obj)) {
      keys.push_back(KeyOf(new_obj->meta.namespace_, ref->name));
      absl::StatusOr<api::Job> job = api::DecodeJob(new_obj->json);
      if (job.ok()) {
        decoded = std::make_shared<const api::Job>(*std::move(job));
        owner_uid = ref->uid;
      } else {
        PHALANX_LOG(kWarning, "undecodable job", {{"job", job_key}, {"error", job.status().ToString()}});
      }
    }
  }
  {
    absl::MutexLock l(&mu_);
    auto prev = owner_of_job_.find(job_key);
    if (prev != owner_of_job_.end()) {
      auto owner = jobs_by_owner_.find(prev->second);
      if (owner != jobs_by_owner_.end()) {
        owner->second.erase(job_key);
        if (owner->second.empty()) jobs_by_owner_.erase(owner);
      }
      owner_of_job_.erase(prev);
    }
    if (decoded) {
      jobs_by_owner_[owner_uid][job_key] = decoded;
      owner_of_job_[job_key] = owner_uid;
    }
  }
  for (const std::string& k : keys) queue_.Add(k);
}

void Runner::OnService(const kube::Object& obj) {
  if (const kube::OwnerReference* ref = JobSetOwner(obj)) queue_.Add(KeyOf(obj.meta.namespace_, ref->name));
}

std::vector<std::shared_ptr<const api::Job>> Runner::OwnedJobs(const std::string& uid) const {
  std::vector<std::shared_ptr<const api::Job>> out;
  absl::MutexLock l(&mu_);
  auto it = jobs_by_owner_.find(uid);
  if (it == jobs_by_owner_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [_, job] : it->second) out.push_back(job);
  return out;
}

void Runner::Worker() {
  // No reconcile before every informer has listed (as controller-runtime waits for its caches): a JobSet
  // reconciled against a partly listed Job cache would try to create again every Job not yet seen.
  while (!WaitForSync(absl::Milliseconds(100))) {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
  }
  while (std::optional<std::string> key = queue_.Get()) Process(*key);
}

void Runner::Process(const std::string& key) {
  if (Crashed()) {
    queue_.Done(key);
    return;
  }
  absl::Time start = absl::Now();  // CPU time measured on the wall clock, whatever clock_ says
  absl::StatusOr<std::optional<absl::Duration>> result = ReconcileKey(key);
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (options_.metrics != nullptr) options_.metrics->ObserveReconcile(seconds, !result.ok());
  if (!result.ok()) {
    if (!Crashed()) {
      PHALANX_LOG(kInfo, "reconcile failed, requeued", {{"jobset", key}, {"error", result.status().ToString()}});
      queue_.AddRateLimited(key);
    }
  } else {
    queue_.Forget(key);
    if (result->has_value()) queue_.AddAfter(key, **result);
  }
  queue_.Done(key);
}

absl::StatusOr<std::optional<absl::Duration>> Runner::ReconcileKey(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  if (parts.size() != 2) return absl::InvalidArgumentError(absl::StrCat("bad key ", key));
  const std::string& ns = parts[0];
  const std::string& name = parts[1];
  std::shared_ptr<const kube::Object> obj = jobsets_ ? jobsets_->Get(ns, name) : nullptr;
  std::optional<kube::Object> fetched;
  if (obj == nullptr && !jobsets_) {
    absl::StatusOr<kube::Object> got = client_.Get(kube::kJobSets, ns, name);
    if (absl::IsNotFound(got.status())) return std::optional<absl::Duration>();
    if (!got.ok()) return got.status();
    fetched = *std::move(got);
  }
  if (obj == nullptr && !fetched) return std::optional<absl::Duration>();  // deleted
  const kube::Object& object = obj ? *obj : *fetched;
  absl::StatusOr<api::JobSet> decoded = api::DecodeJobSet(object.json);
  if (!decoded.ok()) return decoded.status();
  api::JobSet& js = *decoded;

  std::vector<std::shared_ptr<const api::Job>> owned;
  if (jobs_) {
    owned = OwnedJobs(js.metadata.uid.value_or(""));
  } else {
    absl::StatusOr<kube::ObjectList> list =
        client_.List(kube::kJobs, ns,
                     kube::ListOptions{.label_selector = absl::StrCat(AsAbsl(api::kJobSetNameKey), "=", name)});
    if (!list.ok()) return list.status();
    for (const kube::Object& o : list->items) {
      absl::StatusOr<api::Job> j = api::DecodeJob(o.json);
      if (j.ok()) owned.push_back(std::make_shared<const api::Job>(*std::move(j)));
    }
  }
  std::vector<const api::Job*> job_ptrs;
  job_ptrs.reserve(owned.size());
  for (const auto& j : owned) job_ptrs.push_back(j.get());

  std::vector<api::Service> services;
  if (js.spec.network && js.spec.network->enable_dns_hostnames.value_or(false)) {
    std::string subdomain = api::Subdomain(js);
    std::shared_ptr<const kube::Object> svc = services_ ? services_->Get(ns, subdomain) : nullptr;
    if (svc == nullptr && !services_) {
      absl::StatusOr<kube::Object> got = client_.Get(kube::kServices, ns, subdomain);
      if (got.ok()) svc = std::make_shared<const kube::Object>(*std::move(got));
    }
    if (svc != nullptr) {
      absl::StatusOr<api::Service> s = api::DecodeService(svc->json);
      if (s.ok()) services.push_back(*std::move(s));
    }
  }
  std::vector<const api::Service*> svc_ptrs;
  for (const auto& s : services) svc_ptrs.push_back(&s);

  absl::StatusOr<Plan> planned = Reconcile(js, job_ptrs, svc_ptrs, clock_.Now());
  if (!planned.ok()) return planned.status();
  Plan& plan = *planned;
  if (plan.skip) return std::optional<absl::Duration>();

  const int par = options_.max_parallelism;
  const kube::ObjectReference regarding = kube::ObjectReference::To(object);
  auto warn = [&](std::string_view reason, const absl::Status& st) {
    absl::Status ignored = recorder_.Record(regarding, "Warning", AsAbsl(reason), "Reconciling", st.ToString());
    (void)ignored;
  };

  // Deletions: previous attempts, or active Jobs of a finished JobSet.
  absl::Status st = ParallelFor(plan.delete_jobs.size(), par, [&](size_t i) -> absl::Status {
    kube::DeleteOptions opts;
    opts.propagation = kube::Propagation::kForeground;
    if (!plan.delete_jobs[i].uid.empty()) opts.precondition_uid = plan.delete_jobs[i].uid;
    absl::Status s = client_.Delete(kube::kJobs, ns, plan.delete_jobs[i].name, opts);
    if (absl::IsNotFound(s)) return absl::OkStatus();
    return s;
  });
  if (!st.ok()) return st;
  if (CrashAt("after-deletes", key)) return absl::AbortedError("crashed (test hook)");

  if (plan.create_service) {
    absl::StatusOr<kube::Object> created = client_.Create(kube::kServices, ns, api::EncodeService(*plan.create_service));
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
      warn("HeadlessServiceCreationFailed", created.status());
      return created.status();
    }
  }

  st = ParallelFor(plan.create_jobs.size(), par, [&](size_t i) -> absl::Status {
    absl::StatusOr<kube::Object> created = client_.Create(kube::kJobs, ns, api::EncodeJob(plan.create_jobs[i]));
    if (created.ok() || absl::IsAlreadyExists(created.status())) return absl::OkStatus();
    warn("JobCreationFailed", created.status());
    return created.status();
  });
  if (!st.ok()) return st;

  st = ParallelFor(plan.update_jobs.size(), par, [&](size_t i) -> absl::Status {
    api::Job job = plan.update_jobs[i].job;
    if (plan.update_jobs[i].clear_start_time) {
      absl::StatusOr<kube::Object> written = client_.UpdateStatus(kube::kJobs, ns, api::EncodeJob(job));
      if (!written.ok()) return written.status();
      job.metadata.resource_version = written->meta.resource_version;
    }
    return client_.Update(kube::kJobs, ns, api::EncodeJob(job)).status();
  });
  if (!st.ok()) return st;

  if (plan.new_status) {
    api::JobSet updated = js;
    updated.status = *plan.new_status;
    absl::StatusOr<kube::Object> written = client_.UpdateStatus(kube::kJobSets, ns, api::EncodeJobSet(updated));
    if (!written.ok()) return written.status();
    if (CrashAt("after-status-write", key)) return absl::AbortedError("crashed (test hook)");
  }
  for (const Event& e : plan.events) {
    absl::Status ignored = recorder_.Record(regarding, e.type, e.reason, "Reconciling", e.message);
    if (!ignored.ok()) PHALANX_LOG(kDebug, "event not recorded", {{"jobset", key}, {"error", ignored.ToString()}});
  }
  if (options_.metrics != nullptr && plan.new_status) {
    if (plan.terminal == StatusUpdate::Terminal::kCompleted) options_.metrics->JobSetCompleted(name, ns);
    if (plan.terminal == StatusUpdate::Terminal::kFailed) options_.metrics->JobSetFailed(name, ns);
  }
  if (plan.delete_jobset) {
    kube::DeleteOptions opts;
    opts.propagation = kube::Propagation::kForeground;
    opts.precondition_uid = js.metadata.uid;
    absl::Status s = client_.Delete(kube::kJobSets, ns, name, opts);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return plan.requeue_after;
}

}  // namespace phalanx::controller
