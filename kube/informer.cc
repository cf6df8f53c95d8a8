#include "kube/informer.h"

#include <malloc.h>

#include <algorithm>

#include "absl/status/status.h"
#include "common/log.h"
#include "kube/errors.h"
#include "kube/internal/object_rapidjson.h"

namespace phalanx::kube {

void DropManagedFields(Object& object) {
  if (object.json.find("\"managedFields\"") == std::string::npos) return;
  rapidjson::Document doc;
  if (!internal::ParseRapid(object.json, doc).ok() || !doc.IsObject()) return;
  auto meta = doc.FindMember("metadata");
  if (meta == doc.MemberEnd() || !meta->value.IsObject() || !meta->value.RemoveMember("managedFields")) return;
  object.json = internal::WriteValue(doc);
}

Informer::Informer(Client& client, const Resource& resource, InformerOptions options)
    : client_(client), resource_(resource.Main()), options_(std::move(options)) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(EventHandlers handlers) { handlers_.push_back(std::move(handlers)); }

void Informer::AddIndex(const std::string& name, IndexFunc fn) { index_funcs_[name] = std::move(fn); }

std::vector<std::string> Informer::ControllerUid(const Object& object) {
  const OwnerReference* ref = object.meta.ControllerRef();
  if (ref == nullptr) return {};
  return {ref->uid};
}

std::vector<std::shared_ptr<const Object>> Informer::ByIndex(const std::string& index, const std::string& key) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const Object>> out;
  auto it = indexes_.find(index);
  if (it == indexes_.end()) return out;
  auto kit = it->second.find(key);
  if (kit == it->second.end()) return out;
  for (const Key& k : kit->second) {
    auto o = cache_.find(k);
    if (o != cache_.end()) out.push_back(o->second);
  }
  return out;
}

void Informer::IndexLocked(const Key& key, const Object* old_obj, const Object* new_obj) {
  for (const auto& [name, fn] : index_funcs_) {
    auto& index = indexes_[name];
    if (old_obj != nullptr) {
      for (const std::string& v : fn(*old_obj)) {
        auto it = index.find(v);
        if (it == index.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) index.erase(it);
      }
    }
    if (new_obj != nullptr) {
      for (const std::string& v : fn(*new_obj)) index[v].insert(key);
    }
  }
}

void Informer::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable() || stopping_) return;
  }
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->Stop();
  }
  if (thread_.joinable()) thread_.join();
}

bool Informer::HasSynced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&synced_), timeout);
  return synced_;
}

std::vector<std::shared_ptr<const Object>> Informer::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const Object>> out;
  out.reserve(cache_.size());
  for (const auto& [k, v] : cache_) out.push_back(v);
  return out;
}

std::shared_ptr<const Object> Informer::Get(absl::string_view ns, absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(Key(std::string(ns), std::string(name)));
  return it == cache_.end() ? nullptr : it->second;
}

std::string Informer::ResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return rv_;
}

int64_t Informer::ListCount() const {
  absl::MutexLock lock(&mu_);
  return lists_;
}

bool Informer::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void Informer::Run() {
  absl::Duration backoff = options_.min_backoff;
  bool need_list = true;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!ListAndReplace()) {
        if (!Sleep(backoff)) return;
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      need_list = false;
      backoff = options_.min_backoff;
    }
    bool progress = false;
    need_list = !WatchOnce(&progress);
    if (progress || need_list) {
      backoff = options_.min_backoff;
    } else {
      if (!Sleep(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

bool Informer::ListAndReplace() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  absl::StatusOr<ObjectList> list = client_.ListAll(resource_, options_.namespace_, lo);
  if (!list.ok()) {
    PHALANX_LOG(kWarning, "informer list failed",
                {{"resource", resource_.GroupResource()}, {"error", list.status().ToString()}});
    return false;
  }
  std::map<Key, std::shared_ptr<const Object>> fresh;
  for (Object& o : list->items) {
    if (!options_.keep_managed_fields) DropManagedFields(o);
    Key k(o.meta.namespace_, o.meta.name);
    fresh.emplace(std::move(k), std::make_shared<const Object>(std::move(o)));
  }
  // Handlers see whole objects; with a transform, the cache keeps transformed copies.
  std::map<Key, std::shared_ptr<const Object>> cached;
  if (options_.cache_transform) {
    for (const auto& [k, obj] : fresh) {
      auto copy = std::make_shared<Object>(*obj);
      options_.cache_transform(*copy);
      cached.emplace(k, std::move(copy));
    }
  }
  std::map<Key, std::shared_ptr<const Object>> old;
  {
    absl::MutexLock lock(&mu_);
    old.swap(cache_);
    cache_ = options_.cache_transform ? std::move(cached) : fresh;
    indexes_.clear();
    for (const auto& [k, obj] : cache_) IndexLocked(k, nullptr, obj.get());
    rv_ = list->resource_version;
    ++lists_;
  }
  for (auto& [k, obj] : fresh) {
    auto it = old.find(k);
    for (const EventHandlers& h : handlers_) {
      if (it == old.end()) {
        if (h.on_add) h.on_add(*obj);
      } else if (it->second->meta.resource_version != obj->meta.resource_version) {
        if (h.on_update) h.on_update(*it->second, *obj);
      }
    }
    obj.reset();  // handled: a whole object goes now (unless the cache shares it), not after the whole list
  }
  for (const auto& [k, obj] : old) {
    if (fresh.count(k)) continue;
    for (const EventHandlers& h : handlers_) {
      if (h.on_delete) h.on_delete(*obj);
    }
  }
  // The whole list was in memory at once, interleaved with what the handlers kept (a controller's
  // decoded objects): without a trim the freed pages stay resident, several times the cache's size.
  const bool trim = fresh.size() >= 1000;
  fresh.clear();
  old.clear();
  if (trim) malloc_trim(0);
  absl::MutexLock lock(&mu_);
  synced_ = true;
  return true;
}

bool Informer::WatchOnce(bool* made_progress) {
  WatchOptions wo;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.allow_bookmarks = true;
  wo.timeout = options_.watch_timeout;
  {
    absl::MutexLock lock(&mu_);
    wo.resource_version = rv_;
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> stream = client_.Watch(resource_, options_.namespace_, wo);
  if (!stream.ok()) {
    if (absl::IsOutOfRange(stream.status())) return false;
    PHALANX_LOG(kWarning, "informer watch failed",
                {{"resource", resource_.GroupResource()}, {"error", stream.status().ToString()}});
    return true;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return true;
    active_ = stream->get();
  }
  bool relist = false;
  while (true) {
    absl::StatusOr<WatchEvent> ev = (*stream)->Next(absl::Milliseconds(500));
    if (absl::IsDeadlineExceeded(ev.status())) continue;
    if (!ev.ok()) break;  // stopped, or the stream ended: the caller decides
    if (ev->type == WatchEventType::kError) {
      if (absl::IsOutOfRange(ev->error)) {
        relist = true;
      } else {
        PHALANX_LOG(kWarning, "informer watch error",
                    {{"resource", resource_.GroupResource()}, {"error", ev->error.ToString()}});
      }
      break;
    }
    *made_progress = true;
    Apply(*std::move(ev));
  }
  {
    absl::MutexLock lock(&mu_);
    active_ = nullptr;
  }
  (*stream)->Stop();
  return !relist;
}

size_t Informer::Pump() {
  size_t applied = 0;
  // Two rounds at most: a stream that ended or expired is replaced once per call.
  for (int round = 0; round < 2; ++round) {
    if (pump_need_list_) {
      int64_t before = ListCount();
      if (!ListAndReplace() || ListCount() == before) return applied;
      pump_need_list_ = false;
      pump_stream_.reset();
      absl::MutexLock lock(&mu_);
      applied += cache_.size() + 1;
    }
    if (pump_stream_ == nullptr) {
      WatchOptions wo;
      wo.label_selector = options_.label_selector;
      wo.field_selector = options_.field_selector;
      wo.allow_bookmarks = true;
      wo.timeout = options_.watch_timeout;
      wo.resource_version = ResourceVersion();
      absl::StatusOr<std::unique_ptr<WatchStream>> stream = client_.Watch(resource_, options_.namespace_, wo);
      if (!stream.ok()) {
        if (absl::IsOutOfRange(stream.status())) {
          pump_need_list_ = true;
          continue;
        }
        PHALANX_LOG(kWarning, "informer watch failed",
                    {{"resource", resource_.GroupResource()}, {"error", stream.status().ToString()}});
        return applied;
      }
      pump_stream_ = *std::move(stream);
    }
    while (true) {
      absl::StatusOr<WatchEvent> ev = pump_stream_->Next(absl::ZeroDuration());
      if (absl::IsDeadlineExceeded(ev.status())) return applied;
      if (!ev.ok()) break;  // the stream ended: watch again from the last resourceVersion
      if (ev->type == WatchEventType::kError) {
        if (absl::IsOutOfRange(ev->error)) pump_need_list_ = true;
        break;
      }
      if (ev->type != WatchEventType::kBookmark) ++applied;
      Apply(*std::move(ev));
    }
    pump_stream_->Stop();
    pump_stream_.reset();
  }
  return applied;
}

void Informer::Apply(WatchEvent ev) {
  if (!options_.keep_managed_fields && ev.type != WatchEventType::kBookmark) DropManagedFields(ev.object);
  auto obj = std::make_shared<const Object>(std::move(ev.object));
  Key k(obj->meta.namespace_, obj->meta.name);
  std::shared_ptr<const Object> stored = obj;
  if (options_.cache_transform && (ev.type == WatchEventType::kAdded || ev.type == WatchEventType::kModified)) {
    auto copy = std::make_shared<Object>(*obj);
    options_.cache_transform(*copy);
    stored = std::move(copy);
  }
  std::shared_ptr<const Object> old;
  {
    absl::MutexLock lock(&mu_);
    if (!obj->meta.resource_version.empty()) rv_ = obj->meta.resource_version;
    if (ev.type == WatchEventType::kBookmark) return;
    auto it = cache_.find(k);
    if (it != cache_.end()) old = it->second;
    if (ev.type == WatchEventType::kDeleted) {
      IndexLocked(k, old.get(), nullptr);
      cache_.erase(k);
    } else {
      IndexLocked(k, old.get(), stored.get());
      cache_[k] = stored;
    }
  }
  for (const EventHandlers& h : handlers_) {
    if (ev.type == WatchEventType::kDeleted) {
      if (h.on_delete) h.on_delete(*obj);
    } else if (old == nullptr) {
      if (h.on_add) h.on_add(*obj);
    } else {
      if (h.on_update) h.on_update(*old, *obj);
    }
  }
}

}  // namespace phalanx::kube
