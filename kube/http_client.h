// kube/http_client.h
//
// HttpClient: kube::Client over the Kubernetes REST API (HTTP/1.1, TLS with the configured CA and client
// certificate, bearer token re-read from token_file when it rotates). Every request passes the
// client-side token bucket (RestConfig qps/burst). Retries, with exponential backoff capped at
// max_backoff, up to max_retries extra attempts:
//   - 429 and 5xx carrying Retry-After: any method, after the server's delay (capped at max_retry_after);
//   - 5xx without Retry-After and connections dropped after sending: GET/PUT/DELETE only (idempotent);
//   - connection refused / not established: any method (nothing reached the server).
// A 429 without Retry-After (e.g. an eviction blocked by a PodDisruptionBudget) is returned at once.
// Watches stream the chunked response on a thread of their own: one JSON event per line; the ERROR
// event (410 Expired) is delivered as WatchEventType::kError; see WatchStream for the end-of-stream
// contract. Thread-safe: connections are pooled, one request per connection at a time.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kube/client.h"
#include "kube/config.h"

namespace phalanx::kube {

class HttpClient final : public Client {
 public:
  // kInvalidArgument if the server URL or the TLS material cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(RestConfig config);
  ~HttpClient() override;

  absl::StatusOr<Object> Create(const Resource& resource, absl::string_view ns, absl::string_view body) override;
  absl::StatusOr<Object> Get(const Resource& resource, absl::string_view ns, absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<Object> Update(const Resource& resource, absl::string_view ns, absl::string_view body) override;
  absl::StatusOr<Object> Patch(const Resource& resource, absl::string_view ns, absl::string_view name,
                               PatchType type, absl::string_view patch) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options = {}) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const Resource& resource, absl::string_view ns,
                                                     const WatchOptions& options) override;

  // The raw exchange, for resources or verbs the typed methods do not cover: returns the response body
  // of a 2xx answer, else the mapped error. `path` includes the query string.
  absl::StatusOr<std::string> Do(absl::string_view method, const std::string& path, absl::string_view body,
                                 absl::string_view content_type);

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::kube
