#include "placement/eligibility.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "placement/string_key.h"

namespace phalanx::placement {

LabelId LabelPool::Intern(std::string_view s) {
  auto it = ids_.find(Key(s));
  if (it != ids_.end()) {
    ++refs_[it->second];
    return it->second;
  }
  LabelId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    strings_[id] = std::string(s);
    refs_[id] = 1;
  } else {
    id = static_cast<LabelId>(strings_.size());
    strings_.emplace_back(s);
    refs_.push_back(1);
  }
  ids_.emplace(std::string(s), id);
  return id;
}

void LabelPool::Release(LabelId id) {
  if (id >= refs_.size() || refs_[id] == 0) return;
  if (--refs_[id] > 0) return;
  ids_.erase(strings_[id]);
  strings_[id] = std::string();
  free_.push_back(id);
}

LabelId LabelPool::Find(std::string_view s) const {
  auto it = ids_.find(Key(s));
  return it == ids_.end() ? kNoLabel : it->second;
}

LabelSet InternLabels(LabelPool& pool, const absl::btree_map<std::string, std::string>& labels) {
  LabelSet out;
  out.reserve(labels.size());
  for (const auto& [k, v] : labels) out.emplace_back(pool.Intern(k), pool.Intern(v));
  std::sort(out.begin(), out.end());
  return out;
}

void ReleaseLabels(LabelPool& pool, const LabelSet& labels) {
  for (const auto& [k, v] : labels) {
    pool.Release(k);
    pool.Release(v);
  }
}

LabelId LabelValue(const LabelSet& labels, LabelId key) {
  if (key == kNoLabel) return kNoLabel;
  auto it = std::lower_bound(labels.begin(), labels.end(), std::make_pair(key, LabelId{0}));
  if (it == labels.end() || it->first != key) return kNoLabel;
  return it->second;
}

CompiledEligibility::CompiledEligibility(const LabelPool& pool, const Eligibility& e)
    : tolerations_(e.tolerations),
      matches_all_labels_(e.node_selector.empty() && e.required_terms.empty()) {
  for (const auto& [k, v] : e.node_selector) {
    const LabelId key = pool.Find(k);
    const LabelId value = pool.Find(v);
    if (key == kNoLabel || value == kNoLabel) impossible_ = true;
    selector_.emplace_back(key, value);
  }
  for (const NodeSelectorTerm& t : e.required_terms) {
    Term term;
    for (const NodeSelectorRequirement& r : t.match_expressions) {
      Req req;
      req.key = pool.Find(r.key);
      req.op = r.op;
      for (const std::string& v : r.values) {
        const LabelId id = pool.Find(v);
        if (id != kNoLabel) req.values.push_back(id);
      }
      std::sort(req.values.begin(), req.values.end());
      if ((r.op == SelectorOperator::kGt || r.op == SelectorOperator::kLt) && r.values.size() == 1) {
        req.bound_ok = absl::SimpleAtoi(r.values[0], &req.bound);
      }
      term.reqs.push_back(std::move(req));
    }
    term.node_names.insert(t.node_names.begin(), t.node_names.end());
    terms_.push_back(std::move(term));
  }
}

bool CompiledEligibility::MatchesLabels(const LabelPool& pool, std::string_view node_name,
                                        const LabelSet& labels) const {
  if (impossible_) return false;
  for (const auto& [k, v] : selector_) {
    if (LabelValue(labels, k) != v) return false;
  }
  if (terms_.empty()) return true;
  for (const Term& term : terms_) {
    if (!term.node_names.empty() && !term.node_names.contains(Key(node_name))) continue;
    bool ok = true;
    for (const Req& r : term.reqs) {
      const LabelId v = LabelValue(labels, r.key);
      const bool has = v != kNoLabel;
      const bool listed = has && std::binary_search(r.values.begin(), r.values.end(), v);
      switch (r.op) {
        case SelectorOperator::kIn:
          ok = listed;
          break;
        case SelectorOperator::kNotIn:
          ok = !listed;
          break;
        case SelectorOperator::kExists:
          ok = has;
          break;
        case SelectorOperator::kDoesNotExist:
          ok = !has;
          break;
        case SelectorOperator::kGt:
        case SelectorOperator::kLt: {
          int64_t n = 0;
          ok = has && r.bound_ok && absl::SimpleAtoi(pool.str(v), &n) &&
               (r.op == SelectorOperator::kGt ? n > r.bound : n < r.bound);
          break;
        }
      }
      if (!ok) break;
    }
    // A term with neither expressions nor names matches nothing (Kubernetes semantics).
    if (ok && (!term.reqs.empty() || !term.node_names.empty())) return true;
  }
  return false;
}

bool Tolerated(absl::Span<const Toleration> tolerations, const Taint& taint) {
  for (const Toleration& t : tolerations) {
    if (t.effect.has_value() && *t.effect != taint.effect) continue;
    if (t.key.empty()) {
      if (t.op == TolerationOperator::kExists) return true;
      continue;
    }
    if (t.key != taint.key) continue;
    if (t.op == TolerationOperator::kExists || t.value == taint.value) return true;
  }
  return false;
}

bool CompiledEligibility::Tolerates(absl::Span<const Taint> taints) const {
  for (const Taint& taint : taints) {
    if (taint.effect == TaintEffect::kPreferNoSchedule) continue;
    if (!Tolerated(tolerations_, taint)) return false;
  }
  return true;
}

EligibilityResult CompiledEligibility::Check(const LabelPool& pool, std::string_view node_name,
                                             const LabelSet& labels, uint32_t taint_set,
                                             absl::Span<const Taint> taints) const {
  if (!matches_all_labels_ && !MatchesLabels(pool, node_name, labels)) {
    return EligibilityResult::kSelectorMismatch;
  }
  if (taint_set == 0) return EligibilityResult::kOk;
  if (taint_set >= tolerates_.size()) tolerates_.resize(taint_set + 1, -1);
  if (tolerates_[taint_set] < 0) tolerates_[taint_set] = Tolerates(taints) ? 1 : 0;
  return tolerates_[taint_set] ? EligibilityResult::kOk : EligibilityResult::kUntoleratedTaint;
}

EligibilityResult CompiledEligibility::Check(const LabelPool& pool, std::string_view node_name,
                                             const LabelSet& labels,
                                             absl::Span<const Taint> taints) const {
  if (!MatchesLabels(pool, node_name, labels)) return EligibilityResult::kSelectorMismatch;
  if (!Tolerates(taints)) return EligibilityResult::kUntoleratedTaint;
  return EligibilityResult::kOk;
}

}  // namespace phalanx::placement
