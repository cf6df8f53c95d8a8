// webhook/handler.h
//
// The admission endpoints as one function: (path, Content-Type, body) → (HTTP status, Content-Type,
// body). No sockets, so it is tested with the real AdmissionReview bodies directly and reused by the
// server and the simulator. Contract:
//   - unknown path → 404; Content-Type other than application/json → 400; a body that is not an
//     AdmissionReview v1 request → 400 with the decoder's message (text/plain);
//   - otherwise 200 with an AdmissionReview response echoing apiVersion, kind and request.uid.
// Pod paths follow PodWebhookOptions: Phalanx placement (webhook/pod_mutation.h, pod_validation.h) or
// upstream's exclusive placement (webhook/exclusive_upstream.h).
// Never throws; pure and reentrant (safe to call from many threads at once).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/pod.h"
#include "webhook/exclusive_upstream.h"
#include "webhook/managed_cluster.h"

namespace phalanx::webhook {

inline constexpr std::string_view kMutateJobSetPath = "/mutate-jobset-x-k8s-io-v1alpha2-jobset";
inline constexpr std::string_view kValidateJobSetPath = "/validate-jobset-x-k8s-io-v1alpha2-jobset";
inline constexpr std::string_view kMutatePodPath = "/mutate--v1-pod";
inline constexpr std::string_view kValidatePodPath = "/validate--v1-pod";

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // For metrics: "allowed", "patched", "denied", "bad_request", "not_found".
  std::string result;
};

// How the pod webhooks treat pods (flags of phalanx-webhook). The defaults are Phalanx placement.
struct PodWebhookOptions {
  ExclusivePlacementMode exclusive_placement = ExclusivePlacementMode::kPhalanx;
  // Upstream mode reads leaders and nodes here; required (non-null) in that mode. Not owned.
  const LeaderLookup* lookup = nullptr;
  // Called for every pod the mutating webhook gives Phalanx's placement gate (planner watch). May be
  // empty; must be thread-safe and must not block.
  std::function<void(const api::Pod&)> on_gated;
  // Phalanx mode on a managed cluster: schedulerName on gated pods, the fence toleration on DaemonSet
  // pods (webhook/managed_cluster.h).
  ManagedClusterOptions managed;
};

bool IsAdmissionPath(std::string_view path);

HttpReply HandleAdmission(std::string_view path, std::string_view content_type,
                          std::string_view body);
HttpReply HandleAdmission(std::string_view path, std::string_view content_type,
                          std::string_view body, const PodWebhookOptions& options);

}  // namespace phalanx::webhook
