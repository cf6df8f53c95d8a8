// kube/errors.h
//
// Kubernetes `Status` errors ⇄ absl::Status. Every non-2xx answer (and every MemoryCluster failure) is an
// absl::Status whose code a caller can act on, carrying the original Status JSON as a payload under
// kStatusPayloadUrl so it can be served again byte-compatible (MemoryApiServer) or inspected.
//
//   HTTP  reason                      absl code
//   400   BadRequest                  kInvalidArgument
//   401   Unauthorized                kUnauthenticated
//   403   Forbidden                   kPermissionDenied
//   404   NotFound                    kNotFound
//   405   MethodNotAllowed            kUnimplemented
//   409   AlreadyExists               kAlreadyExists
//   409   Conflict (stale RV, etc.)   kAborted            ← retry with RetryOnConflict
//   410   Expired / Gone              kOutOfRange         ← relist
//   415   UnsupportedMediaType        kInvalidArgument
//   422   Invalid                     kInvalidArgument
//   429   TooManyRequests             kResourceExhausted
//   5xx, connection failures          kUnavailable
//   other                             kUnknown
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace phalanx::kube {

inline constexpr char kStatusPayloadUrl[] = "phalanx.dev/kube-status";

// The absl code for an HTTP status and Kubernetes reason (see the table above).
absl::StatusCode CodeForHttp(int http_code, absl::string_view reason);

// An error for an API answer: `body` is the response body (a Status object or, for some 404s, plain
// text). The message is the Status message when there is one.
absl::Status StatusFromResponse(int http_code, absl::string_view body);

// Builds the error a Kubernetes API server would return: a Status object with `reason`, `message`,
// `code` and optional details (name, group, kind), attached as payload.
absl::Status ApiError(int http_code, absl::string_view reason, absl::string_view message,
                      absl::string_view name = "", absl::string_view group = "", absl::string_view kind = "");

// The HTTP code and the Status JSON body for `status`, as an API server would send it. Uses the payload
// when present, else derives them from the absl code.
int HttpCodeFor(const absl::Status& status);
std::string StatusBodyFor(const absl::Status& status);

// The Kubernetes `reason` of an error (e.g. "Conflict", "AlreadyExists", "Expired"), or "" if unknown.
std::string ReasonOf(const absl::Status& status);

}  // namespace phalanx::kube
