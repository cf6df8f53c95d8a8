#include "kube/memory_cluster.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/errors.h"
#include "kube/internal/json.h"
#include "kube/internal/object_json.h"
#include "kube/internal/patch.h"
#include "kube/internal/pod_update_validation.h"
#include "kube/memory_watch.h"
#include "kube/selector.h"

namespace phalanx::kube {
namespace {

using internal::Json;
struct Stored;  // below
using StoredPtr = std::shared_ptr<const Stored>;

constexpr char kForegroundFinalizer[] = "foregroundDeletion";

std::string RKey(const Resource& r) { return absl::StrCat(r.group, "/", r.plural); }

struct ObjKey {
  std::string rkey;
  std::string ns;
  std::string name;
  friend bool operator<(const ObjKey& a, const ObjKey& b) {
    return std::tie(a.rkey, a.ns, a.name) < std::tie(b.rkey, b.ns, b.name);
  }
};

struct HistoryEvent {
  int64_t rv;
  std::string rkey;
  WatchEventType type;
  StoredPtr old_obj;  // MODIFIED: before; else null
  StoredPtr obj;
};

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  auto alnum = [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!(alnum(c) || c == '-' || c == '.')) return false;
  }
  return true;
}

const Json* Field(const Json& obj, const std::vector<std::string>& path) {
  const Json* cur = &obj;
  for (const std::string& p : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(p);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// A field selector's view of a field: its string, a non-string value's JSON, "" when absent or null.
std::string FieldValue(const Json& obj, const std::vector<std::string>& path) {
  const Json* f = Field(obj, path);
  if (f != nullptr && f->is_string()) return f->get<std::string>();
  if (f != nullptr && !f->is_null()) return internal::Dump(*f);
  return "";
}

// The fields selectors ask for most (the kubelet's and scheduler's pod watches), kept with each stored
// object so matching them parses nothing.
const std::vector<std::vector<std::string>>& HotFields() {
  static const auto* fields = new std::vector<std::vector<std::string>>{
      {"metadata", "name"}, {"metadata", "namespace"}, {"spec", "nodeName"}, {"status", "phase"}};
  return *fields;
}

// One stored object: its compact JSON text, which reads hand out as it is, and its parsed header
// (kube::Object's meta), which label selectors, indexes, garbage collection and preconditions read.
// Writes parse the text back into a tree (Parse) only for the object they change: a tree costs several
// times its text, and the simulator keeps ~100,000 pods here. Immutable once stored.
struct Stored {
  Object object;  // json: internal::Dump of the value written
  // False when the header did not decode (e.g. a label value that is not a string): reads answer an
  // empty Object, as they always have for such objects; identity fields are still filled.
  bool valid = true;
  std::vector<std::string> hot_fields;  // FieldValue of each HotFields() path
};

StoredPtr MakeStored(const Json& j) {
  auto s = std::make_shared<Stored>();
  std::string text = internal::Dump(j);
  absl::StatusOr<Object> header = internal::ObjectFromJson(j, text);
  if (header.ok()) {
    s->object = *std::move(header);
  } else {
    s->valid = false;
    s->object.json = std::move(text);
    const Json* m = Field(j, {"metadata"});
    if (m != nullptr && m->is_object()) {
      s->object.meta.name = internal::GetString(*m, "name");
      s->object.meta.namespace_ = internal::GetString(*m, "namespace");
      s->object.meta.uid = internal::GetString(*m, "uid");
      s->object.meta.resource_version = internal::GetString(*m, "resourceVersion");
    }
  }
  s->hot_fields.reserve(HotFields().size());
  for (const auto& path : HotFields()) s->hot_fields.push_back(FieldValue(j, path));
  return s;
}

// The stored object as a tree, for a write that changes it.
Json Parse(const Stored& s) {
  absl::StatusOr<Json> j = internal::ParseJson(s.object.json);
  return j.ok() ? *std::move(j) : Json::object();
}

// LabelSelector::Matches on the stored header, without building a label map per object.
bool LabelsMatch(const LabelSelector& sel, const Stored& obj) {
  if (sel.Empty()) return true;
  const std::map<std::string, std::string>& labels = obj.object.meta.labels;
  for (const LabelSelector::Requirement& r : sel.requirements()) {
    const std::string* value = nullptr;
    if (auto it = labels.find(r.key); it != labels.end()) value = &it->second;
    auto in = [&]() { return std::find(r.values.begin(), r.values.end(), *value) != r.values.end(); };
    switch (r.op) {
      case LabelSelector::Op::kEquals:
        if (value == nullptr || *value != r.values[0]) return false;
        break;
      case LabelSelector::Op::kNotEquals:
        if (value != nullptr && *value == r.values[0]) return false;
        break;
      case LabelSelector::Op::kIn:
        if (value == nullptr || !in()) return false;
        break;
      case LabelSelector::Op::kNotIn:
        if (value != nullptr && in()) return false;
        break;
      case LabelSelector::Op::kExists:
        if (value == nullptr) return false;
        break;
      case LabelSelector::Op::kDoesNotExist:
        if (value != nullptr) return false;
        break;
    }
  }
  return true;
}

// Fields outside HotFields() parse the object, once per call.
bool FieldsMatch(const FieldSelector& sel, const Stored& obj) {
  std::optional<Json> parsed;
  for (const FieldSelector::Requirement& r : sel.requirements()) {
    const auto& hot = HotFields();
    auto it = std::find(hot.begin(), hot.end(), r.path);
    std::string v;
    if (it != hot.end()) {
      v = obj.hot_fields[it - hot.begin()];
    } else {
      if (!parsed) parsed = Parse(obj);
      v = FieldValue(*parsed, r.path);
    }
    if ((v == r.value) == r.negate) return false;
  }
  return true;
}

// j[key] for a const object, or null when absent (const operator[] must not see a missing key).
const Json& Sub(const Json& j, const char* key) {
  static const Json* const kNull = new Json();
  if (!j.is_object()) return *kNull;
  auto it = j.find(key);
  return it == j.end() ? *kNull : *it;
}

Object ToObject(const Json& j) {
  absl::StatusOr<Object> o = internal::ObjectFromJson(j, internal::Dump(j));
  return o.ok() ? *std::move(o) : Object{};
}

Object ToObject(const Stored& s) { return s.valid ? s.object : Object{}; }

const std::vector<OwnerReference>& OwnerRefs(const Stored& obj) { return obj.object.meta.owner_references; }

std::vector<std::string> Finalizers(const Json& obj) {
  std::vector<std::string> out;
  const Json* f = Field(obj, {"metadata", "finalizers"});
  if (f != nullptr && f->is_array()) {
    for (const Json& s : *f) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

bool Deleting(const Json& obj) {
  const Json* d = Field(obj, {"metadata", "deletionTimestamp"});
  return d != nullptr && d->is_string();
}

const std::vector<std::string>& Finalizers(const Stored& obj) { return obj.object.meta.finalizers; }
bool Deleting(const Stored& obj) { return obj.object.meta.deletion_timestamp.has_value(); }

// Everything outside metadata and status: what a generation bump tracks.
Json SpecPart(const Json& obj) {
  Json out = obj;
  out.erase("metadata");
  out.erase("status");
  out.erase("apiVersion");
  out.erase("kind");
  return out;
}

absl::Status NotFound(const Resource& r, absl::string_view name) {
  return ApiError(404, "NotFound", absl::StrCat(r.GroupResource(), " \"", name, "\" not found"), name, r.group,
                  r.plural);
}

absl::Status ConflictModified(const Resource& r, absl::string_view name) {
  return ApiError(409, "Conflict",
                  absl::StrCat("Operation cannot be fulfilled on ", r.GroupResource(), " \"", name,
                               "\": the object has been modified; please apply your changes to the latest "
                               "version and try again"),
                  name, r.group, r.plural);
}

absl::Status Invalid(const Resource& r, absl::string_view name, absl::string_view detail) {
  std::string kind_group = r.group.empty() ? std::string(r.kind) : absl::StrCat(r.kind, ".", r.group);
  return ApiError(422, "Invalid", absl::StrCat(kind_group, " \"", name, "\" is invalid: ", detail), name, r.group,
                  r.kind);
}

absl::Status BadRequest(absl::string_view message) { return ApiError(400, "BadRequest", message); }

// Writes of a Pod's main resource go through kube/pod_update_validation.h.
bool IsPodMain(const Resource& r) { return r.group.empty() && r.plural == "pods" && r.subresource.empty(); }

}  // namespace

struct MemoryCluster::State {
  explicit State(MemoryClusterOptions o) : options(o), rng(o.seed) {}

  MemoryClusterOptions options;
  RealClock real_clock;
  mutable absl::Mutex mu;
  std::mt19937_64 rng ABSL_GUARDED_BY(mu);
  int64_t rv ABSL_GUARDED_BY(mu) = 1;
  int64_t compacted_rv ABSL_GUARDED_BY(mu) = 0;  // watches from below this RV are too old
  std::map<std::string, Resource> resources ABSL_GUARDED_BY(mu);  // by "group/version/plural"
  std::map<std::string, Resource> by_rkey ABSL_GUARDED_BY(mu);
  std::map<std::string, std::map<std::pair<std::string, std::string>, StoredPtr>> objects ABSL_GUARDED_BY(mu);
  std::map<std::string, ObjKey> by_uid ABSL_GUARDED_BY(mu);
  std::map<std::string, std::set<ObjKey>> dependents ABSL_GUARDED_BY(mu);  // owner uid → dependents
  // rkey → "label\0value" → objects carrying that label (equality selectors use it instead of a scan)
  std::map<std::string, std::map<std::string, std::set<std::pair<std::string, std::string>>>> label_index
      ABSL_GUARDED_BY(mu);

  void IndexLabels(const ObjKey& key, const Stored* old_obj, const Stored* new_obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto& index = label_index[key.rkey];
    std::pair<std::string, std::string> id{key.ns, key.name};
    auto each = [](const Stored* obj, auto fn) {
      if (obj == nullptr) return;
      for (const auto& [k, v] : obj->object.meta.labels) fn(absl::StrCat(k, std::string(1, '\0'), v));
    };
    each(old_obj, [&](const std::string& kv) {
      auto it = index.find(kv);
      if (it == index.end()) return;
      it->second.erase(id);
      if (it->second.empty()) index.erase(it);
    });
    each(new_obj, [&](const std::string& kv) { index[kv].insert(id); });
  }
  std::deque<HistoryEvent> history ABSL_GUARDED_BY(mu);
  std::vector<std::weak_ptr<internal::WatchQueue>> watchers ABSL_GUARDED_BY(mu);
  std::vector<AdmissionHook> hooks ABSL_GUARDED_BY(mu);

  // Runs the admission hooks over `obj` (rewritten in place when they mutate it).
  absl::Status Admit(const Resource& r, AdmissionOperation op, Json* obj, const Json* old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (hooks.empty()) return absl::OkStatus();
    std::string text = internal::Dump(*obj);
    std::string old_text = old != nullptr ? internal::Dump(*old) : "";
    for (const AdmissionHook& hook : hooks) {
      absl::Status s = hook(r, op, &text, old != nullptr ? &old_text : nullptr);
      if (!s.ok()) {
        if (s.GetPayload(kStatusPayloadUrl).has_value()) return s;
        return ApiError(HttpCodeFor(s), "", absl::StrCat("admission webhook denied the request: ", s.message()));
      }
    }
    absl::StatusOr<Json> mutated = internal::ParseJson(text);
    if (!mutated.ok() || !mutated->is_object()) {
      return ApiError(500, "InternalError", "admission hook returned an object that is not JSON");
    }
    *obj = *std::move(mutated);
    return absl::OkStatus();
  }

  const Clock& clock() const { return options.clock ? *options.clock : real_clock; }
  std::string Now() const { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock().Now(), absl::UTCTimeZone()); }

  void Register(const Resource& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Resource main = r.Main();
    resources[absl::StrCat(main.group, "/", main.version, "/", main.plural)] = main;
    by_rkey.emplace(RKey(main), main);
  }

  std::string RandomString(size_t n, absl::string_view alphabet) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(alphabet[rng() % alphabet.size()]);
    return out;
  }
  std::string NewUid() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string h = RandomString(32, "0123456789abcdef");
    h[12] = '4';
    return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4), "-",
                        h.substr(20));
  }

  StoredPtr Lookup(const ObjKey& k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto rit = objects.find(k.rkey);
    if (rit == objects.end()) return nullptr;
    auto it = rit->second.find({k.ns, k.name});
    return it == rit->second.end() ? nullptr : it->second;
  }

  bool Matches(const internal::WatchQueue& w, const Stored& obj) {
    if (!w.ns().empty() && obj.object.meta.namespace_ != w.ns()) return false;
    return LabelsMatch(w.labels(), obj) && FieldsMatch(w.fields(), obj);
  }

  // Delivers one change to a watcher, translating selector transitions into ADDED/DELETED.
  void Deliver(internal::WatchQueue& w, WatchEventType type, const StoredPtr& old_obj, const StoredPtr& obj,
               std::optional<Object>* converted = nullptr) {
    bool now = Matches(w, *obj);
    bool before = type == WatchEventType::kModified && old_obj != nullptr && Matches(w, *old_obj);
    WatchEventType out = type;
    if (type == WatchEventType::kModified) {
      if (before && now) {
        out = WatchEventType::kModified;
      } else if (now) {
        out = WatchEventType::kAdded;
      } else if (before) {
        out = WatchEventType::kDeleted;
      } else {
        return;
      }
    } else if (!now) {
      return;
    }
    if (converted == nullptr) {
      w.Push(WatchEvent{out, ToObject(*obj), absl::OkStatus()});
      return;
    }
    if (!converted->has_value()) *converted = ToObject(*obj);  // once per change, shared by all watchers
    w.Push(WatchEvent{out, **converted, absl::OkStatus()});
  }

  // Records a change at the current rv and fans it out to the open watches.
  void Notify(const std::string& rkey, WatchEventType type, StoredPtr old_obj, StoredPtr obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    history.push_back(HistoryEvent{rv, rkey, type, old_obj, obj});
    while (history.size() > options.history_limit) {
      compacted_rv = history.front().rv;
      history.pop_front();
    }
    std::optional<Object> converted;
    for (auto it = watchers.begin(); it != watchers.end();) {
      std::shared_ptr<internal::WatchQueue> w = it->lock();
      if (w == nullptr || w->Done()) {
        it = watchers.erase(it);
        continue;
      }
      if (w->rkey() == rkey) Deliver(*w, type, old_obj, obj, &converted);
      w->Advance(rv);
      ++it;
    }
  }

  void IndexOwners(const ObjKey& key, const Stored* old_obj, const Stored* new_obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (old_obj != nullptr) {
      for (const OwnerReference& r : OwnerRefs(*old_obj)) {
        auto it = dependents.find(r.uid);
        if (it != dependents.end()) {
          it->second.erase(key);
          if (it->second.empty()) dependents.erase(it);
        }
      }
    }
    if (new_obj != nullptr) {
      for (const OwnerReference& r : OwnerRefs(*new_obj)) dependents[r.uid].insert(key);
    }
  }

  // Stores `obj` (already carrying its new resourceVersion) and notifies.
  void Store(const ObjKey& key, Json obj, WatchEventType type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    StoredPtr old = Lookup(key);
    StoredPtr fresh = MakeStored(obj);
    IndexOwners(key, old.get(), fresh.get());
    IndexLabels(key, old.get(), fresh.get());
    objects[key.rkey][{key.ns, key.name}] = fresh;
    by_uid[fresh->object.meta.uid] = key;
    Notify(key.rkey, type, old, fresh);
  }

  // Writes a modified object (bumps rv); removes it instead when it is deleting without finalizers.
  StoredPtr Write(const ObjKey& key, Json obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ++rv;
    obj["metadata"]["resourceVersion"] = absl::StrCat(rv);
    const Json& grace = Sub(Sub(obj, "metadata"), "deletionGracePeriodSeconds");
    bool graceful = grace.is_number_integer() && grace.get<int64_t>() > 0;
    if (Deleting(obj) && Finalizers(obj).empty() && !graceful) {
      Remove(key, std::move(obj));
      return nullptr;
    }
    Store(key, std::move(obj), WatchEventType::kModified);
    return Lookup(key);
  }

  // Drops the object for good (its rv already bumped by the caller) and collects garbage.
  void Remove(const ObjKey& key, Json obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    StoredPtr old = Lookup(key);
    if (old == nullptr) return;
    obj["metadata"]["resourceVersion"] = absl::StrCat(rv);
    StoredPtr gone = MakeStored(obj);
    IndexOwners(key, old.get(), nullptr);
    IndexLabels(key, old.get(), nullptr);
    objects[key.rkey].erase({key.ns, key.name});
    std::string uid = gone->object.meta.uid;
    by_uid.erase(uid);
    Notify(key.rkey, WatchEventType::kDeleted, nullptr, gone);
    CollectDependents(uid);
    for (const OwnerReference& r : OwnerRefs(*gone)) MaybeFinishForeground(r.uid);
  }

  // Owner `uid` is gone: dependents with no other live owner are deleted (background), the others lose
  // the dangling reference.
  void CollectDependents(const std::string& uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = dependents.find(uid);
    if (it == dependents.end()) return;
    std::set<ObjKey> deps = it->second;
    for (const ObjKey& dk : deps) {
      StoredPtr d = Lookup(dk);
      if (d == nullptr) continue;
      bool other_owner = false;
      for (const OwnerReference& r : OwnerRefs(*d)) {
        if (r.uid != uid && by_uid.count(r.uid)) other_owner = true;
      }
      if (other_owner) {
        Json copy = Parse(*d);
        Json kept = Json::array();
        for (const Json& r : copy["metadata"]["ownerReferences"]) {
          if (internal::GetString(r, "uid") != uid) kept.push_back(r);
        }
        copy["metadata"]["ownerReferences"] = kept;
        Write(dk, std::move(copy));
      } else {
        DeleteKey(dk, Propagation::kBackground);
      }
    }
    dependents.erase(uid);
  }

  // An owner in foreground deletion goes once no dependent with blockOwnerDeletion remains.
  void MaybeFinishForeground(const std::string& uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto kit = by_uid.find(uid);
    if (kit == by_uid.end()) return;
    ObjKey key = kit->second;
    StoredPtr owner = Lookup(key);
    if (owner == nullptr || !Deleting(*owner)) return;
    const std::vector<std::string> fin = Finalizers(*owner);
    if (std::find(fin.begin(), fin.end(), kForegroundFinalizer) == fin.end()) return;
    if (auto dit = dependents.find(uid); dit != dependents.end()) {
      for (const ObjKey& dk : dit->second) {
        StoredPtr d = Lookup(dk);
        if (d == nullptr) continue;
        for (const OwnerReference& r : OwnerRefs(*d)) {
          if (r.uid == uid && r.block_owner_deletion) return;
        }
      }
    }
    Json copy = Parse(*owner);
    Json kept = Json::array();
    for (const std::string& f : fin) {
      if (f != kForegroundFinalizer) kept.push_back(f);
    }
    copy["metadata"]["finalizers"] = kept;
    if (kept.empty()) copy["metadata"].erase("finalizers");
    Write(key, std::move(copy));
  }

  // Deletes by key with the given propagation (no preconditions).
  // The grace period a delete of `obj` gets, 0 = remove at once (see graceful_pod_deletion).
  int64_t GracePeriod(const ObjKey& key, const Json& obj, std::optional<int64_t> requested) {
    if (!options.graceful_pod_deletion || key.rkey != "/pods") return 0;
    if (requested && *requested <= 0) return 0;
    const Json& spec = Sub(obj, "spec");
    std::string phase = internal::GetString(Sub(obj, "status"), "phase");
    if (internal::GetString(spec, "nodeName").empty() || phase == "Succeeded" || phase == "Failed") return 0;
    if (requested) return *requested;
    const Json& tg = Sub(spec, "terminationGracePeriodSeconds");
    return tg.is_number_integer() && tg.get<int64_t>() > 0 ? tg.get<int64_t>() : 30;
  }

  void DeleteKey(const ObjKey& key, Propagation prop, std::optional<int64_t> grace = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    StoredPtr cur = Lookup(key);
    if (cur == nullptr) return;
    std::string uid = cur->object.meta.uid;
    if (prop == Propagation::kDefault) {
      prop = key.rkey == "batch/jobs" ? Propagation::kOrphan : Propagation::kBackground;
    }
    if (prop == Propagation::kOrphan) {
      if (auto it = dependents.find(uid); it != dependents.end()) {
        std::set<ObjKey> deps = it->second;
        for (const ObjKey& dk : deps) {
          StoredPtr d = Lookup(dk);
          if (d == nullptr) continue;
          Json copy = Parse(*d);
          Json kept = Json::array();
          for (const Json& r : copy["metadata"]["ownerReferences"]) {
            if (internal::GetString(r, "uid") != uid) kept.push_back(r);
          }
          copy["metadata"]["ownerReferences"] = kept;
          if (kept.empty()) copy["metadata"].erase("ownerReferences");
          Write(dk, std::move(copy));
        }
      }
      cur = Lookup(key);
      if (cur == nullptr) return;
    }
    if (Deleting(*cur)) {
      // Already being deleted; a forced delete ends a graceful one (finalizers still hold it).
      if (grace && *grace == 0 && Finalizers(*cur).empty()) {
        ++rv;
        Remove(key, Parse(*cur));
      }
      return;
    }
    Json copy = Parse(*cur);
    int64_t period = GracePeriod(key, copy, grace);
    bool has_dependents = dependents.count(uid) > 0;
    if (prop == Propagation::kForeground && has_dependents) {
      std::vector<std::string> fin = Finalizers(copy);
      if (std::find(fin.begin(), fin.end(), kForegroundFinalizer) == fin.end()) {
        copy["metadata"]["finalizers"].push_back(kForegroundFinalizer);
      }
    }
    if (!Finalizers(copy).empty() || period > 0) {
      copy["metadata"]["deletionTimestamp"] = Now();
      copy["metadata"]["deletionGracePeriodSeconds"] = period;
      Write(key, std::move(copy));
      if (prop == Propagation::kForeground && has_dependents) {
        std::set<ObjKey> deps = dependents[uid];
        for (const ObjKey& dk : deps) DeleteKey(dk, Propagation::kForeground);
        MaybeFinishForeground(uid);
      }
      return;
    }
    ++rv;
    Remove(key, std::move(copy));
  }

  absl::StatusOr<ObjKey> KeyFor(const Resource& r, absl::string_view ns, absl::string_view name) {
    ObjKey key{RKey(r), r.namespaced ? std::string(ns) : std::string(), std::string(name)};
    if (r.namespaced && ns.empty()) return BadRequest("a namespace is required for a namespaced resource");
    return key;
  }

  // Shared by Update and Patch: `body` is the full new object for resource `r` (with subresource).
  absl::StatusOr<Object> UpdateLocked(const Resource& r, absl::string_view ns, Json body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (!body.is_object()) return BadRequest("the body of the request was not a JSON object");
    if (!body["metadata"].is_object()) return BadRequest("metadata is required");
    std::string name = internal::GetString(body["metadata"], "name");
    if (name.empty()) return BadRequest("name is required");
    absl::StatusOr<ObjKey> key = KeyFor(r, ns, name);
    if (!key.ok()) return key.status();
    StoredPtr cur = Lookup(*key);
    if (cur == nullptr) return NotFound(r, name);
    std::string want_rv = internal::GetString(body["metadata"], "resourceVersion");
    if (!want_rv.empty() && want_rv != cur->object.meta.resource_version) {
      return ConflictModified(r, name);
    }
    const Json old = Parse(*cur);
    Json next;
    if (r.subresource == "status") {
      next = old;
      if (body.contains("status")) {
        next["status"] = body["status"];
      } else {
        next.erase("status");
      }
    } else {
      next = body;
      if (r.has_status) {
        if (old.contains("status")) {
          next["status"] = old["status"];
        } else {
          next.erase("status");
        }
      }
      Json& m = next["metadata"];
      const Json& om = old["metadata"];
      for (const char* f : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "namespace"}) {
        if (om.contains(f)) {
          m[f] = om[f];
        } else {
          m.erase(f);
        }
      }
      if (Deleting(old)) {
        std::vector<std::string> was = Finalizers(old);
        for (const std::string& f : Finalizers(next)) {
          if (std::find(was.begin(), was.end(), f) == was.end()) {
            return Invalid(r.Main(), name, "metadata.finalizers: Forbidden: no new finalizers can be added if the "
                                           "object is being deleted");
          }
        }
      }
      if (m.contains("finalizers") && m["finalizers"].is_array() && m["finalizers"].empty()) m.erase("finalizers");
      if (SpecPart(next) != SpecPart(old)) {
        int64_t gen = om.contains("generation") && om["generation"].is_number_integer()
                          ? om["generation"].get<int64_t>()
                          : 0;
        m["generation"] = gen + 1;
      }
    }
    next["apiVersion"] = old.contains("apiVersion") ? old["apiVersion"] : Json(r.ApiVersion());
    next["kind"] = old.contains("kind") ? old["kind"] : Json(std::string(r.kind));
    next["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"];
    if (absl::Status s = Admit(r, AdmissionOperation::kUpdate, &next, &old); !s.ok()) return s;
    if (IsPodMain(r) && Field(next, {"spec"}) != nullptr && Field(old, {"spec"}) != nullptr &&
        *Field(next, {"spec"}) != *Field(old, {"spec"})) {
      std::vector<PodFieldError> errs = internal::ValidatePodSpecUpdate(*Field(old, {"spec"}), *Field(next, {"spec"}));
      if (!errs.empty()) return PodInvalidError(name, errs);
    }
    if (next == old) return ToObject(*cur);  // no-op: no new resourceVersion, no event
    StoredPtr written = Write(*key, std::move(next));
    if (written == nullptr) {
      // Removed because the last finalizer went: answer with the final state.
      Json last = old;
      last["metadata"]["resourceVersion"] = absl::StrCat(rv);
      return ToObject(last);
    }
    return ToObject(*written);
  }

  absl::StatusOr<Object> CreateLocked(const Resource& r, absl::string_view ns, Json body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (!body.is_object()) return BadRequest("the body of the request was not a JSON object");
    Json& m = body["metadata"];
    if (!m.is_object()) m = Json::object();
    std::string body_ns = internal::GetString(m, "namespace");
    if (r.namespaced) {
      if (ns.empty()) return BadRequest("a namespace is required for a namespaced resource");
      if (!body_ns.empty() && body_ns != ns) {
        return BadRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      m["namespace"] = std::string(ns);
    } else {
      m.erase("namespace");
    }
    std::string name = internal::GetString(m, "name");
    std::string generate = internal::GetString(m, "generateName");
    if (name.empty() && generate.empty()) {
      return Invalid(r, "", "metadata.name: Required value: name or generateName is required");
    }
    if (name.empty()) {
      for (int attempt = 0; attempt < 8; ++attempt) {
        name = absl::StrCat(generate, RandomString(5, "bcdfghjklmnpqrstvwxz2456789"));
        if (Lookup(ObjKey{RKey(r), std::string(r.namespaced ? ns : ""), name}) == nullptr) break;
      }
      m["name"] = name;
    }
    if (!ValidName(name)) {
      return Invalid(r, name,
                     absl::StrCat("metadata.name: Invalid value: \"", name,
                                  "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                  "characters, '-' or '.', and must start and end with an alphanumeric character"));
    }
    ObjKey key{RKey(r), std::string(r.namespaced ? ns : ""), name};
    if (Lookup(key) != nullptr) {
      return ApiError(409, "AlreadyExists", absl::StrCat(r.GroupResource(), " \"", name, "\" already exists"), name,
                      r.group, r.plural);
    }
    body["apiVersion"] = r.ApiVersion();
    body["kind"] = std::string(r.kind);
    ++rv;
    m["uid"] = NewUid();
    m["resourceVersion"] = absl::StrCat(rv);
    m["generation"] = 1;
    m["creationTimestamp"] = Now();
    m.erase("deletionTimestamp");
    m.erase("deletionGracePeriodSeconds");
    if (m.contains("finalizers") && m["finalizers"].is_array() && m["finalizers"].empty()) m.erase("finalizers");
    if (r.has_status) {
      body.erase("status");
      if (r.group.empty() && r.plural == "pods") body["status"] = {{"phase", "Pending"}};
    }
    if (absl::Status s = Admit(r, AdmissionOperation::kCreate, &body, nullptr); !s.ok()) {
      --rv;  // nothing was written
      return s;
    }
    if (IsPodMain(r) && Field(body, {"spec", "affinity"}) != nullptr) {
      if (std::vector<PodFieldError> errs = internal::ValidatePodSpecCreate(*Field(body, {"spec"})); !errs.empty()) {
        --rv;
        return PodInvalidError(name, errs);
      }
    }
    Store(key, body, WatchEventType::kAdded);
    return ToObject(*Lookup(key));
  }

  absl::StatusOr<Object> BindLocked(absl::string_view ns, const Json& body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string pod = internal::GetString(Sub(body, "metadata"), "name");
    ObjKey key{RKey(kPods), std::string(ns), pod};
    StoredPtr cur = Lookup(key);
    if (cur == nullptr) return NotFound(kPods, pod);
    std::string node = cur->hot_fields[2];  // spec.nodeName
    if (!node.empty()) {
      return ApiError(409, "Conflict", absl::StrCat("pod ", pod, " is already assigned to node \"", node, "\""),
                      pod, "", "pods/binding");
    }
    std::string target = internal::GetString(Sub(body, "target"), "name");
    if (target.empty()) return Invalid(kPods, pod, "target.name: Required value");
    Json copy = Parse(*cur);
    copy["spec"]["nodeName"] = target;
    Json& conds = copy["status"]["conditions"];
    if (!conds.is_array()) conds = Json::array();
    Json cond = {{"type", "PodScheduled"}, {"status", "True"}, {"lastProbeTime", nullptr},
                 {"lastTransitionTime", Now()}};
    bool replaced = false;
    for (Json& c : conds) {
      if (internal::GetString(c, "type") == "PodScheduled") {
        c = cond;
        replaced = true;
      }
    }
    if (!replaced) conds.push_back(cond);
    Write(key, std::move(copy));
    return SuccessStatus();
  }

  static Object SuccessStatus() {
    Object o;
    o.api_version = "v1";
    o.kind = "Status";
    o.json = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})";
    return o;
  }

  void ListLocked(const std::string& rkey, absl::string_view ns, const LabelSelector& labels,
                  const FieldSelector& fields, std::vector<StoredPtr>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto rit = objects.find(rkey);
    if (rit == objects.end()) return;
    // The smallest candidate set an equality requirement gives, if any.
    const std::set<std::pair<std::string, std::string>>* candidates = nullptr;
    const std::set<std::pair<std::string, std::string>> kNone;
    for (const LabelSelector::Requirement& r : labels.requirements()) {
      if (r.op != LabelSelector::Op::kEquals) continue;
      auto& index = label_index[rkey];
      auto it = index.find(absl::StrCat(r.key, std::string(1, '\0'), r.values[0]));
      const auto* set = it == index.end() ? &kNone : &it->second;
      if (candidates == nullptr || set->size() < candidates->size()) candidates = set;
    }
    auto consider = [&](const std::pair<std::string, std::string>& k, const StoredPtr& obj) {
      if (!ns.empty() && k.first != ns) return;
      if (!LabelsMatch(labels, *obj) || !FieldsMatch(fields, *obj)) return;
      out->push_back(obj);
    };
    if (candidates != nullptr) {
      for (const auto& k : *candidates) {
        auto it = rit->second.find(k);
        if (it != rit->second.end()) consider(k, it->second);
      }
      return;
    }
    for (const auto& [k, obj] : rit->second) consider(k, obj);
  }
};

MemoryCluster::MemoryCluster(MemoryClusterOptions options) : state_(std::make_unique<State>(options)) {
  absl::MutexLock lock(&state_->mu);
  for (const Resource& r : {kJobSets, kJobs, kPods, kServices, kNodes, kNamespaces, kEvents, kLeases}) {
    state_->Register(r);
  }
  for (const char* ns : {"default", "kube-system"}) {
    (void)state_->CreateLocked(kNamespaces, "", Json{{"metadata", {{"name", ns}}}});
  }
}

MemoryCluster::~MemoryCluster() { CloseWatches(); }

void MemoryCluster::RegisterResource(const Resource& resource) {
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
}

std::optional<Resource> MemoryCluster::FindResource(absl::string_view group, absl::string_view version,
                                                    absl::string_view plural) const {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->resources.find(absl::StrCat(group, "/", version, "/", plural));
  if (it == state_->resources.end()) return std::nullopt;
  return it->second;
}

std::vector<Resource> MemoryCluster::Resources() const {
  absl::MutexLock lock(&state_->mu);
  std::vector<Resource> out;
  for (const auto& [k, r] : state_->resources) out.push_back(r);
  return out;
}

absl::StatusOr<Object> MemoryCluster::Create(const Resource& resource, absl::string_view ns, absl::string_view body) {
  absl::StatusOr<Json> j = internal::ParseJson(body);
  if (!j.ok()) return BadRequest(j.status().message());
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  if (resource.subresource == "binding") return state_->BindLocked(ns, *j);
  if (resource.subresource == "eviction") {
    std::string pod = j->is_object() ? internal::GetString(Sub(*j, "metadata"), "name") : "";
    ObjKey key{RKey(kPods), std::string(ns), pod};
    if (state_->Lookup(key) == nullptr) return NotFound(kPods, pod);
    std::optional<int64_t> grace;
    const Json& g = Sub(Sub(*j, "deleteOptions"), "gracePeriodSeconds");
    if (g.is_number_integer()) grace = g.get<int64_t>();
    state_->DeleteKey(key, Propagation::kBackground, grace);
    return State::SuccessStatus();
  }
  if (!resource.subresource.empty()) return ApiError(405, "MethodNotAllowed", "the server does not allow this method");
  return state_->CreateLocked(resource, ns, *std::move(j));
}

absl::StatusOr<Object> MemoryCluster::Get(const Resource& resource, absl::string_view ns, absl::string_view name) {
  absl::MutexLock lock(&state_->mu);
  absl::StatusOr<ObjKey> key = state_->KeyFor(resource, ns, name);
  if (!key.ok()) return key.status();
  StoredPtr obj = state_->Lookup(*key);
  if (obj == nullptr) return NotFound(resource, name);
  return ToObject(*obj);
}

absl::StatusOr<ObjectList> MemoryCluster::List(const Resource& resource, absl::string_view ns,
                                               const ListOptions& options) {
  absl::StatusOr<LabelSelector> labels = LabelSelector::Parse(options.label_selector);
  if (!labels.ok()) return BadRequest(labels.status().message());
  absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(options.field_selector);
  if (!fields.ok()) return BadRequest(fields.status().message());
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  if (options.exact && ResourceVersionNumber(options.resource_version) < state_->compacted_rv) {
    return ApiError(410, "Expired", "The resourceVersion for the provided list is too old.");
  }
  std::pair<std::string, std::string> start;
  bool has_start = false;
  if (!options.continue_token.empty()) {
    std::string raw;
    absl::StatusOr<Json> tok = absl::WebSafeBase64Unescape(options.continue_token, &raw)
                                   ? internal::ParseJson(raw)
                                   : absl::StatusOr<Json>(absl::InvalidArgumentError("bad token"));
    if (!tok.ok() || !tok->is_object() || !(*tok)["rv"].is_number_integer()) {
      return BadRequest("continue key is not valid");
    }
    if ((*tok)["rv"].get<int64_t>() < state_->compacted_rv) {
      return ApiError(410, "Expired",
                      "The provided continue parameter is too old to display a consistent list result. You can "
                      "start a new list without the continue parameter.");
    }
    std::string s = internal::GetString(*tok, "start");
    size_t slash = s.find('/');
    start = {s.substr(0, slash), slash == std::string::npos ? "" : s.substr(slash + 1)};
    has_start = true;
  }
  std::vector<StoredPtr> matched;
  state_->ListLocked(RKey(resource), resource.namespaced ? ns : "", *labels, *fields, &matched);
  ObjectList out;
  out.resource_version = absl::StrCat(state_->rv);
  size_t i = 0;
  if (has_start) {
    while (i < matched.size()) {
      const ObjectMeta& m = matched[i]->object.meta;
      std::pair<std::string, std::string> k{m.namespace_, m.name};
      if (k >= start) break;
      ++i;
    }
  }
  for (; i < matched.size(); ++i) {
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) break;
    out.items.push_back(ToObject(*matched[i]));
  }
  if (i < matched.size()) {
    const ObjectMeta& m = matched[i]->object.meta;
    Json tok = {{"v", "meta.k8s.io/v1"}, {"rv", state_->rv}, {"start", absl::StrCat(m.namespace_, "/", m.name)}};
    out.continue_token = absl::WebSafeBase64Escape(internal::Dump(tok));
    out.remaining_item_count = static_cast<int64_t>(matched.size() - i);
  }
  return out;
}

absl::StatusOr<Object> MemoryCluster::Update(const Resource& resource, absl::string_view ns, absl::string_view body) {
  absl::StatusOr<Json> j = internal::ParseJson(body);
  if (!j.ok()) return BadRequest(j.status().message());
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  return state_->UpdateLocked(resource, ns, *std::move(j));
}

absl::StatusOr<Object> MemoryCluster::Patch(const Resource& resource, absl::string_view ns, absl::string_view name,
                                            PatchType type, absl::string_view patch) {
  absl::StatusOr<Json> p = internal::ParseJson(patch);
  if (!p.ok()) return BadRequest(p.status().message());
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  absl::StatusOr<ObjKey> key = state_->KeyFor(resource, ns, name);
  if (!key.ok()) return key.status();
  StoredPtr cur = state_->Lookup(*key);
  if (cur == nullptr) return NotFound(resource, name);
  const Json current = Parse(*cur);
  absl::StatusOr<Json> next = type == PatchType::kMerge  ? internal::ApplyMergePatch(current, *p)
                              : type == PatchType::kJson ? internal::ApplyJsonPatch(current, *p)
                                                         : internal::ApplyStrategicMergePatch(current, *p);
  if (!next.ok()) {
    return ApiError(422, "Invalid", "the server rejected our request due to an error in our request");
  }
  if (!next->is_object() || !(*next)["metadata"].is_object() ||
      internal::GetString((*next)["metadata"], "name") != name) {
    return BadRequest("the name of the object cannot be changed by a patch");
  }
  return state_->UpdateLocked(resource, ns, *std::move(next));
}

absl::Status MemoryCluster::Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                                   const DeleteOptions& options) {
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  absl::StatusOr<ObjKey> key = state_->KeyFor(resource, ns, name);
  if (!key.ok()) return key.status();
  StoredPtr cur = state_->Lookup(*key);
  if (cur == nullptr) return NotFound(resource, name);
  const ObjectMeta& m = cur->object.meta;
  if (options.precondition_uid && *options.precondition_uid != m.uid) {
    return ApiError(409, "Conflict",
                    absl::StrCat("Operation cannot be fulfilled on ", resource.GroupResource(), " \"", name,
                                 "\": Precondition failed: UID in precondition: ", *options.precondition_uid,
                                 ", UID in object meta: ", m.uid),
                    name, resource.group, resource.plural);
  }
  if (options.precondition_resource_version &&
      *options.precondition_resource_version != m.resource_version) {
    return ApiError(409, "Conflict",
                    absl::StrCat("Operation cannot be fulfilled on ", resource.GroupResource(), " \"", name,
                                 "\": Precondition failed: ResourceVersion in precondition: ",
                                 *options.precondition_resource_version,
                                 ", ResourceVersion in object meta: ", m.resource_version),
                    name, resource.group, resource.plural);
  }
  state_->DeleteKey(*key, options.propagation, options.grace_period_seconds);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WatchStream>> MemoryCluster::Watch(const Resource& resource, absl::string_view ns,
                                                                  const WatchOptions& options) {
  absl::StatusOr<LabelSelector> labels = LabelSelector::Parse(options.label_selector);
  if (!labels.ok()) return BadRequest(labels.status().message());
  absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(options.field_selector);
  if (!fields.ok()) return BadRequest(fields.status().message());
  Object bookmark;
  bookmark.api_version = resource.ApiVersion();
  bookmark.kind = std::string(resource.kind);
  absl::Time deadline = options.timeout > absl::ZeroDuration() ? absl::Now() + options.timeout : absl::InfiniteFuture();
  absl::MutexLock lock(&state_->mu);
  state_->Register(resource);
  std::string rkey = RKey(resource);
  auto q = std::make_shared<internal::WatchQueue>(rkey, resource.namespaced ? std::string(ns) : "",
                                                  *std::move(labels), *std::move(fields), options.allow_bookmarks,
                                                  deadline, std::move(bookmark));
  int64_t from = ResourceVersionNumber(options.resource_version);
  if (options.resource_version.empty() || options.resource_version == "0") {
    std::vector<StoredPtr> all;
    state_->ListLocked(rkey, q->ns(), q->labels(), q->fields(), &all);
    for (const StoredPtr& o : all) q->Push(WatchEvent{WatchEventType::kAdded, ToObject(*o), absl::OkStatus()});
  } else if (from < state_->compacted_rv) {
    absl::Status gone = ApiError(410, "Expired",
                                 absl::StrCat("too old resource version: ", options.resource_version, " (",
                                              state_->compacted_rv + 1, ")"));
    Object status;
    status.kind = "Status";
    status.api_version = "v1";
    status.json = StatusBodyFor(gone);
    q->Push(WatchEvent{WatchEventType::kError, std::move(status), gone});
    q->Close();
    return std::unique_ptr<WatchStream>(std::make_unique<internal::MemoryWatchStream>(q));
  } else {
    for (const HistoryEvent& h : state_->history) {
      if (h.rv <= from || h.rkey != rkey) continue;
      state_->Deliver(*q, h.type, h.old_obj, h.obj);
    }
  }
  q->Advance(state_->rv);
  state_->watchers.push_back(q);
  return std::unique_ptr<WatchStream>(std::make_unique<internal::MemoryWatchStream>(q));
}

void MemoryCluster::AddAdmissionHook(AdmissionHook hook) {
  absl::MutexLock lock(&state_->mu);
  state_->hooks.push_back(std::move(hook));
}

void MemoryCluster::Compact() {
  absl::MutexLock lock(&state_->mu);
  state_->history.clear();
  state_->compacted_rv = state_->rv;
}

void MemoryCluster::SendBookmarks() {
  absl::MutexLock lock(&state_->mu);
  for (const auto& w : state_->watchers) {
    if (auto q = w.lock()) q->PushBookmark();
  }
}

void MemoryCluster::CloseWatches() {
  absl::MutexLock lock(&state_->mu);
  for (const auto& w : state_->watchers) {
    if (auto q = w.lock()) q->Close();
  }
  state_->watchers.clear();
}

int64_t MemoryCluster::CurrentResourceVersion() const {
  absl::MutexLock lock(&state_->mu);
  return state_->rv;
}

size_t MemoryCluster::Count(const Resource& resource) const {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->objects.find(RKey(resource));
  return it == state_->objects.end() ? 0 : it->second.size();
}

}  // namespace phalanx::kube
