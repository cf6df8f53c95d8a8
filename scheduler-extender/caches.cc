#include "scheduler-extender/caches.h"

#include <utility>

#include "absl/time/clock.h"

namespace phalanx::extender {

Caches::Caches(kube::Client& client, ExtenderState& state, CachesOptions options)
    : state_(state), options_(std::move(options)) {
  kube::InformerOptions io;
  io.page_size = options_.page_size;
  io.cache_transform = kube::KeepIdentityOnly;
  nodes_ = std::make_unique<kube::Informer>(client, kube::kNodes, io);
  pods_ = std::make_unique<kube::Informer>(client, kube::kPods, io);
  jobsets_ = std::make_unique<kube::Informer>(client, kube::kJobSets, io);
  auto changed = [this] {
    if (options_.on_change) options_.on_change();
  };
  nodes_->AddHandlers({
      [this, changed](const kube::Object& o) { state_.OnNode(o.json); changed(); },
      [this, changed](const kube::Object&, const kube::Object& o) { state_.OnNode(o.json); changed(); },
      [this, changed](const kube::Object& o) { state_.OnNodeDeleted(o.meta.name); changed(); },
  });
  pods_->AddHandlers({
      [this, changed](const kube::Object& o) { state_.OnPod(o.json); changed(); },
      [this, changed](const kube::Object&, const kube::Object& o) { state_.OnPod(o.json); changed(); },
      [this, changed](const kube::Object& o) {
        state_.OnPodDeleted(o.meta.uid);
        changed();
      },
  });
  jobsets_->AddHandlers({
      [this, changed](const kube::Object& o) { state_.OnJobSet(o.json); changed(); },
      [this, changed](const kube::Object&, const kube::Object& o) { state_.OnJobSet(o.json); changed(); },
      [this, changed](const kube::Object& o) { state_.OnJobSetDeleted(o.meta.uid); changed(); },
  });
}

Caches::~Caches() { Stop(); }

void Caches::Start() {
  // Nodes first, so recorded reservations find their domains when the JobSets arrive.
  nodes_->Start();
  pods_->Start();
  jobsets_->Start();
}

void Caches::Stop() {
  jobsets_->Stop();
  pods_->Stop();
  nodes_->Stop();
}

size_t Caches::Pump() { return nodes_->Pump() + pods_->Pump() + jobsets_->Pump(); }

bool Caches::Synced() const { return nodes_->HasSynced() && pods_->HasSynced() && jobsets_->HasSynced(); }

bool Caches::WaitForSync(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (const kube::Informer* i : {nodes_.get(), pods_.get(), jobsets_.get()}) {
    if (!i->WaitForSync(deadline - absl::Now())) return false;
  }
  return true;
}

}  // namespace phalanx::extender
