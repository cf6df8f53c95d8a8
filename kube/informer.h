// kube/informer.h
//
// Informer: a list+watch cache of one resource (optionally one namespace and selectors) that calls
// handlers on changes. Runs on a thread of its own:
//   list (paginated) → replace the cache, calling add/update/delete for the differences →
//   watch from the list's resourceVersion (bookmarks on) → apply events, remember the last
//   resourceVersion → when the stream ends (server timeout, dropped connection) watch again from it,
//   with exponential backoff on failures → on 410 Expired (ERROR event or status) relist.
// Handlers run on the informer thread, one at a time, after the cache has changed; they must not block
// for long. Snapshot() and Get() copy out shared immutable objects and may be called from any thread.
// Periodic resync is not implemented: consumers needing it requeue on their own timers.
// Instead of Start(), Pump() drives the informer on the caller's thread (the simulator's deterministic
// driver): use one or the other, never both.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/client.h"

namespace phalanx::kube {

struct InformerOptions {
  std::string namespace_;              // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;             // list page size (0 = one page)
  absl::Duration watch_timeout = absl::Minutes(5);  // server-side timeoutSeconds of each watch
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  // Applied to each object before it is cached (not to what add/update handlers receive): consumers
  // that keep their own compact view drop what they do not read (e.g. clear `json`), so the cache holds
  // little more than keys. Snapshot(), Get(), the `old_obj` of on_update and on_delete's object then
  // carry the transformed form. nullptr = cache whole objects.
  std::function<void(Object&)> cache_transform;
  // By default metadata.managedFields is dropped from every object before handlers and the cache see
  // it (as controller-runtime's default transform does): server-side-apply bookkeeping that nothing in
  // Phalanx reads and often half of an object's JSON. An update built from such an object leaves the
  // server's managedFields as they are (the API server keeps them when a write omits the field).
  bool keep_managed_fields = false;
};

// Removes metadata.managedFields from `object.json` (the header fields are unchanged). Objects without
// the field, or whose json does not parse, are left alone.
void DropManagedFields(Object& object);

struct EventHandlers {
  std::function<void(const Object&)> on_add;
  std::function<void(const Object& old_obj, const Object& new_obj)> on_update;
  std::function<void(const Object&)> on_delete;  // the last state known
};

class Informer {
 public:
  Informer(Client& client, const Resource& resource, InformerOptions options = {});
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Register before Start().
  void AddHandlers(EventHandlers handlers);
  // An index: `fn` maps an object to its keys (e.g. the controller owner's uid). Register before Start().
  using IndexFunc = std::function<std::vector<std::string>(const Object&)>;
  void AddIndex(const std::string& name, IndexFunc fn);
  // Objects whose `index` keys include `key`; empty for an unknown index.
  std::vector<std::shared_ptr<const Object>> ByIndex(const std::string& index, const std::string& key) const;
  // The built-in index function: the uid of the controller ownerReference (if any).
  static std::vector<std::string> ControllerUid(const Object& object);
  void Start();
  // Ends the watch and joins the thread. Idempotent.
  void Stop();
  // Without Start(): lists on the first call (and again after 410 Expired), then applies every watch
  // event already delivered, without waiting for more; handlers run on the calling thread. Returns how
  // many changes it applied (objects listed count one each). Failures are logged and retried on the
  // next call. Not thread-safe against itself.
  size_t Pump();

  // True once the first list has been applied.
  bool HasSynced() const;
  // Blocks until synced or `timeout`; returns HasSynced().
  bool WaitForSync(absl::Duration timeout) const;

  std::vector<std::shared_ptr<const Object>> Snapshot() const;
  // nullptr if absent. `ns` "" for cluster-scoped objects.
  std::shared_ptr<const Object> Get(absl::string_view ns, absl::string_view name) const;
  // The resourceVersion the cache reflects.
  std::string ResourceVersion() const;
  // How many times the informer has listed (1 after the first sync; more after 410s).
  int64_t ListCount() const;

 private:
  using Key = std::pair<std::string, std::string>;

  void Run();
  // Returns false when stopping.
  bool ListAndReplace();
  // Watches until the stream ends; returns false if a relist is needed.
  bool WatchOnce(bool* made_progress);
  void Apply(WatchEvent ev);
  void IndexLocked(const Key& key, const Object* old_obj, const Object* new_obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sleeps up to `d` unless Stop() is called; returns false when stopping.
  bool Sleep(absl::Duration d);

  Client& client_;
  const Resource resource_;
  const InformerOptions options_;
  std::vector<EventHandlers> handlers_;
  std::map<std::string, IndexFunc> index_funcs_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::map<Key, std::shared_ptr<const Object>> cache_ ABSL_GUARDED_BY(mu_);
  std::string rv_ ABSL_GUARDED_BY(mu_);
  // index name → key → objects
  std::map<std::string, std::map<std::string, std::set<Key>>> indexes_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t lists_ ABSL_GUARDED_BY(mu_) = 0;
  WatchStream* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Pump()'s state (only its caller touches it).
  std::unique_ptr<WatchStream> pump_stream_;
  bool pump_need_list_ = true;
};

}  // namespace phalanx::kube
