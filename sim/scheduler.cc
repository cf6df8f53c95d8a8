#include "sim/scheduler.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "sim/pod_affinity.h"

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

// `histogram`: reason → how many nodes gave it.
std::string FitErrorMessage(size_t total_nodes, const std::map<std::string, int>& histogram) {
  if (total_nodes == 0) return "no nodes available to schedule pods";
  std::vector<std::string> parts;
  for (const auto& [r, count] : histogram) {
    if (count > 0) parts.push_back(absl::StrCat(count, " ", r));
  }
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
  std::string spec_text;     // spec as compact JSON (`scheduling` is decoded from it alone)
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
  // Which set holds the entry: active_ (dirty, due), backoff_ (dirty, not yet due), parked_ (not
  // dirty), none of them while an attempt runs.
  enum class Where { kNone, kActive, kBackoff, kParked, kParkedForCapacity, kInFlight };
  Where where = Where::kNone;
  // The last failure came from in-tree filters alone: only a Node change or resources given back can
  // change the verdict (kParkedForCapacity while parked).
  bool capacity_only = false;
};

namespace {

// Parses a Pod or Node object through api/scheduling.h (which wants `kind` set).
absl::StatusOr<api::ClusterState> DecodeOne(json doc, const char* kind) {
  doc["kind"] = kind;
  return api::DecodeClusterState(JsonText(doc));
}

// Compact JSON of `v` with object members in key order (what nlohmann's std::map-backed dump gives):
// the same text for the same content, whatever order the members came in.
void WriteCanonical(const rapidjson::Value& v, rapidjson::Writer<rapidjson::StringBuffer>& w) {
  if (v.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    members.reserve(v.MemberCount());
    for (const auto& m : v.GetObject()) members.push_back(&m);
    auto name = [](const rapidjson::Value::Member* m) {
      return std::string_view(m->name.GetString(), m->name.GetStringLength());
    };
    std::stable_sort(members.begin(), members.end(), [&](auto* a, auto* b) { return name(a) < name(b); });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      WriteCanonical(m->value, w);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& e : v.GetArray()) WriteCanonical(e, w);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

std::string CanonicalText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteCanonical(v, w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RapidString(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : "";
}

}  // namespace

Scheduler::Scheduler(kube::Client& client, SchedulerOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_) return;
    started_ = true;
  }
  Setup();
  nodes_->Start();
  pods_->Start();
  worker_ = std::thread([this] { Run(); });
}

void Scheduler::Setup() {
  if (nodes_ != nullptr) return;
  // The records below keep what is read; the informers' caches keep only keys and versions.
  kube::InformerOptions io;
  io.cache_transform = [](kube::Object& o) { o.json.clear(); };
  nodes_ = std::make_unique<kube::Informer>(client_, kube::kNodes, io);
  pods_ = std::make_unique<kube::Informer>(client_, kube::kPods, io);
  nodes_->AddHandlers({[this](const kube::Object& o) { OnNode(nullptr, &o); },
                       [this](const kube::Object& a, const kube::Object& b) { OnNode(&a, &b); },
                       [this](const kube::Object& o) { OnNode(&o, nullptr); }});
  pods_->AddHandlers({[this](const kube::Object& o) { OnPod(nullptr, &o); },
                      [this](const kube::Object& a, const kube::Object& b) { OnPod(&a, &b); },
                      [this](const kube::Object& o) { OnPod(&o, nullptr); }});
}

size_t Scheduler::Pump() {
  size_t n = nodes_->Pump();
  return n + pods_->Pump();
}

bool Scheduler::Step() {
  Setup();
  bool progress = Pump() > 0;
  while (true) {
    Key key;
    {
      absl::MutexLock l(&mu_);
      if (!NextDue(&key)) break;
      busy_ = true;
    }
    progress = true;
    ScheduleOne(key);
    {
      absl::MutexLock l(&mu_);
      busy_ = false;
    }
    Pump();  // this attempt's writes come back before the next pod is looked at
  }
  return progress;
}

absl::Time Scheduler::NextWakeup() const {
  absl::MutexLock l(&mu_);
  if (!active_.empty()) return clock_.Now();
  if (!backoff_.empty()) return backoff_.begin()->first;
  return absl::InfiniteFuture();
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
  WakeParked(true);
}

void Scheduler::Unlink(const Key& key, QueueEntry& e) {
  switch (e.where) {
    case QueueEntry::Where::kActive:
      active_.erase(ActiveKey{-e.priority, e.creation, key});
      break;
    case QueueEntry::Where::kBackoff:
      backoff_.erase({e.not_before, key});
      break;
    case QueueEntry::Where::kParked:
      parked_.erase(key);
      break;
    case QueueEntry::Where::kParkedForCapacity:
      parked_for_capacity_.erase(key);
      break;
    case QueueEntry::Where::kNone:
      break;
    case QueueEntry::Where::kInFlight:
      return;  // in no set; stays in flight
  }
  e.where = QueueEntry::Where::kNone;
}

void Scheduler::File(const Key& key, QueueEntry& e) {
  if (e.where == QueueEntry::Where::kInFlight) return;  // the attempt's end files it
  Unlink(key, e);
  if (!e.dirty && e.capacity_only) {
    parked_for_capacity_.insert(key);
    e.where = QueueEntry::Where::kParkedForCapacity;
  } else if (!e.dirty) {
    parked_.insert(key);
    e.where = QueueEntry::Where::kParked;
  } else if (e.not_before > clock_.Now()) {
    backoff_.insert({e.not_before, key});
    e.where = QueueEntry::Where::kBackoff;
  } else {
    active_.insert(ActiveKey{-e.priority, e.creation, key});
    e.where = QueueEntry::Where::kActive;
  }
}

void Scheduler::EraseFromQueue(const Key& key) {
  auto it = queue_.find(key);
  if (it == queue_.end()) return;
  Unlink(key, it->second);
  queue_.erase(it);
}

void Scheduler::WakeParked(bool capacity_freed) {
  std::set<Key> parked;
  parked.swap(parked_);
  if (capacity_freed) {
    parked.merge(parked_for_capacity_);
    parked_for_capacity_.clear();
  }
  for (const Key& k : parked) {
    auto it = queue_.find(k);
    if (it == queue_.end()) continue;
    it->second.where = QueueEntry::Where::kNone;
    it->second.dirty = true;
    File(k, it->second);
  }
  // The pod of a running attempt sees the change through generation_.
}

bool Scheduler::Recharge(const Key& key) {
  std::optional<std::pair<std::string, api::Resources>> before;
  auto old = charged_.find(key);
  if (old != charged_.end()) {
    api::Resources& u = used_[old->second.first];
    for (const auto& [r, v] : old->second.second) u[r] -= v;
    u[kPodsResource] -= 1;
    before = std::move(old->second);
    charged_.erase(old);
  }
  auto pit = pods_by_key_.find(key);
  const PodRecord* p = pit == pods_by_key_.end() ? nullptr : pit->second.get();
  const std::string* node = nullptr;
  const api::Resources* requests = nullptr;
  if (p != nullptr && !p->node_name.empty()) {
    if (p->phase != "Succeeded" && p->phase != "Failed") {
      node = &p->node_name;
      requests = &p->scheduling.requests;
    }
  } else if (auto a = assumed_.find(key); a != assumed_.end()) {
    node = &a->second.first;
    requests = &a->second.second;
  }
  if (node == nullptr) return before.has_value();
  api::Resources& u = used_[*node];
  for (const auto& [r, v] : *requests) u[r] += v;
  u[kPodsResource] += 1;
  auto [now_charged, unused] = charged_.emplace(key, std::make_pair(*node, *requests));
  if (!before.has_value()) return false;
  if (before->first != *node) return true;
  for (const auto& [r, v] : before->second) {
    auto n = now_charged->second.second.find(r);
    if (n == now_charged->second.second.end() || n->second < v) return true;
  }
  return false;
}

void Scheduler::OnPod(const kube::Object* old_obj, const kube::Object* new_obj) {
  const kube::Object& any = new_obj != nullptr ? *new_obj : *old_obj;
  Key key{any.meta.namespace_, any.meta.name};
  std::shared_ptr<PodRecord> rec;
  if (new_obj != nullptr) {
    rec = std::make_shared<PodRecord>();
    rec->deleting = new_obj->meta.deletion_timestamp.has_value();
    rec->creation = new_obj->meta.creation_timestamp;
    // Every pod event comes through here: RapidJSON, and the spec and labels in canonical text (key
    // order) so that versions compare by content.
    rapidjson::Document doc;
    doc.Parse(new_obj->json.data(), new_obj->json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      rec->decode_error = "pod is not a JSON object";
      doc.SetObject();
    }
    auto& alloc = doc.GetAllocator();
    if (!doc.HasMember("spec")) doc.AddMember("spec", rapidjson::Value(rapidjson::kObjectType), alloc);
    rapidjson::Value& spec = doc["spec"];
    auto status = doc.FindMember("status");
    rec->scheduler_name = RapidString(spec, "schedulerName");
    if (rec->scheduler_name.empty()) rec->scheduler_name = kDefaultScheduler;
    rec->node_name = RapidString(spec, "nodeName");
    rec->phase = status != doc.MemberEnd() ? RapidString(status->value, "phase") : "";
    if (rec->phase.empty()) rec->phase = "Pending";
    const rapidjson::Value* labels = nullptr;
    if (auto meta = doc.FindMember("metadata"); meta != doc.MemberEnd() && meta->value.IsObject()) {
      auto l = meta->value.FindMember("labels");
      if (l != meta->value.MemberEnd()) labels = &l->value;
    }
    // The decoded view does not depend on nodeName: without it, a binding does not force a new decode.
    if (spec.IsObject()) spec.RemoveMember("nodeName");
    rec->spec_text = CanonicalText(spec);
    rec->signature = absl::StrCat(rec->spec_text, "|", rec->node_name, "|", rec->phase, "|", rec->deleting ? "d" : "",
                                  "|", labels != nullptr ? CanonicalText(*labels) : "{}");
    std::shared_ptr<const PodRecord> before;
    {
      absl::MutexLock l(&mu_);
      auto it = pods_by_key_.find(key);
      if (it != pods_by_key_.end()) before = it->second;
    }
    if (rec->decode_error.empty() && before != nullptr && before->decode_error.empty() &&
        before->spec_text == rec->spec_text) {
      rec->scheduling = before->scheduling;  // a status or metadata change: the spec reads the same
    } else if (rec->decode_error.empty()) {
      // As DecodeOne: kind set (api/scheduling.h wants it), the spec without nodeName.
      if (auto kind = doc.FindMember("kind"); kind != doc.MemberEnd()) {
        kind->value.SetString("Pod", alloc);
      } else {
        doc.AddMember("kind", rapidjson::Value("Pod", alloc), alloc);
      }
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      doc.Accept(w);
      absl::StatusOr<api::ClusterState> st = api::DecodeClusterState(std::string_view(buf.GetString(), buf.GetSize()));
      if (!st.ok()) {
        rec->decode_error = std::string(st.status().message());
      } else if (st->pods.size() == 1) {
        rec->scheduling = std::move(st->pods[0].scheduling);
      }
    }
    rec->priority = rec->scheduling.priority.value_or(0);
    rec->candidate = rec->node_name.empty() && rec->scheduling.scheduling_gates.empty() && !rec->deleting &&
                     rec->phase == "Pending" && rec->scheduler_name == options_.scheduler_name;
    // Only a pod to be scheduled needs its whole object (the extender's request); others keep metadata.
    if (rec->candidate) {
      rec->object = std::make_shared<const kube::Object>(*new_obj);
    } else {
      auto meta_only = std::make_shared<kube::Object>();
      meta_only->meta = new_obj->meta;
      rec->object = std::move(meta_only);
    }
  }

  absl::MutexLock l(&mu_);
  auto prev_it = pods_by_key_.find(key);
  std::shared_ptr<const PodRecord> prev = prev_it == pods_by_key_.end() ? nullptr : prev_it->second;
  bool relevant = prev == nullptr || rec == nullptr || prev->signature != rec->signature;
  if (rec == nullptr) {
    pods_by_key_.erase(key);
    EraseFromQueue(key);
    assumed_.erase(key);
  } else {
    pods_by_key_[key] = rec;
    if (!rec->node_name.empty()) assumed_.erase(key);
    if (rec->candidate) {
      auto [it, inserted] = queue_.try_emplace(key);
      QueueEntry& e = it->second;
      if (inserted || relevant || e.priority != rec->priority || e.creation != rec->creation) {
        Unlink(key, e);  // a no-op while in flight
        e.priority = rec->priority;
        e.creation = rec->creation;
        if (inserted || relevant) e.dirty = true;
        File(key, e);
      }
    } else {
      EraseFromQueue(key);
    }
  }
  const bool freed = Recharge(key);
  if (relevant || freed) {
    ++generation_;
    WakeParked(freed);
  }
}

bool Scheduler::NextDue(Key* key) {
  const absl::Time now = clock_.Now();
  while (!backoff_.empty() && backoff_.begin()->first <= now) {
    const Key k = backoff_.begin()->second;
    backoff_.erase(backoff_.begin());
    QueueEntry& e = queue_.at(k);
    e.where = QueueEntry::Where::kNone;
    File(k, e);
  }
  if (active_.empty()) return false;
  *key = std::get<2>(*active_.begin());
  QueueEntry& e = queue_.at(*key);
  Unlink(*key, e);
  e.where = QueueEntry::Where::kInFlight;
  return true;
}

bool Scheduler::HasDue() const {
  return !active_.empty() || (!backoff_.empty() && backoff_.begin()->first <= clock_.Now());
}

absl::Duration Scheduler::UntilNextDue() const {
  absl::Duration d = absl::Milliseconds(200);
  if (!backoff_.empty()) d = std::min(d, std::max(absl::ZeroDuration(), backoff_.begin()->first - clock_.Now()));
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
          return stopping_ || generation_ != seen || HasDue();
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
                              const std::string& message, bool capacity_only) {
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
      if (e.where == QueueEntry::Where::kInFlight) e.where = QueueEntry::Where::kNone;
      Unlink(key, e);
      ++e.attempts;
      absl::Duration backoff = options_.initial_backoff;
      for (int i = 1; i < e.attempts && backoff < options_.max_backoff; ++i) backoff *= 2;
      backoff = std::min(backoff, options_.max_backoff);
      e.not_before = clock_.Now() + backoff;
      e.capacity_only = reason == kUnschedulable && capacity_only;
      // Unschedulable pods wait for a change; faults are retried after the backoff alone.
      e.dirty = e.dirty || reason != kUnschedulable || generation_ != generation_seen;
      File(key, e);
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
                 {"lastTransitionTime", kube::FormatTime(clock_.Now())},
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

// Calls the extender: through its in-process transport when set (a failed call is a transport fault),
// else over HTTP.
ExtenderCall CallExtender(const SchedulerExtenderOptions& ext, const std::string& verb, const std::string& body) {
  if (!ext.transport) return PostExtender(ext, verb, body);
  ExtenderCall out;
  std::string prefix(absl::StripSuffix(ext.url_prefix, "/"));
  const std::string url = absl::StrCat(prefix, "/", verb);
  absl::StatusOr<std::string> answer = ext.transport(verb, body);
  if (!answer.ok()) {
    out.status = absl::UnavailableError(
        absl::StrCat("failed ", verb, " with extender at URL ", url, ": ", answer.status().message()));
    return out;
  }
  out.answer = json::parse(*answer, nullptr, false);
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
  constexpr char kNotPinnedHere[] = "node(s) didn't satisfy plugin(s) [NodeAffinity]";
  std::shared_ptr<const PodRecord> pod;
  int64_t generation = 0;
  size_t total_nodes = 0;
  std::map<std::string, std::vector<std::string>> reasons;  // filtered node → why not
  size_t not_pinned_here = 0;  // nodes left out by the PreFilter (not in `reasons`)
  bool narrowed = false;
  std::set<std::string> allowed;
  std::vector<std::shared_ptr<const NodeRecord>> feasible;
  std::vector<int64_t> feasible_score;  // in-tree score of feasible[i]
  size_t wrap_at = 0;                   // feasible[wrap_at..] were found after the search wrapped around
  {
    absl::MutexLock l(&mu_);
    ++stats_.attempts;
    auto it = pods_by_key_.find(key);
    auto qit = queue_.find(key);
    if (it == pods_by_key_.end() || !it->second->candidate || qit == queue_.end()) {
      if (qit != queue_.end()) qit->second.where = QueueEntry::Where::kNone;
      EraseFromQueue(key);
      return;
    }
    qit->second.dirty = false;
    pod = it->second;
    generation = generation_;
    total_nodes = nodes_by_name_.size();
    if (pod->decode_error.empty()) {
      const api::PodScheduling& sched = pod->scheduling;
      // PreFilter: NodeAffinity narrowing by matchFields metadata.name: only those nodes are looked up.
      narrowed = !sched.required_terms.empty();
      for (const auto& term : sched.required_terms) {
        if (term.node_names.empty()) narrowed = false;
        allowed.insert(term.node_names.begin(), term.node_names.end());
      }
      // In-tree filters from a rotating start, until enough feasible nodes are found. Used resources
      // are read in place (kept up to date by OnPod).
      const api::Resources kNone;
      // InterPodAffinity (sim/pod_affinity.h), only for pods with required pod (anti-)affinity terms.
      std::optional<PodAffinityCheck> pod_affinity;
      if (pod->spec_text.find("podAffinity") != std::string::npos ||
          pod->spec_text.find("podAntiAffinity") != std::string::npos) {
        if (absl::StatusOr<PodAffinitySpec> spec = ReadPodAffinity(pod->object->json); spec.ok() && !spec->empty()) {
          std::vector<PlacedPod> placed;
          for (const auto& [k, rec] : pods_by_key_) {
            auto a = assumed_.find(k);
            const std::string& on = !rec->node_name.empty() ? rec->node_name : a != assumed_.end() ? a->second.first : "";
            auto node = on.empty() ? nodes_by_name_.end() : nodes_by_name_.find(on);
            if (node == nodes_by_name_.end() || rec->deleting || rec->phase == "Succeeded" || rec->phase == "Failed") continue;
            placed.push_back({rec->object->meta.namespace_, &rec->object->meta.labels, &node->second->info.labels});
          }
          pod_affinity.emplace(*spec, pod->object->meta.namespace_, pod->object->meta.labels, placed);
        }
      }
      auto filter = [&](const std::shared_ptr<const NodeRecord>& n) {
        auto u = used_.find(n->info.name);
        const api::Resources& used = u == used_.end() ? kNone : u->second;
        std::vector<std::string> why =
            n->ok ? FilterNode(sched, n->info, used) : std::vector<std::string>{"node(s) could not be read"};
        if (why.empty() && pod_affinity) {
          if (std::string r = pod_affinity->Reason(n->info.labels); !r.empty()) why.push_back(std::move(r));
        }
        if (why.empty()) {
          feasible.push_back(n);
          feasible_score.push_back(LeastAllocatedScore(sched, n->info, used));
        } else {
          reasons[n->info.name] = std::move(why);
        }
      };
      if (narrowed) {
        std::vector<std::shared_ptr<const NodeRecord>> considered;
        for (const std::string& name : allowed) {
          auto n = nodes_by_name_.find(name);
          if (n != nodes_by_name_.end()) considered.push_back(n->second);
        }
        not_pinned_here = total_nodes - considered.size();
        const size_t want = NumFeasibleNodesToFind(options_.percentage_of_nodes_to_score, considered.size());
        size_t processed = 0;
        const size_t start = considered.empty() ? 0 : next_start_node_ % considered.size();
        wrap_at = 0;
        for (; processed < considered.size() && feasible.size() < want; ++processed) {
          if (start + processed == considered.size()) wrap_at = feasible.size();
          filter(considered[(start + processed) % considered.size()]);
        }
        if (!considered.empty()) next_start_node_ = (next_start_node_ + processed) % considered.size();
      } else {
        const size_t want = NumFeasibleNodesToFind(options_.percentage_of_nodes_to_score, total_nodes);
        auto n = nodes_by_name_.lower_bound(next_start_name_);
        for (size_t processed = 0; processed < total_nodes && feasible.size() < want; ++processed, ++n) {
          if (n == nodes_by_name_.end()) {
            n = nodes_by_name_.begin();
            wrap_at = feasible.size();
          }
          filter(n->second);
        }
        next_start_name_ = n == nodes_by_name_.end() ? "" : n->first;
      }
    }
  }
  if (!pod->decode_error.empty()) {
    RecordFailure(key, generation, kSchedulerError, pod->decode_error);
    return;
  }
  const api::PodScheduling& sched = pod->scheduling;
  // Both searches run in name order from a rotating start: the part found after wrapping around comes
  // first in name order.
  std::rotate(feasible.begin(), feasible.begin() + static_cast<std::ptrdiff_t>(wrap_at), feasible.end());
  std::rotate(feasible_score.begin(), feasible_score.begin() + static_cast<std::ptrdiff_t>(wrap_at),
              feasible_score.end());

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
  const bool has_extender = !ext.url_prefix.empty() || ext.transport != nullptr;
  bool extender_filtered = false;
  if (has_extender && !ext.filter_verb.empty() && !feasible.empty()) {
    extender_filtered = true;
    {
      absl::MutexLock l(&mu_);
      ++stats_.filter_calls;
    }
    ExtenderCall call = CallExtender(ext, ext.filter_verb, extender_args(feasible));
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
          if (narrowed && !allowed.count(node) && !reasons.count(node)) {
            absl::MutexLock l(&mu_);
            if (nodes_by_name_.count(node) && not_pinned_here > 0) --not_pinned_here;  // its reason replaced
          }
          reasons[node] = {why};
        }
      }
      std::unordered_map<std::string, int64_t> score_of;
      for (size_t i = 0; i < feasible.size(); ++i) score_of[feasible[i]->info.name] = feasible_score[i];
      feasible = std::move(passed);
      std::sort(feasible.begin(), feasible.end(),
                [](const auto& a, const auto& b) { return a->info.name < b->info.name; });
      feasible.erase(std::unique(feasible.begin(), feasible.end()), feasible.end());
      feasible_score.clear();
      for (const auto& n : feasible) feasible_score.push_back(score_of[n->info.name]);
    }
  }

  if (feasible.empty()) {
    std::map<std::string, int> histogram;
    for (const auto& [node, rs] : reasons) {
      for (const std::string& r : rs) ++histogram[r];
    }
    if (not_pinned_here > 0) histogram[kNotPinnedHere] += static_cast<int>(not_pinned_here);
    // Reasons only a Node change or freed resources can lift (kube-scheduler's queueing hints for these
    // plugins ignore pods being bound): such a pod is not woken by every pod event.
    bool capacity_only = !extender_filtered;
    for (const auto& [r, count] : histogram) {
      capacity_only = capacity_only && (r == "Too many pods" || absl::StartsWith(r, "Insufficient ") ||
                                        absl::StartsWith(r, "node(s) had untolerated taint") ||
                                        r == "node(s) were unschedulable" ||
                                        r == "node(s) didn't match Pod's node affinity/selector" ||
                                        r == "node(s) could not be read" || r == kNotPinnedHere);
    }
    RecordFailure(key, generation, kUnschedulable, FitErrorMessage(total_nodes, histogram), capacity_only);
    return;
  }

  std::string chosen = feasible[0]->info.name;
  if (feasible.size() > 1) {
    std::vector<int64_t> total = feasible_score;
    if (has_extender && !ext.prioritize_verb.empty()) {
      {
        absl::MutexLock l(&mu_);
        ++stats_.prioritize_calls;
      }
      ExtenderCall call = CallExtender(ext, ext.prioritize_verb, extender_args(feasible));
      if (call.status.ok() && call.answer.is_array()) {  // faults are ignored, as kube-scheduler does
        std::unordered_map<std::string, size_t> position;
        for (size_t i = 0; i < feasible.size(); ++i) position[feasible[i]->info.name] = i;
        for (const json& hp : call.answer) {
          const json* host = Field(hp, "Host");
          const json* score = Field(hp, "Score");
          if (host == nullptr || !host->is_string() || score == nullptr || !score->is_number_integer()) continue;
          auto it = position.find(host->get<std::string>());
          if (it != position.end()) total[it->second] += score->get<int64_t>() * ext.weight * 10;
        }
      }
    }
    size_t best = 0;
    for (size_t i = 1; i < total.size(); ++i) {  // name order: the lowest name wins ties
      if (total[i] > total[best]) best = i;
    }
    chosen = feasible[best]->info.name;
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
    Recharge(key);
  }
  absl::StatusOr<kube::Object> bound = client_.Create(kube::kPodsBinding, key.first, JsonText(binding));
  if (!bound.ok()) {
    {
      absl::MutexLock l(&mu_);
      assumed_.erase(key);
      if (Recharge(key)) {
        ++generation_;
        WakeParked(true);
      }
    }
    // The pod went away, or got bound meanwhile (409): the informer's next event settles it.
    if (absl::IsNotFound(bound.status()) || absl::IsAborted(bound.status()) ||
        absl::IsAlreadyExists(bound.status())) {
      absl::MutexLock l(&mu_);
      auto it = queue_.find(key);
      if (it != queue_.end() && it->second.where == QueueEntry::Where::kInFlight) {
        it->second.where = QueueEntry::Where::kNone;
        File(key, it->second);  // parked unless something changed meanwhile
      }
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
  if (auto it = queue_.find(key); it != queue_.end() && it->second.where == QueueEntry::Where::kInFlight) {
    it->second.where = QueueEntry::Where::kNone;
  }
  EraseFromQueue(key);
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
      bool idle = !busy_ && active_.empty() && backoff_.empty();
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
