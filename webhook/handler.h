// webhook/handler.h
//
// The admission endpoints as one function: (path, Content-Type, body) → (HTTP status, Content-Type,
// body). No sockets, so it is tested with the real AdmissionReview bodies directly and reused by the
// server and the simulator. Contract:
//   - unknown path → 404; Content-Type other than application/json → 400; a body that is not an
//     AdmissionReview v1 request → 400 with the decoder's message (text/plain);
//   - otherwise 200 with an AdmissionReview response echoing apiVersion, kind and request.uid.
// Never throws; pure and reentrant (safe to call from many threads at once).
#pragma once

#include <string>
#include <string_view>

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

bool IsAdmissionPath(std::string_view path);

HttpReply HandleAdmission(std::string_view path, std::string_view content_type,
                          std::string_view body);

}  // namespace phalanx::webhook
