// scheduler-extender/caches.h
//
// Caches: list+watch informers on Nodes, Pods (all namespaces) and JobSets that feed ExtenderState, the
// extender's only model of the cluster. The informers' own caches keep just each object's key (their
// `cache_transform` drops the JSON and the metadata maps), so a pod costs the state's compact records
// and little more. `on_change` is called after every event (the planner uses it to wake up).
// Start() runs the informers on threads of their own; Synced() is true once all three listed. Pump()
// instead drives them on the caller's thread (the simulator), never together with Start().
// Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "scheduler-extender/state.h"

namespace phalanx::extender {

struct CachesOptions {
  int64_t page_size = 500;
  std::function<void()> on_change;  // may be empty
};

class Caches {
 public:
  Caches(kube::Client& client, ExtenderState& state, CachesOptions options = {});
  ~Caches();  // Stop()
  Caches(const Caches&) = delete;
  Caches& operator=(const Caches&) = delete;

  void Start();
  void Stop();
  bool Synced() const;
  bool WaitForSync(absl::Duration timeout) const;
  // kube::Informer::Pump on Nodes, Pods, JobSets in that order; the number of changes applied.
  size_t Pump();

 private:
  ExtenderState& state_;
  CachesOptions options_;
  std::unique_ptr<kube::Informer> nodes_;
  std::unique_ptr<kube::Informer> pods_;
  std::unique_ptr<kube::Informer> jobsets_;
};


}  // namespace phalanx::extender
