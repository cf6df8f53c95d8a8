// fuzz/objects_fuzzer.cc — the decoders of single Kubernetes objects as the API server (or a client)
// sends them: api::DecodePod, DecodeJob, DecodeService, DecodeClusterState (Nodes, Pods, Lists),
// kube::ParseObject, the extender's DecodePodInfo and ReadPinShape (+ PinPatch), and the extender's
// informer handlers (OnPod, OnNode, OnJobSet). First byte selects; the rest is the JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/job_codec.h"
#include "api/pod.h"
#include "api/scheduling.h"
#include "kube/object.h"
#include "scheduler-extender/pinning.h"
#include "scheduler-extender/state.h"
#include "scheduler-extender/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 8) {
    case 0:
      (void)phalanx::api::DecodePod(json);
      break;
    case 1: {
      absl::StatusOr<phalanx::api::Job> job = phalanx::api::DecodeJob(json);
      if (job.ok()) (void)phalanx::api::EncodeJob(*job);
      (void)phalanx::api::DecodeService(json);
      break;
    }
    case 2:
      (void)phalanx::api::DecodeClusterState(json);
      break;
    case 3:
      (void)phalanx::kube::ParseObject(absl::string_view(json.data(), json.size()));
      break;
    case 4: {
      absl::StatusOr<phalanx::api::PodInfo> pod = phalanx::extender::DecodePodInfo(json);
      if (pod.ok()) (void)phalanx::extender::ToPodDemand(*pod);
      break;
    }
    case 5: {
      absl::StatusOr<phalanx::extender::PinShape> shape = phalanx::extender::ReadPinShape(json);
      if (shape.ok()) {
        phalanx::extender::PinTarget target;
        target.path_labels = {{"cloud.google.com/gce-topology-block", "b1"}, {"rack", "r3"}};
        target.nodes = {"n1", "n2"};
        absl::StatusOr<phalanx::api::JsonPatch> patch = phalanx::extender::PinPatch(*shape, target);
        if (patch.ok()) (void)patch->ToJson();
      }
      break;
    }
    default: {
      // The informer path: every event of every kind lands in one state, as in the extender (a fresh
      // one every 4096 inputs, so what earlier inputs left behind counts without growing for ever).
      static std::unique_ptr<phalanx::extender::ExtenderState> state;
      static int uses = 0;
      if (state == nullptr || ++uses % 4096 == 0) state = std::make_unique<phalanx::extender::ExtenderState>();
      state->OnNode(json);
      state->OnPod(json);
      state->OnJobSet(json);
      state->Sync();
      break;
    }
  }
  return 0;
}
