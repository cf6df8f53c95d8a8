// scheduler-extender/fencing.h
//
// Fencing reserved domains against pods that bypass the extender (a second-scheduler layout on a
// managed cluster: pods of the default scheduler never call /filter). With --fence-reserved-domains the
// leader's planner keeps every node of a reserved domain tainted
//     phalanx.dev/reserved=<JobSet uid>:NoSchedule
// and removes the taint when the reservation is released; the member pods get the matching toleration
// in their ungate-and-pin patch (scheduler-extender/pinning.h, PinTarget::fence_value), so only they can
// land there. Nodes are reconciled against the reservations as a whole on every planner round — also the
// first one after a restart, once the recorded reservations are adopted — so nothing stays tainted that
// is not reserved (and a taint edited by hand is put back). The placement model ignores this taint
// (StripFenceTaints), or a fenced domain would look unhealthy to the planner itself.
// A NoSchedule taint also keeps *new* DaemonSet pods off a reserved domain unless they tolerate it
// (phalanx-webhook --tolerate-fence-in-daemonsets adds the toleration to DaemonSet pods).
//
// Pure helpers (FencePatch, ReadNodeFence, WantedChanges) and Fencer, the impure part: an informer on
// Nodes keeping each node's fence taint, and Apply(), which sends one JSON Patch per node that differs
// (test-guarded, so a stale cache fails the patch instead of editing the wrong taint). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/json_patch.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "placement/model.h"

namespace phalanx::extender {

inline constexpr std::string_view kReservedTaintKey = "phalanx.dev/reserved";

// {"key":"phalanx.dev/reserved","operator":"Equal","value":<value>,"effect":"NoSchedule"}
api::PatchValue FenceToleration(std::string_view value);

// Drops the fence taints from a node of the placement model.
void StripFenceTaints(std::vector<placement::Taint>& taints);

// What fencing needs to know about a Node.
struct NodeFence {
  std::string name;
  bool has_taints = false;  // spec.taints is an array
  int index = -1;           // position of the phalanx.dev/reserved taint in spec.taints; -1 when none
  std::string value;        // its value
  std::string effect;       // its effect
};
// Reads a Node (JSON). kInvalidArgument naming the field on a wrong type.
absl::StatusOr<NodeFence> ReadNodeFence(std::string_view node_json);

// The JSON Patch taking `node` to `want` (nullopt: no fence taint); nullopt when it is there already.
std::optional<api::JsonPatch> FencePatch(const NodeFence& node, const std::optional<std::string>& want);

// Node name → the taint value it must carry. Nodes absent from the map must carry none.
using FenceMap = std::map<std::string, std::string>;

class Fencer {
 public:
  explicit Fencer(kube::Client& client);
  ~Fencer();  // Stop()
  Fencer(const Fencer&) = delete;
  Fencer& operator=(const Fencer&) = delete;

  void Start();
  void Stop();
  bool Synced() const;

  // Brings every known node to `wanted` (leader only; after the caches synced). Returns the first
  // error; the others are still tried, and everything is tried again on the next call.
  absl::Status Apply(const FenceMap& wanted);
  // Nodes carrying the fence taint as last seen; patches sent so far.
  size_t FencedNodes() const;
  int64_t Patches() const;

  // Event entry points (also used by tests).
  void OnNode(const kube::Object& node);
  void OnNodeDeleted(const kube::Object& node);

 private:
  kube::Client& client_;
  std::unique_ptr<kube::Informer> nodes_;
  mutable absl::Mutex mu_;
  std::map<std::string, NodeFence> fences_ ABSL_GUARDED_BY(mu_);
  int64_t patches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::extender
