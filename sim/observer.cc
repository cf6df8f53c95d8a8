#include "sim/observer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/jobset_codec.h"
#include "api/labels.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "scheduler-extender/reservation_record.h"
#include "scheduler-extender/wire.h"

namespace phalanx::sim {
namespace {

using nlohmann::json;

std::string Label(const api::StringMap& m, std::string_view key) {
  auto it = m.find(std::string(key));
  return it == m.end() ? "" : it->second;
}

std::string StrField(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool ConditionTrue(const api::JobSet& js, std::string_view type) {
  if (!js.status) return false;
  for (const api::Condition& c : js.status->conditions) {
    if (c.type == type && c.status == "True") return true;
  }
  return false;
}

}  // namespace

Observer::Observer(ObserverOptions options) : options_(std::move(options)) {}

std::string Observer::PathOf(const std::string& node, const std::string& key) const {
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return "";
  const api::StringMap& labels = n->second.labels;
  if (Label(labels, key).empty()) return "";
  for (const std::vector<std::string>& chain : options_.chains) {
    auto at = std::find(chain.begin(), chain.end(), key);
    if (at == chain.end()) continue;
    std::vector<std::string> parts;
    for (auto it = chain.begin(); it != at + 1; ++it) {
      std::string v = Label(labels, *it);
      if (v.empty()) return "";
      parts.push_back(std::move(v));
    }
    return absl::StrJoin(parts, "/");
  }
  return Label(labels, key);
}

std::string Observer::ComputeRow(const api::StringMap& labels) const {
  for (const std::vector<std::string>& path : options_.row_keys) {
    std::vector<std::string> parts;
    for (const std::string& k : path) {
      std::string v = Label(labels, k);
      if (v.empty()) break;
      parts.push_back(std::move(v));
    }
    if (parts.size() == path.size() && !path.empty()) {
      return absl::StrCat(path.back(), "=", absl::StrJoin(parts, "/"));
    }
  }
  return "";
}

std::string Observer::RowOf(const std::string& node) const {
  auto n = nodes_.find(node);
  return n == nodes_.end() ? "" : n->second.row;
}

void Observer::OnNode(const std::string& text) {
  absl::StatusOr<api::ClusterState> st = api::DecodeClusterState(text);
  if (!st.ok() || st->nodes.size() != 1) return;
  api::NodeInfo& n = st->nodes[0];
  NodeRec& rec = nodes_[n.name];
  const bool was_ready = rec.ready;
  const bool is_new = rec.labels.empty() && rec.allocatable.empty();
  rec.labels = std::move(n.labels);
  rec.allocatable = std::move(n.allocatable);
  rec.ready = n.ready;
  if (is_new) {
    rec.row = ComputeRow(rec.labels);
    auto it = rec.allocatable.find(options_.resource);
    double cap = it == rec.allocatable.end() ? 0 : static_cast<double>(it->second);
    total_capacity_ += cap;
    if (!rec.row.empty()) row_capacity_[rec.row] += cap;
  }
  if (!is_new && was_ready != rec.ready) {
    Mark m;
    m.kind = rec.ready ? MarkKind::kNodeRecovery : MarkKind::kNodeFailure;
    m.t_s = now_;
    m.domain_id = RowOf(n.name);
    m.text = absl::StrCat("node ", n.name, rec.ready ? " Ready again" : " NotReady");
    marks_.push_back(std::move(m));
  }
  dirty_nodes_.insert(n.name);
}

void Observer::OnNodeDeleted(const std::string& name) { nodes_.erase(name); }

void Observer::Place(const PodRec& pod, int sign) {
  if (!pod.Bound()) return;
  api::Resources& used = used_[pod.node];
  for (const auto& [r, v] : pod.requests) used[r] += sign * v;
  dirty_nodes_.insert(pod.node);
  {
    const std::string& row = RowOf(pod.node);
    auto r = pod.requests.find(options_.resource);
    if (!row.empty() && r != pod.requests.end()) row_used_[row] += sign * static_cast<double>(r->second);
  }
  // Every exclusive key any Job uses: the pod counts in its domain at that key.
  for (const std::string& key : exclusive_keys_) {
    std::string path = PathOf(pod.node, key);
    if (path.empty()) continue;
    std::string domain = absl::StrCat(key, "=", path);
    int& n = domain_jobs_[domain][pod.job];
    n += sign;
    if (n == 0) domain_jobs_[domain].erase(pod.job);
    dirty_domains_.insert(domain);
  }
  if (pod.job.empty()) return;
  int& on_node = job_nodes_[pod.job][pod.node];
  on_node += sign;
  if (on_node == 0) job_nodes_[pod.job].erase(pod.node);
  dirty_jobs_.insert(pod.job);
  // Occupancy of the row.
  std::string row = RowOf(pod.node);
  if (row.empty()) return;
  auto key = std::make_pair(pod.job, row);
  auto it = open_.find(key);
  if (sign > 0) {
    if (it == open_.end()) {
      Occupancy o;
      o.domain_id = row;
      o.jobset = pod.jobset;
      o.job = pod.job.substr(pod.job.find('/') + 1);
      o.start_s = now_;
      o.end_s = now_;
      occupancies_.push_back(std::move(o));
      it = open_.emplace(key, OpenOccupancy{occupancies_.size() - 1, 0}).first;
      row_jobs_[row].insert(pod.job);
    }
    ++it->second.pods;
    Occupancy& o = occupancies_[it->second.index];
    o.pods = std::max(o.pods, it->second.pods);
  } else if (it != open_.end()) {
    if (--it->second.pods <= 0) {
      occupancies_[it->second.index].end_s = now_;
      open_.erase(it);
      auto rj = row_jobs_.find(row);
      if (rj != row_jobs_.end()) {
        rj->second.erase(pod.job);
        if (rj->second.empty()) row_jobs_.erase(rj);
      }
    }
  }
}

void Observer::OnPod(const std::string& text) {
  absl::StatusOr<api::PodInfo> info = extender::DecodePodInfo(text);
  if (!info.ok()) return;
  const api::ObjectMeta& meta = info->metadata;
  const std::string ns = meta.namespace_or_default();
  const auto key = std::make_pair(ns, meta.name_or_empty());
  const api::StringMap labels = meta.labels.value_or(api::StringMap{});
  const api::StringMap annotations = meta.annotations.value_or(api::StringMap{});
  PodRec rec;
  std::string js = Label(labels, api::kJobSetNameKey);
  std::string job = Label(labels, "batch.kubernetes.io/job-name");
  if (!js.empty()) rec.jobset = absl::StrCat(ns, "/", js);
  if (!job.empty()) rec.job = absl::StrCat(ns, "/", job);
  {
    std::string rj = Label(labels, api::kReplicatedJobNameKey);
    std::string idx = Label(labels, api::kJobIndexKey);
    rec.record_key = rj.empty() || idx.empty() ? "" : absl::StrCat(rj, "/", idx);
  }
  rec.exclusive_key = Label(annotations, api::kExclusiveKey);
  rec.node = info->node_name;
  rec.phase = info->phase.empty() ? "Pending" : info->phase;
  rec.deleting = meta.deletion_timestamp.has_value();
  rec.requests = info->scheduling.requests;
  if (!rec.job.empty()) {
    job_pods_[rec.job].insert(key);
    if (!rec.exclusive_key.empty()) job_exclusive_.emplace(rec.job, rec.exclusive_key);
  }
  if (!rec.exclusive_key.empty() && exclusive_keys_.insert(rec.exclusive_key).second) {
    // A key seen for the first time: pods already bound count in its domains from now on.
    for (const auto& [k, p] : pods_) {
      if (!p.Bound()) continue;
      std::string path = PathOf(p.node, rec.exclusive_key);
      if (path.empty()) continue;
      std::string domain = absl::StrCat(rec.exclusive_key, "=", path);
      domain_jobs_[domain][p.job] += 1;
      dirty_domains_.insert(domain);
    }
  }
  auto it = pods_.find(key);
  if (it != pods_.end()) {
    Place(it->second, -1);
    Account(it->second, -1);
    it->second = rec;
  } else {
    it = pods_.emplace(key, rec).first;
  }
  Place(it->second, +1);
  Account(it->second, +1);
  if (!rec.job.empty()) dirty_jobs_.insert(rec.job);
}

void Observer::OnPodDeleted(const std::string& ns, const std::string& name) {
  auto it = pods_.find({ns, name});
  if (it == pods_.end()) return;
  Place(it->second, -1);
  Account(it->second, -1);
  if (!it->second.job.empty()) {
    dirty_jobs_.insert(it->second.job);
    auto jp = job_pods_.find(it->second.job);
    if (jp != job_pods_.end()) {
      jp->second.erase(it->first);
      if (jp->second.empty()) job_pods_.erase(jp);
    }
  }
  pods_.erase(it);
}

void Observer::Account(const PodRec& p, int sign) {
  if (p.phase == "Running" && !p.node.empty()) {
    running_pods_ += sign;
    auto r = p.requests.find(options_.resource);
    if (r != p.requests.end()) running_used_ += sign * static_cast<double>(r->second);
    if (!p.jobset.empty() && !p.deleting) jobset_running_[p.jobset] += sign;
  } else if (p.node.empty() && p.Active()) {
    pending_pods_ += sign;
  }
}

void Observer::OnJobSet(const std::string& text) {
  absl::StatusOr<api::JobSet> js = api::DecodeJobSet(text);
  if (!js.ok()) return;
  const std::string key = absl::StrCat(js->metadata.namespace_or_default(), "/", js->metadata.name_or_empty());
  auto it = jobsets_.find(key);
  if (it == jobsets_.end()) return;  // not one the driver created
  JobSetRec& rec = it->second;
  const api::StringMap annotations = js->metadata.annotations.value_or(api::StringMap{});
  auto res = annotations.find(std::string(api::kReservationsKey));
  if (res != annotations.end()) {
    absl::StatusOr<extender::ReservationRecord> decoded = extender::DecodeReservationRecord(res->second);
    if (decoded.ok()) rec.reservation = *std::move(decoded);
  }
  const int32_t restarts = js->status ? js->status->restarts : 0;
  if (restarts > rec.record.restarts) {
    Mark m;
    m.kind = MarkKind::kRestart;
    m.t_s = now_;
    m.jobset = key;
    m.text = absl::StrCat(key, " restarts (attempt ", restarts, ")");
    for (const auto& [job, domain] : rec.reservation) {
      if (!domain.empty()) {
        m.domain_id = domain;
        break;
      }
    }
    marks_.push_back(std::move(m));
    rec.record.restarts = restarts;
  }
  if (!rec.finished) {
    if (ConditionTrue(*js, "Completed")) {
      rec.finished = true;
      rec.record.outcome = "Completed";
      rec.record.finished_s = now_;
    } else if (ConditionTrue(*js, "Failed")) {
      rec.finished = true;
      rec.record.outcome = "Failed";
      rec.record.finished_s = now_;
    }
  }
}

void Observer::OnEvent(const std::string& text) {
  json ev = json::parse(text, nullptr, false);
  if (!ev.is_object() || !ev.contains("regarding")) return;
  const json& reg = ev["regarding"];
  if (StrField(reg, "kind") != "JobSet") return;
  std::string key = absl::StrCat(StrField(reg, "namespace"), "/", StrField(reg, "name"));
  auto it = jobsets_.find(key);
  if (it == jobsets_.end()) return;
  const std::string reason = StrField(ev, "reason");
  const std::string note = StrField(ev, "note");
  if (reason == "GangWaiting" || reason == "CannotPlace") {
    it->second.record.wait_reason = note;
  } else if (reason == "GangMoved") {
    Mark m;
    m.kind = MarkKind::kGangMoved;
    m.t_s = now_;
    m.jobset = key;
    m.text = note;
    marks_.push_back(std::move(m));
  }
}

void Observer::Arrived(const std::string& ns, const std::string& name, double t_s, int pods) {
  const std::string key = absl::StrCat(ns, "/", name);
  JobSetRec& rec = jobsets_[key];
  rec.record.namespace_ = ns;
  rec.record.name = name;
  rec.record.arrived_s = t_s;
  rec.record.outcome = "Waiting";
  rec.record.pods = pods;
  rec.attempt_pods = pods;
  arrival_order_.push_back(key);
}

void Observer::Rejected(const std::string& ns, const std::string& name, double t_s, const std::string& message) {
  Arrived(ns, name, t_s, 0);
  JobSetRec& rec = jobsets_[absl::StrCat(ns, "/", name)];
  rec.finished = true;
  rec.record.outcome = "Rejected";
  rec.record.wait_reason = message;
}

void Observer::AddMark(Mark mark) { marks_.push_back(std::move(mark)); }

void Observer::Violation(const std::string& rule, const std::string& text) {
  ++invariants_.violations[rule];
  if (invariants_.examples.size() < options_.max_examples) {
    invariants_.examples.push_back(absl::StrCat("t=", static_cast<int64_t>(now_), "s ", rule, ": ", text));
  }
}

void Observer::CheckNode(const std::string& node) {
  auto n = nodes_.find(node);
  auto u = used_.find(node);
  if (n == nodes_.end() || u == used_.end()) return;
  for (const auto& [r, v] : u->second) {
    if (v <= 0) continue;
    auto a = n->second.allocatable.find(r);
    int64_t have = a == n->second.allocatable.end() ? 0 : a->second;
    if (v > have) Violation("capacity-exceeded", absl::StrCat("node ", node, " ", r, " requested ", v, " > ", have));
  }
}

void Observer::CheckExclusiveDomain(const std::string& domain) {
  auto d = domain_jobs_.find(domain);
  if (d == domain_jobs_.end() || d->second.size() < 2) return;
  const std::string key = domain.substr(0, domain.find('='));
  std::vector<std::string> exclusive, all;
  for (const auto& [job, n] : d->second) {
    if (n <= 0) continue;
    all.push_back(job.empty() ? "(other pods)" : job);
    auto e = job_exclusive_.find(job);
    if (e != job_exclusive_.end() && e->second == key) exclusive.push_back(job);
  }
  if (!exclusive.empty() && all.size() > 1) {
    Violation("exclusive-domain-shared", absl::StrCat(domain, " holds ", absl::StrJoin(all, ", ")));
  }
}

Observer::JobView Observer::ViewOf(const std::string& job) const {
  JobView v;
  auto jp = job_pods_.find(job);
  if (jp == job_pods_.end()) return v;
  for (const auto& pod_key : jp->second) {
    auto it = pods_.find(pod_key);
    if (it == pods_.end()) continue;
    const PodRec& p = it->second;
    if (!p.Active() || p.deleting) continue;
    ++v.active;
    if (!p.node.empty()) {
      ++v.bound;
      v.nodes.push_back(p.node);
    }
    v.record_key = p.record_key;
    v.jobset = p.jobset;
  }
  return v;
}

void Observer::CheckJob(const std::string& job, const JobView& view) {
  if (!job_exclusive_.count(job)) return;  // only gangs are held to the gang invariants
  const int active = view.active, bound = view.bound;
  const std::vector<std::string>& nodes = view.nodes;
  const std::string& record_key = view.record_key;
  const std::string& jobset = view.jobset;
  if (bound > 0 && bound < active) {
    Violation("partial-gang", absl::StrCat(job, " has ", bound, " of ", active, " pods bound"));
  }
  if (!options_.gangs || bound == 0) return;
  auto js = jobsets_.find(jobset);
  if (js == jobsets_.end()) return;
  auto r = js->second.reservation.find(record_key);
  if (r == js->second.reservation.end() || r->second.empty()) {
    Violation("outside-reservation", absl::StrCat(job, " has pods bound with no reservation recorded"));
    return;
  }
  absl::StatusOr<std::pair<std::string, std::string>> split = extender::SplitDomainLabel(r->second);
  if (!split.ok()) return;
  for (const std::string& node : nodes) {
    if (PathOf(node, split->first) != split->second) {
      Violation("outside-reservation", absl::StrCat(job, " pod on node ", node, " outside ", r->second));
      break;
    }
  }
}

void Observer::TakeSample(double t_s) {
  Sample s;
  s.t_s = t_s;
  s.running_pods = running_pods_;
  s.pending_pods = pending_pods_;
  s.utilisation = total_capacity_ > 0 ? running_used_ / total_capacity_ : 0;
  std::map<std::string, std::pair<double, double>> rows;  // row → (capacity, used)
  for (const auto& [row, cap] : row_capacity_) {
    auto u = row_used_.find(row);
    rows[row] = {cap, u == row_used_.end() ? 0.0 : u->second};
  }
  double free_all = 0, free_whole = 0;
  for (const auto& [row, cu] : rows) {
    double free = std::max(0.0, cu.first - cu.second);
    free_all += free;
    if (cu.second <= 0) free_whole += free;
  }
  s.fragmentation = free_all > 0 ? 1.0 - free_whole / free_all : 0;
  if (!samples_.empty()) {
    const Sample& last = samples_.back();
    if (last.running_pods == s.running_pods && last.pending_pods == s.pending_pods &&
        std::abs(last.utilisation - s.utilisation) < 1e-9 && std::abs(last.fragmentation - s.fragmentation) < 1e-9) {
      return;
    }
    if (t_s - last.t_s < 1.0) {
      samples_.back() = s;
      return;
    }
  }
  samples_.push_back(s);
}

void Observer::Checkpoint(double t_s) {
  now_ = t_s;
  ++invariants_.checked;
  for (const std::string& n : dirty_nodes_) CheckNode(n);
  for (const std::string& d : dirty_domains_) CheckExclusiveDomain(d);
  std::map<std::string, JobView> views;
  for (const std::string& j : dirty_jobs_) {
    const JobView& v = views[j] = ViewOf(j);
    CheckJob(j, v);
  }
  // Shared occupancies: rows touched this step holding several Jobs.
  std::set<std::string> rows_touched;
  for (const std::string& n : dirty_nodes_) rows_touched.insert(RowOf(n));
  for (const std::string& row : rows_touched) {
    auto rj = row_jobs_.find(row);
    if (rj == row_jobs_.end() || rj->second.size() < 2) continue;
    for (const std::string& job : rj->second) occupancies_[open_.at({job, row}).index].shared = true;
  }
  // Starts: every pod of the attempt Running at once.
  for (auto& [key, rec] : jobsets_) {
    if (rec.record.started_s || rec.attempt_pods <= 0) continue;
    auto r = jobset_running_.find(key);
    if (r != jobset_running_.end() && r->second >= rec.attempt_pods) {
      rec.record.started_s = t_s;
      if (!rec.finished) rec.record.outcome = "Running";
    }
  }
  // Partial occupancies: a Job split over rows, or with only some of its pods bound.
  for (const auto& [j, view] : views) {
    const bool partly_bound = view.bound > 0 && view.bound < view.active;
    std::set<std::string> rows;
    auto jn = job_nodes_.find(j);
    if (jn != job_nodes_.end()) {
      for (const auto& [node, n] : jn->second) rows.insert(RowOf(node));
    }
    if (rows.size() < 2 && !partly_bound) continue;
    for (const std::string& row : rows) {
      auto o = open_.find({j, row});
      if (o != open_.end()) occupancies_[o->second.index].partial = true;
    }
  }
  if (!dirty_nodes_.empty() || samples_.empty()) TakeSample(t_s);
  dirty_nodes_.clear();
  dirty_jobs_.clear();
  dirty_domains_.clear();
}

bool Observer::AllFinished() const {
  for (const auto& [key, rec] : jobsets_) {
    if (!rec.finished) return false;
  }
  return true;
}

bool Observer::IsFinished(const std::string& key) const {
  auto it = jobsets_.find(key);
  return it != jobsets_.end() && it->second.finished;
}

size_t Observer::Finished() const {
  size_t n = 0;
  for (const auto& [key, rec] : jobsets_) n += rec.finished ? 1 : 0;
  return n;
}

Timeline Observer::Finish(double end_s) {
  Timeline t;
  t.end_s = end_s;
  t.resource = options_.resource;
  t.gangs = options_.gangs;
  t.nodes = static_cast<int>(nodes_.size());
  // Rows.
  std::map<std::string, DomainInfo> rows;
  for (const auto& [name, n] : nodes_) {
    std::string row = RowOf(name);
    if (row.empty()) continue;
    DomainInfo& d = rows[row];
    d.id = row;
    const std::string path = row.substr(row.find('=') + 1);  // the last value names the row
    d.label = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    ++d.nodes;
    auto a = n.allocatable.find(options_.resource);
    if (a != n.allocatable.end()) d.capacity += static_cast<double>(a->second);
  }
  // A row without the measured resource shows only when something ran there (CPU pools in a TPU run).
  std::set<std::string> used_rows;
  for (const Occupancy& o : occupancies_) used_rows.insert(o.domain_id);
  for (auto& [id, d] : rows) {
    if (d.capacity > 0 || used_rows.count(id)) t.domains.push_back(std::move(d));
  }
  // Occupancies still open end now.
  for (const auto& [key, open] : open_) occupancies_[open.index].end_s = end_s;
  // A pod bound and gone within one instant never held the domain at any time a step saw.
  for (const Occupancy& o : occupancies_) {
    if (o.end_s > o.start_s) t.occupancies.push_back(o);
  }
  std::stable_sort(t.occupancies.begin(), t.occupancies.end(), [](const Occupancy& a, const Occupancy& b) {
    return std::tie(a.start_s, a.domain_id, a.job) < std::tie(b.start_s, b.domain_id, b.job);
  });
  t.marks = marks_;
  std::stable_sort(t.marks.begin(), t.marks.end(), [](const Mark& a, const Mark& b) {
    return std::tie(a.t_s, a.domain_id) < std::tie(b.t_s, b.domain_id);
  });
  // JobSets: arrival order (the driver creates them by arrival, then as written).
  for (const std::string& key : arrival_order_) {
    JobSetRec& rec = jobsets_[key];
    JobSetRecord r = rec.record;
    if (!rec.reservation.empty() && options_.gangs) {
      for (const auto& [job, domain] : rec.reservation) r.domains.push_back(domain);
    } else {
      // Where each Job's pods last ran, by Job name; several rows joined with "+".
      std::map<std::string, std::vector<std::string>> by_job;
      for (const Occupancy& o : occupancies_) {
        if (o.jobset != key) continue;
        std::vector<std::string>& v = by_job[o.job];
        if (std::find(v.begin(), v.end(), o.domain_id) == v.end()) v.push_back(o.domain_id);
      }
      for (auto& [job, v] : by_job) {
        std::string joined = v[0];
        for (size_t i = 1; i < v.size(); ++i) joined += "+" + v[i].substr(v[i].find('=') + 1);
        r.domains.push_back(joined);
      }
    }
    t.jobsets.push_back(std::move(r));
  }
  t.samples = samples_;
  t.invariants = invariants_;
  return t;
}

}  // namespace phalanx::sim
