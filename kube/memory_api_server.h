// kube/memory_api_server.h
//
// MemoryApiServer: serves a MemoryCluster over real HTTP/1.1 on 127.0.0.1 (port 0 = any free port) with
// the API server's URL layout — /api/v1/..., /apis/<group>/<version>/..., namespaces/<ns>/, object names,
// /status, /binding, /eviction — its query parameters (labelSelector, fieldSelector, limit, continue,
// resourceVersion, resourceVersionMatch, watch, allowWatchBookmarks, timeoutSeconds), PATCH content
// types (merge, JSON, strategic merge; others → 415), DeleteOptions bodies, Status error bodies, and
// chunked watch streams (one JSON event per line). Lets the real HttpClient, informers and binaries run
// end to end without a cluster. Plain HTTP, no authentication; request bodies over 3 MiB get 413 and a
// request not read within 10 s is dropped, as on the real API server.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "kube/memory_cluster.h"

namespace phalanx::kube {

class MemoryApiServer {
 public:
  explicit MemoryApiServer(MemoryCluster& cluster);
  ~MemoryApiServer();  // Stop()
  MemoryApiServer(const MemoryApiServer&) = delete;
  MemoryApiServer& operator=(const MemoryApiServer&) = delete;

  // Binds 127.0.0.1:`port` (0 = any) and serves on a thread of its own.
  absl::Status Start(int port = 0);
  // Ends open watch streams and stops serving. Idempotent.
  void Stop();
  int port() const;
  // "http://127.0.0.1:<port>"
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::kube
