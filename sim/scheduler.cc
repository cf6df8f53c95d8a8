#include "sim/scheduler.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/json_text.h"
#include "httplib.h"
#include "kube/micro_time.h"
#include "kube/retry.h"
#include "nlohmann/json.hpp"

namespace phalanx::sim {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr char kDefaultScheduler[] = "default-scheduler";
constexpr char kUnschedulable[] = "Unschedulable";
constexpr char kSchedulerError[] = "SchedulerError";
constexpr char kPodsResource[] = "pods";

// ---- pure filters -------------------------------------------------------------------------------

bool Tolerates(const std::vector<api::TolerationInfo>& tolerations, const std::string& key, const std::string& value,
               const std::string& effect) {
  for (const api::TolerationInfo& t : tolerations) {
    if (!t.effect.empty() && t.effect != effect) continue;
    if (t.key.empty()) {
      if (t.op == "Exists") return true;  // empty key + Exists tolerates everything
      continue;
    }
    if (t.key != key) continue;
    if (t.op == "Exists") return true;
    if (t.op == "Equal" && t.value == value) return true;
  }
  return false;
}

bool RequirementMatches(const api::NodeSelectorRequirementInfo& r, const api::StringMap& labels) {
  auto it = labels.find(r.key);
  const bool has = it != labels.end();
  if (r.op == "In") return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  if (r.op == "NotIn") return !has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end();
  if (r.op == "Exists") return has;
  if (r.op == "DoesNotExist") return !has;
  if (r.op == "Gt" || r.op == "Lt") {
    int64_t label = 0, bound = 0;
    if (!has || r.values.size() != 1 || !absl::SimpleAtoi(it->second, &label) ||
        !absl::SimpleAtoi(r.values[0], &bound)) {
      return false;
    }
    return r.op == "Gt" ? label > bound : label < bound;
  }
  return false;  // unknown operator: no match, as the API would have refused it
}

bool AffinityMatches(const api::PodScheduling& pod, const api::NodeInfo& node) {
  for (const auto& [k, v] : pod.node_selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  if (pod.required_terms.empty()) return true;
  for (const api::NodeSelectorTermInfo& term : pod.required_terms) {
    if (term.match_expressions.empty() && term.node_names.empty()) continue;  // an empty term matches nothing
    bool ok = true;
    for (const auto& r : term.match_expressions) ok = ok && RequirementMatches(r, node.labels);
    if (ok && !term.node_names.empty()) {
      ok = std::find(term.node_names.begin(), term.node_names.end(), node.name) != term.node_names.end();
    }
    if (ok) return true;
  }
  return false;
}

// The reasons `node` cannot take the pod (empty = it fits), in kube-scheduler's filter order.
std::vector<std::string> FilterNode(const api::PodScheduling& pod, const api::NodeInfo& node,
                                    const api::Resources& used) {
  if (!node.ready && !Tolerates(pod.tolerations, "node.kubernetes.io/not-ready", "", "NoSchedule")) {
    return {"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"};
  }
  if (node.unschedulable && !Tolerates(pod.tolerations, "node.kubernetes.io/unschedulable", "", "NoSchedule")) {
    return {"node(s) were unschedulable"};
  }
  for (const api::TaintInfo& t : node.taints) {
    if (t.effect != "NoSchedule" && t.effect != "NoExecute") continue;
    if (!Tolerates(pod.tolerations, t.key, t.value, t.effect)) {
      return {absl::StrCat("node(s) had untolerated taint {", t.key, ": ", t.value, "}")};
    }
  }
  if (!AffinityMatches(pod, node)) return {"node(s) didn't match Pod's node affinity/selector"};
  std::vector<std::string> reasons;
  auto pods_alloc = node.allocatable.find(kPodsResource);
  if (pods_alloc != node.allocatable.end()) {
    auto u = used.find(kPodsResource);
    if ((u == used.end() ? 0 : u->second) + 1 > pods_alloc->second) reasons.push_back("Too many pods");
  }
  for (const auto& [name, want] : pod.requests) {
    if (want <= 0 || name == kPodsResource) continue;
    auto a = node.allocatable.find(name);
    auto u = used.find(name);
    int64_t have = a == node.allocatable.end() ? 0 : a->second;
    int64_t in_use = u == used.end() ? 0 : u->second;
    if (in_use + want > have) reasons.push_back(absl::StrCat("Insufficient ", name));
  }
  return reasons;
}

// Least allocated, averaged over the resources the pod requests (the pod count if it requests none).
int64_t LeastAllocatedScore(const api::PodScheduling& pod, const api::NodeInfo& node, const api::Resources& used) {
  int64_t total = 0, n = 0;
  auto score_of = [&](const std::string& name, int64_t want) {
    auto a = node.allocatable.find(name);
    if (a == node.allocatable.end() || a->second <= 0) return;
    auto u = used.find(name);
    int64_t after = (u == used.end() ? 0 : u->second) + want;
    total += std::max<int64_t>(0, (a->second - after) * 100 / a->second);
    ++n;
  };
  for (const auto& [name, want] : pod.requests) {
    if (want > 0 && name != kPodsResource) score_of(name, want);
  }
  if (n == 0) score_of(kPodsResource, 1);
  return n == 0 ? 0 : total / n;
}

std::string FitErrorMessage(size_t total_nodes, const std::map<std::string, std::vector<std::string>>& reasons) {
  if (total_nodes == 0) return "no nodes available to schedule pods";
  std::map<std::string, int> histogram;
  for (const auto& [node, rs] : reasons) {
    for (const std::string& r : rs) ++histogram[r];
  }
  std::vector<std::string> parts;
  for (const auto& [r, count] : histogram) parts.push_back(absl::StrCat(count, " ", r));
  std::sort(parts.begin(), parts.end());
  std::string out = absl::StrCat("0/", total_nodes, " nodes are available:");
  if (!parts.empty()) absl::StrAppend(&out, " ", absl::StrJoin(parts, ", "), ".");
  return out;
}

size_t NumFeasibleNodesToFind(int percentage, size_t n) {
  if (n < 100 || percentage >= 100) return n;
  int64_t pct = percentage;
  if (pct <= 0) pct = std::max<int64_t>(5, 50 - static_cast<int64_t>(n) / 125);
  size_t num = n * pct / 100;
  return std::max<size_t>(num, 100);
}

// Key lookup the way Go's encoding/json matches field names: exact first, then case-insensitive.
const json* Field(const json& obj, const std::string& name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  if (it != obj.end()) return &*it;
  for (auto i = obj.begin(); i != obj.end(); ++i) {
    if (absl::EqualsIgnoreCase(i.key(), name)) return &*i;
  }
  return nullptr;
}

std::string JsonString(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

// ---- records --------------------------------------------------------------------------------------

struct Scheduler::PodRecord {
  std::shared_ptr<const kube::Object> object;
  std::string scheduler_name;
  std::string node_name;
  std::string phase;
  bool deleting = false;
  std::string creation;
  int32_t priority = 0;
  api::PodScheduling scheduling;
  std::string decode_error;  // non-empty: the pod could not be read
  std::string signature;     // what a scheduling decision may depend on (spec, phase, labels, deletion)
  bool candidate = false;
};

struct Scheduler::NodeRecord {
  std::shared_ptr<const kube::Object> object;
  api::NodeInfo info;
  bool ok = false;
};

struct Scheduler::QueueEntry {
  int attempts = 0;
  absl::Time not_before = absl::InfinitePast();
  bool dirty = true;  // something changed since the last attempt (or a fault asks for a retry)
  int32_t priority = 0;
  std::string creation;
};

namespace {

// Parses a Pod or Node object through api/scheduling.h (which wants `kind` set).
absl::StatusOr<api::ClusterState> DecodeOne(json doc, const char* kind) {
  doc["kind"] = kind;
  return api::DecodeClusterState(JsonText(doc));
}

}  // namespace

Scheduler::Scheduler(kube::Client& client, SchedulerOptions options) : client_(client), options_(std::move(options)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  nodes_ = std::make_unique<kube::Informer>(client_, kube::kNodes);
  pods_ = std::make_unique<kube::Informer>(client_, kube::kPods);
  nodes_->AddHandlers({[this](const kube::Object& o) { OnNode(nullptr, &o); },
                       [this](const kube::Object& a, const kube::Object& b) { OnNode(&a, &b); },
                       [this](const kube::Object& o) { OnNode(&o, nullptr); }});
  pods_->AddHandlers({[this](const kube::Object& o) { OnPod(nullptr, &o); },
                      [this](const kube::Object& a, const kube::Object& b) { OnPod(&a, &b); },
                      [this](const kube::Object& o) { OnPod(&o, nullptr); }});
  nodes_->Start();
  pods_->Start();
  worker_ = std::thread([this] { Run(); });
}

void Scheduler::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  if (nodes_) nodes_->Stop();
  if (pods_) pods_->Stop();
  if (worker_.joinable()) worker_.join();
}

bool Scheduler::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  if (nodes_ == nullptr || pods_ == nullptr) return false;
  return nodes_->WaitForSync(deadline - absl::Now()) && pods_->WaitForSync(deadline - absl::Now());
}

void Scheduler::OnNode(const kube::Object* old_obj, const kube::Object* new_obj) {
  std::shared_ptr<NodeRecord> rec;
  if (new_obj != nullptr) {
    rec = std::make_shared<NodeRecord>();
    rec->object = std::make_shared<const kube::Object>(*new_obj);
    json doc = json::parse(new_obj->json, nullptr, false);
    if (doc.is_object()) {
      absl::StatusOr<api::ClusterState> st = DecodeOne(std::move(doc), "Node");
      if (st.ok() && st->nodes.size() == 1) {
        rec->info = std::move(st->nodes[0]);
        rec->ok = true;
      }
    }
    if (!rec->ok) rec->info.name = new_obj->meta.name;
  }
  absl::MutexLock l(&mu_);
  if (rec != nullptr) {
    nodes_by_name_[rec->info.name] = rec;
  } else if (old_obj != nullptr) {
    nodes_by_name_.erase(old_obj->meta.name);
  }
  ++generation_;
  for (auto& [k, e] : queue_) e.dirty = true;
}

void Scheduler::OnPod(const kube::Object* old_obj, const kube::Object* new_obj) {
  const kube::Object& any = new_obj != nullptr ? *new_obj : *old_obj;
  Key key{any.meta.namespace_, any.meta.name};
  std::shared_ptr<PodRecord> rec;
  if (new_obj != nullptr) {
    rec = std::make_shared<PodRecord>();
    rec->object = std::make_shared<const kube::Object>(*new_obj);
    rec->deleting = new_obj->meta.deletion_timestamp.has_value();
    rec->creation = new_obj->meta.creation_timestamp;
    json doc = json::parse(new_obj->json, nullptr, false);
    if (!doc.is_object()) {
      rec->decode_error = "pod is not a JSON object";
      doc = json::object();
    }
    const json spec = doc.value("spec", json::object());
    const json status = doc.value("status", json::object());
    rec->scheduler_name = spec.is_object() ? JsonString(spec, "schedulerName") : "";
    if (rec->scheduler_name.empty()) rec->scheduler_name = kDefaultScheduler;
    rec->node_name = spec.is_object() ? JsonString(spec, "nodeName") : "";
    rec->phase = status.is_object() ? JsonString(status, "phase") : "";
    if (rec->phase.empty()) rec->phase = "Pending";
    json labels = doc.contains("metadata") && doc["metadata"].is_object()
                      ? doc["metadata"].value("labels", json::object())
                      : json::object();
    rec->signature = absl::StrCat(JsonText(spec), "|", rec->phase, "|", rec->deleting ? "d" : "", "|", JsonText(labels));
    if (rec->decode_error.empty()) {
      absl::StatusOr<api::ClusterState> st = DecodeOne(doc, "Pod");
      if (!st.ok()) {
        rec->decode_error = std::string(st.status().message());
      } else if (st->pods.size() == 1) {
        rec->scheduling = std::move(st->pods[0].scheduling);
      }
    }
    rec->priority = rec->scheduling.priority.value_or(0);
    rec->candidate = rec->node_name.empty() && rec->scheduling.scheduling_gates.empty() && !rec->deleting &&
                     rec->phase == "Pending" && rec->scheduler_name == options_.scheduler_name;
  }

  absl::MutexLock l(&mu_);
  auto prev_it = pods_by_key_.find(key);
  std::shared_ptr<const PodRecord> prev = prev_it == pods_by_key_.end() ? nullptr : prev_it->second;
  bool relevant = prev == nullptr || rec == nullptr || prev->signature != rec->signature;
  if (rec == nullptr) {
    pods_by_key_.erase(key);
    queue_.erase(key);
    assumed_.erase(key);
  } else {
    pods_by_key_[key] = rec;
    if (!rec->node_name.empty()) assumed_.erase(key);
    if (rec->candidate) {
      auto [it, inserted] = queue_.try_emplace(key);
      it->second.priority = rec->priority;
      it->second.creation = rec->creation;
      if (inserted || relevant) it->second.dirty = true;
    } else {
      queue_.erase(key);
    }
  }
  if (relevant) {
    ++generation_;
    for (auto& [k, e] : queue_) e.dirty = true;
  }
}

bool Scheduler::NextDue(Key* key) {
  const absl::Time now = absl::Now();
  const Key* best = nullptr;
  const QueueEntry* best_e = nullptr;
  for (const auto& [k, e] : queue_) {
    if (!e.dirty || e.not_before > now) continue;
    if (best_e != nullptr) {
      if (e.priority != best_e->priority) {
        if (e.priority < best_e->priority) continue;
      } else if (e.creation != best_e->creation) {
        if (e.creation > best_e->creation) continue;
      } else {
        continue;  // map order: the first key wins
      }
    }
    best = &k;
    best_e = &e;
  }
  if (best == nullptr) return false;
  *key = *best;
  return true;
}

absl::Duration Scheduler::UntilNextDue() const {
  absl::Duration d = absl::Milliseconds(200);
  const absl::Time now = absl::Now();
  for (const auto& [k, e] : queue_) {
    if (e.dirty) d = std::min(d, std::max(absl::ZeroDuration(), e.not_before - now));
  }
  return std::max(d, absl::Milliseconds(1));
}

void Scheduler::Run() {
  bool synced = false;
  while (true) {
    if (!synced) {
      synced = nodes_->WaitForSync(absl::Milliseconds(100)) && pods_->WaitForSync(absl::Milliseconds(100));
      absl::MutexLock l(&mu_);
      if (stopping_) return;
      continue;
    }
    Key key;
    {
      absl::MutexLock l(&mu_);
      while (true) {
        if (stopping_) return;
        if (NextDue(&key)) break;
        // Woken by Stop() or by a handler making a pod due; pods in backoff by the timeout.
        // A change (generation_) may also shorten the wait for a pod in backoff: recompute it then.
        const int64_t seen = generation_;
        auto wake = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          Key unused;
          return stopping_ || generation_ != seen || NextDue(&unused);
        };
        mu_.AwaitWithTimeout(absl::Condition(&wake), UntilNextDue());
      }
      busy_ = true;
    }
    ScheduleOne(key);
    absl::MutexLock l(&mu_);
    busy_ = false;
  }
}

void Scheduler::RecordFailure(const Key& key, int64_t generation_seen, const std::string& reason,
                              const std::string& message) {
  std::shared_ptr<const PodRecord> rec;
  {
    absl::MutexLock l(&mu_);
    failures_[key] = SchedulingFailure{reason, message};
    if (reason == kUnschedulable) {
      ++stats_.unschedulable;
    } else {
      ++stats_.errors;
    }
    auto it = queue_.find(key);
    if (it != queue_.end()) {
      QueueEntry& e = it->second;
      ++e.attempts;
      absl::Duration backoff = options_.initial_backoff;
      for (int i = 1; i < e.attempts && backoff < options_.max_backoff; ++i) backoff *= 2;
      backoff = std::min(backoff, options_.max_backoff);
      e.not_before = absl::Now() + backoff;
      // Unschedulable pods wait for a change; faults are retried after the backoff alone.
      e.dirty = reason != kUnschedulable || generation_ != generation_seen;
    }
    auto pit = pods_by_key_.find(key);
    if (pit != pods_by_key_.end()) rec = pit->second;
  }
  if (rec == nullptr) return;
  // Write PodScheduled=False unless the pod already says exactly that: get, replace the condition, PUT
  // the status (a patch could not keep lastProbeTime: null), again on conflicts.
  absl::Status written = kube::RetryOnConflict([&]() -> absl::Status {
    absl::StatusOr<kube::Object> got = client_.Get(kube::kPods, key.first, key.second);
    if (!got.ok()) return got.status();
    json doc = json::parse(got->json, nullptr, false);
    if (!doc.is_object() || !JsonString(doc.value("spec", json::object()), "nodeName").empty()) {
      return absl::OkStatus();  // bound meanwhile
    }
    if (!doc.contains("status") || !doc["status"].is_object()) doc["status"] = json::object();
    json& conds = doc["status"]["conditions"];
    if (!conds.is_array()) conds = json::array();
    json cond = {{"type", "PodScheduled"},
                 {"observedGeneration", got->meta.generation},
                 {"status", "False"},
                 {"lastProbeTime", nullptr},
                 {"lastTransitionTime", kube::FormatTime(absl::Now())},
                 {"reason", reason},
                 {"message", message}};
    bool replaced = false;
    for (json& c : conds) {
      if (!c.is_object() || JsonString(c, "type") != "PodScheduled") continue;
      if (JsonString(c, "status") == "False" && JsonString(c, "reason") == reason &&
          JsonString(c, "message") == message) {
        return absl::OkStatus();
      }
      if (JsonString(c, "status") == "False" && c.contains("lastTransitionTime")) {
        cond["lastTransitionTime"] = c["lastTransitionTime"];
      }
      c = cond;
      replaced = true;
    }
    if (!replaced) conds.push_back(cond);
    return client_.UpdateStatus(kube::kPods, key.first, JsonText(doc)).status();
  });
  // A pod deleted meanwhile needs nothing; a write still failing is given up (the next attempt rewrites).
  (void)written;
}

namespace {

struct ExtenderCall {
  absl::Status status;
  json answer;
};

// POSTs `body` to <prefix>/<verb>; an error unless the answer is HTTP 200 with a JSON body.
ExtenderCall PostExtender(const SchedulerExtenderOptions& ext, const std::string& verb, const std::string& body) {
  ExtenderCall out;
  std::string prefix(absl::StripSuffix(ext.url_prefix, "/"));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const std::string url = absl::StrCat(prefix, "/", verb);
  size_t scheme = prefix.find("://");
  size_t path_start = prefix.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string base = path_start == std::string::npos ? prefix : prefix.substr(0, path_start);
  std::string path = absl::StrCat(path_start == std::string::npos ? "" : prefix.substr(path_start), "/", verb);
  httplib::Client cli(base);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  // kube-scheduler checks an https extender's certificate only when given a CA.
  if (ext.ca_file.empty()) {
    cli.enable_server_certificate_verification(false);
  } else {
    cli.set_ca_cert_path(ext.ca_file.c_str());
  }
#endif
  auto timeout = absl::ToChronoMicroseconds(ext.http_timeout);
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  httplib::Result res = cli.Post(path, body, "application/json");
  if (!res) {
    out.status = absl::UnavailableError(
        absl::StrCat("failed ", verb, " with extender at URL ", url, ": ", httplib::to_string(res.error())));
    return out;
  }
  if (res->status != 200) {
    out.status =
        absl::UnavailableError(absl::StrCat("failed ", verb, " with extender at URL ", url, ", code ", res->status));
    return out;
  }
  out.answer = json::parse(res->body, nullptr, false);
  if (out.answer.is_discarded()) {
    out.status = absl::InvalidArgumentError(
        absl::StrCat("failed ", verb, " with extender at URL ", url, ": the answer is not JSON"));
  }
  return out;
}

// An object as kube-scheduler's informers hand it to extenders: no TypeMeta (protobuf-decoded objects
// carry none); the pod informer also strips metadata.managedFields, the node informer does not.
ordered_json CachedForm(const std::string& text, bool strip_managed_fields) {
  ordered_json doc = ordered_json::parse(text, nullptr, false);
  if (!doc.is_object()) return ordered_json::object();
  doc.erase("kind");
  doc.erase("apiVersion");
  if (strip_managed_fields && doc.contains("metadata") && doc["metadata"].is_object()) {
    doc["metadata"].erase("managedFields");
  }
  return doc;
}

}  // namespace

void Scheduler::ScheduleOne(const Key& key) {
  // Snapshot.
  std::shared_ptr<const PodRecord> pod;
  std::vector<std::shared_ptr<const NodeRecord>> all_nodes;
  std::map<std::string, api::Resources> used;
  int64_t generation = 0;
  size_t start_index = 0;
  {
    absl::MutexLock l(&mu_);
    ++stats_.attempts;
    auto it = pods_by_key_.find(key);
    auto qit = queue_.find(key);
    if (it == pods_by_key_.end() || !it->second->candidate || qit == queue_.end()) {
      queue_.erase(key);
      return;
    }
    qit->second.dirty = false;
    pod = it->second;
    generation = generation_;
    start_index = next_start_node_;
    for (const auto& [name, n] : nodes_by_name_) all_nodes.push_back(n);
    for (const auto& [k, p] : pods_by_key_) {
      if (p->node_name.empty() || p->phase == "Succeeded" || p->phase == "Failed") continue;
      api::Resources& u = used[p->node_name];
      for (const auto& [r, v] : p->scheduling.requests) u[r] += v;
      u[kPodsResource] += 1;
    }
    for (const auto& [k, a] : assumed_) {
      auto pit = pods_by_key_.find(k);
      if (pit != pods_by_key_.end() && !pit->second->node_name.empty()) continue;  // counted above
      api::Resources& u = used[a.first];
      for (const auto& [r, v] : a.second) u[r] += v;
      u[kPodsResource] += 1;
    }
  }
  if (!pod->decode_error.empty()) {
    RecordFailure(key, generation, kSchedulerError, pod->decode_error);
    return;
  }
  const api::PodScheduling& sched = pod->scheduling;
  const std::vector<std::shared_ptr<const NodeRecord>>& nodes = all_nodes;

  std::map<std::string, std::vector<std::string>> reasons;  // node → why not
  // PreFilter: NodeAffinity narrowing by matchFields metadata.name.
  bool narrowed = !sched.required_terms.empty();
  std::set<std::string> allowed;
  for (const auto& term : sched.required_terms) {
    if (term.node_names.empty()) narrowed = false;
    allowed.insert(term.node_names.begin(), term.node_names.end());
  }
  std::vector<std::shared_ptr<const NodeRecord>> considered;
  for (const auto& n : nodes) {
    if (narrowed && !allowed.count(n->info.name)) {
      reasons[n->info.name] = {"node(s) didn't satisfy plugin(s) [NodeAffinity]"};
    } else {
      considered.push_back(n);
    }
  }

  // In-tree filters from a rotating start, until enough feasible nodes are found.
  const size_t want = NumFeasibleNodesToFind(options_.percentage_of_nodes_to_score, considered.size());
  std::vector<std::shared_ptr<const NodeRecord>> feasible;
  size_t processed = 0;
  const api::Resources kNone;
  for (; processed < considered.size() && feasible.size() < want; ++processed) {
    const auto& n = considered[(start_index + processed) % considered.size()];
    auto u = used.find(n->info.name);
    std::vector<std::string> why = n->ok ? FilterNode(sched, n->info, u == used.end() ? kNone : u->second)
                                         : std::vector<std::string>{"node(s) could not be read"};
    if (why.empty()) {
      feasible.push_back(n);
    } else {
      reasons[n->info.name] = std::move(why);
    }
  }
  {
    absl::MutexLock l(&mu_);
    if (!considered.empty()) next_start_node_ = (start_index + processed) % considered.size();
  }
  std::sort(feasible.begin(), feasible.end(),
            [](const auto& a, const auto& b) { return a->info.name < b->info.name; });

  const SchedulerExtenderOptions& ext = options_.extender;
  auto extender_args = [&](const std::vector<std::shared_ptr<const NodeRecord>>& ns) {
    ordered_json args = ordered_json::object();
    args["Pod"] = CachedForm(pod->object->json, true);
    if (ext.node_cache_capable) {
      args["Nodes"] = nullptr;
      ordered_json names = ordered_json::array();
      for (const auto& n : ns) names.push_back(n->info.name);
      args["NodeNames"] = std::move(names);
    } else {
      ordered_json items = ordered_json::array();
      for (const auto& n : ns) items.push_back(CachedForm(n->object->json, false));
      args["Nodes"] = ordered_json{{"metadata", ordered_json::object()}, {"items", std::move(items)}};
      args["NodeNames"] = nullptr;
    }
    return JsonText(args);
  };

  // Extender Filter.
  if (!ext.url_prefix.empty() && !ext.filter_verb.empty() && !feasible.empty()) {
    {
      absl::MutexLock l(&mu_);
      ++stats_.filter_calls;
    }
    ExtenderCall call = PostExtender(ext, ext.filter_verb, extender_args(feasible));
    std::vector<std::shared_ptr<const NodeRecord>> passed;
    std::map<std::string, std::string> failed;
    absl::Status st = call.status;
    if (st.ok()) {
      const json& a = call.answer;
      const std::string prefix(absl::StripSuffix(ext.url_prefix, "/"));
      const json* err = Field(a, "Error");
      const json* names = Field(a, "NodeNames");
      const json* list = Field(a, "Nodes");
      std::map<std::string, std::shared_ptr<const NodeRecord>> input;
      for (const auto& n : feasible) input[n->info.name] = n;
      auto take = [&](const std::string& name) {
        auto it = input.find(name);
        if (it == input.end()) {
          st = absl::InvalidArgumentError(absl::StrCat("extender \"", prefix, "\" claims a filtered node \"", name,
                                                       "\" which is not found in the input node list"));
          return;
        }
        passed.push_back(it->second);
      };
      if (!a.is_object()) {
        st = absl::InvalidArgumentError(
            absl::StrCat("failed ", ext.filter_verb, " with extender at URL ", prefix, "/", ext.filter_verb,
                         ": the answer is not an ExtenderFilterResult object"));
      } else if (err != nullptr && err->is_string() && !err->get<std::string>().empty()) {
        st = absl::UnknownError(err->get<std::string>());
      } else if (ext.node_cache_capable && names != nullptr && names->is_array()) {
        for (const json& n : *names) {
          if (n.is_string()) take(n.get<std::string>());
          if (!st.ok()) break;
        }
      } else if (list != nullptr && list->is_object()) {
        const json* items = Field(*list, "items");
        if (items != nullptr && items->is_array()) {
          for (const json& item : *items) {
            const json* meta = Field(item, "metadata");
            const json* name = meta != nullptr ? Field(*meta, "name") : nullptr;
            if (name != nullptr && name->is_string()) take(name->get<std::string>());
            if (!st.ok()) break;
          }
        }
      }
      if (st.ok()) {
        for (const char* map_key : {"FailedNodes", "FailedAndUnresolvableNodes"}) {
          const json* m = Field(a, map_key);
          if (m == nullptr || !m->is_object()) continue;
          for (auto it = m->begin(); it != m->end(); ++it) {
            if (it->is_string()) failed[it.key()] = it->get<std::string>();  // unresolvable wins (read last)
          }
        }
      }
    }
    if (!st.ok()) {
      if (!ext.ignorable) {
        RecordFailure(key, generation, kSchedulerError, std::string(st.message()));
        return;
      }
      // Ignorable: the extender is skipped, every node passes.
    } else {
      for (const auto& [node, why] : failed) {
        if (std::none_of(passed.begin(), passed.end(), [&](const auto& n) { return n->info.name == node; })) {
          reasons[node] = {why};
        }
      }
      feasible = std::move(passed);
      std::sort(feasible.begin(), feasible.end(),
                [](const auto& a, const auto& b) { return a->info.name < b->info.name; });
      feasible.erase(std::unique(feasible.begin(), feasible.end()), feasible.end());
    }
  }

  if (feasible.empty()) {
    RecordFailure(key, generation, kUnschedulable, FitErrorMessage(nodes.size(), reasons));
    return;
  }

  std::string chosen = feasible[0]->info.name;
  if (feasible.size() > 1) {
    std::map<std::string, int64_t> total;
    for (const auto& n : feasible) {
      auto u = used.find(n->info.name);
      total[n->info.name] = LeastAllocatedScore(sched, n->info, u == used.end() ? kNone : u->second);
    }
    if (!ext.url_prefix.empty() && !ext.prioritize_verb.empty()) {
      {
        absl::MutexLock l(&mu_);
        ++stats_.prioritize_calls;
      }
      ExtenderCall call = PostExtender(ext, ext.prioritize_verb, extender_args(feasible));
      if (call.status.ok() && call.answer.is_array()) {  // faults are ignored, as kube-scheduler does
        for (const json& hp : call.answer) {
          const json* host = Field(hp, "Host");
          const json* score = Field(hp, "Score");
          if (host == nullptr || !host->is_string() || score == nullptr || !score->is_number_integer()) continue;
          auto it = total.find(host->get<std::string>());
          if (it != total.end()) it->second += score->get<int64_t>() * ext.weight * 10;
        }
      }
    }
    int64_t best = 0;
    bool first = true;
    for (const auto& [name, score] : total) {  // name order: the lowest name wins ties
      if (first || score > best) {
        best = score;
        chosen = name;
        first = false;
      }
    }
  }

  // Bind.
  json meta = {{"name", key.second}, {"namespace", key.first}, {"uid", pod->object->meta.uid}};
  json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", meta},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", chosen}}}};
  {
    absl::MutexLock l(&mu_);
    assumed_[key] = {chosen, sched.requests};
  }
  absl::StatusOr<kube::Object> bound = client_.Create(kube::kPodsBinding, key.first, JsonText(binding));
  if (!bound.ok()) {
    {
      absl::MutexLock l(&mu_);
      assumed_.erase(key);
    }
    // The pod went away, or got bound meanwhile (409): the informer's next event settles it.
    if (absl::IsNotFound(bound.status()) || absl::IsAborted(bound.status()) ||
        absl::IsAlreadyExists(bound.status())) {
      return;
    }
    RecordFailure(key, generation, kSchedulerError,
                  absl::StrCat("binding rejected: ", bound.status().message()));
    return;
  }
  absl::MutexLock l(&mu_);
  ++stats_.binds;
  bindings_[absl::StrCat(key.first, "/", key.second)] = chosen;
  failures_.erase(key);
  queue_.erase(key);
}

bool Scheduler::CaughtUp() {
  absl::StatusOr<kube::ObjectList> nodes = client_.ListAll(kube::kNodes, "", {});
  absl::StatusOr<kube::ObjectList> pods = client_.ListAll(kube::kPods, "", {});
  if (!nodes.ok() || !pods.ok()) return false;
  absl::MutexLock l(&mu_);
  if (nodes->items.size() != nodes_by_name_.size() || pods->items.size() != pods_by_key_.size()) return false;
  for (const kube::Object& o : nodes->items) {
    auto it = nodes_by_name_.find(o.meta.name);
    if (it == nodes_by_name_.end() || it->second->object->meta.resource_version != o.meta.resource_version) {
      return false;
    }
  }
  for (const kube::Object& o : pods->items) {
    auto it = pods_by_key_.find({o.meta.namespace_, o.meta.name});
    if (it == pods_by_key_.end() || it->second->object->meta.resource_version != o.meta.resource_version) {
      return false;
    }
  }
  return true;
}

bool Scheduler::WaitUntilIdle(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (CaughtUp()) {
      absl::MutexLock l(&mu_);
      bool idle = !busy_ && std::none_of(queue_.begin(), queue_.end(), [](const auto& kv) { return kv.second.dirty; });
      if (idle) return true;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

bool Scheduler::WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

SchedulerStats Scheduler::Stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

std::optional<SchedulingFailure> Scheduler::LastFailure(const std::string& ns, const std::string& name) const {
  absl::MutexLock l(&mu_);
  auto it = failures_.find({ns, name});
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

std::string Scheduler::LastUnschedulableMessage(const std::string& ns, const std::string& name) const {
  absl::MutexLock l(&mu_);
  auto it = failures_.find({ns, name});
  if (it == failures_.end() || it->second.reason != kUnschedulable) return "";
  return it->second.message;
}

std::map<std::string, std::string> Scheduler::Bindings() const {
  absl::MutexLock l(&mu_);
  return bindings_;
}

}  // namespace phalanx::sim
