// kube/remote_admission.h
//
// A MemoryCluster admission hook that calls a real admission webhook over HTTPS the way kube-apiserver
// does (reference/kube-scheduling.md §2; request shape checked against fixtures k8s-v1.36/admission/),
// so end-to-end tests run the real phalanx-webhook binary in front of MemoryCluster or
// phalanx-memory-apiserver:
//   - for each create/update whose resource and operation match `rules` (and whose labels match
//     `object_selector`, old or new object for updates), POSTs an admission.k8s.io/v1 AdmissionReview
//     request — fresh uid, kind/resource/requestKind/requestResource, subResource when there is one,
//     name, namespace, operation CREATE|UPDATE, userInfo, object, oldObject (null on CREATE), dryRun
//     false, options CreateOptions|UpdateOptions — to `url` + "?timeout=<N>s", verifying the server's
//     certificate against `ca_file`;
//   - checks the answer as the API server does: HTTP 200, apiVersion admission.k8s.io/v1 and kind
//     AdmissionReview, response.uid equal to the request's, patch and patchType together (JSONPatch only,
//     and only from a mutating webhook);
//   - allowed: applies the base64 JSON Patch to the object (mutating); denied: fails the write with the
//     API server's Status — message `admission webhook "<name>" denied the request: <message>`, the
//     webhook's code (at least 400) and reason;
//   - a failed call (connection, TLS, timeout, non-200, malformed answer) follows `failure_policy`:
//     kFail → 500 InternalError `Internal error occurred: failed calling webhook "<name>": <why>`;
//     kIgnore → the write goes on unchanged.
// With `transport` set the webhook is called in-process instead (the simulator runs the webhook's own
// handler that way): same request, same checks of the answer, no TLS; `url` is then the path alone.
// Register mutating hooks before validating ones (MemoryCluster runs hooks in the order added);
// PhalanxWebhooks + AddRemoteAdmissionHooks install Phalanx's own configuration that way.
//
// Thread-safety: the returned hook may be called from many threads; calls are serialized on one
// keep-alive connection. It runs under MemoryCluster's lock and never calls the cluster. Each call
// blocks for at most about `timeout` (connect + write + read).
#pragma once

#include <functional>
#include <utility>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kube/memory_cluster.h"

namespace phalanx::kube {

// One rule of a webhook configuration's `rules[]`.
struct AdmissionRule {
  std::string api_group;  // "" for core, e.g. "jobset.x-k8s.io"; "*" = any
  std::string resource;   // plural, optionally "/subresource": "pods", "jobsets", "jobsets/status"; "*" = any main resource
  std::vector<AdmissionOperation> operations;  // e.g. {kCreate}
};

struct RemoteAdmissionOptions {
  // The webhook's name in the configuration (e.g. "mpod.phalanx.dev"); it appears in error messages.
  std::string name;
  // https://host:port/path, e.g. https://127.0.0.1:9443/mutate--v1-pod. Must be https.
  std::string url;
  // PEM CA bundle file the serving certificate must chain to (certs/make-certs.sh writes DIR/ca.crt).
  std::string ca_file;
  bool mutating = true;  // false: a validating webhook (a returned patch is then an error)
  std::vector<AdmissionRule> rules;
  // Label selector (kube/selector.h syntax) the object must match, e.g. "jobset.sigs.k8s.io/jobset-name";
  // "" = every object.
  std::string object_selector;
  // Namespaces whose objects are never sent (a namespaceSelector excluding them), e.g. {"kube-system"}.
  std::vector<std::string> skip_namespaces;
  enum class FailurePolicy { kFail, kIgnore };
  FailurePolicy failure_policy = FailurePolicy::kFail;
  absl::Duration timeout = absl::Seconds(10);  // the API server allows 1–30 s; default 10
  // userInfo sent with every request.
  std::string username = "system:admin";
  std::vector<std::string> groups = {"system:masters", "system:authenticated"};
  // In-process call: (path, request body) → (HTTP status, answer body); an error status is a failed call
  // with that message. Empty = HTTPS to `url`.
  std::function<absl::StatusOr<std::pair<int, std::string>>(const std::string& path, const std::string& body)>
      transport;
};

// RemoteAdmissionHook builds the hook. kInvalidArgument for a URL that is not https://host[:port]/path,
// an unparsable object selector, or a missing name or CA file path (URL and CA are not needed with a
// transport).
absl::StatusOr<AdmissionHook> RemoteAdmissionHook(RemoteAdmissionOptions options);

// PhalanxWebhooks: the four webhooks of manifests/webhook.yaml pointed at one phalanx-webhook serving at
// `base_url` (e.g. "https://127.0.0.1:PORT"; "" for paths alone, with a transport), mutating first: mjobset.phalanx.dev (jobsets CREATE, Fail,
// 10 s), mpod.phalanx.dev (pods CREATE with label jobset.sigs.k8s.io/jobset-name, not kube-system, Fail,
// 3 s), vjobset.phalanx.dev (jobsets CREATE and UPDATE, Fail, 10 s), vpod.phalanx.dev (like mpod but
// Ignore).
std::vector<RemoteAdmissionOptions> PhalanxWebhooks(const std::string& base_url, const std::string& ca_file);

// AddRemoteAdmissionHooks builds a hook for each of `webhooks` and adds them to `cluster` in order;
// nothing is added if any of them is invalid.
absl::Status AddRemoteAdmissionHooks(MemoryCluster& cluster, const std::vector<RemoteAdmissionOptions>& webhooks);

}  // namespace phalanx::kube
