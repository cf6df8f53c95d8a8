// Golden tests of the admission handler on the real AdmissionReview bodies captured from a Kubernetes
// 1.36 API server, plus malformed input. String in, string out: no sockets.
#include "webhook/handler.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/json_patch.h"
#include "api/pod.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::webhook {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

// Runs `body` through `path` and checks the envelope rules every answer must follow.
api::AdmissionResponseReview Call(std::string_view path, const std::string& body) {
  HttpReply reply = HandleAdmission(path, "application/json", body);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  auto request = api::DecodeAdmissionReview(body);
  EXPECT_TRUE(request.ok()) << request.status();
  auto decoded = api::DecodeAdmissionResponseReview(reply.body);
  EXPECT_TRUE(decoded.ok()) << decoded.status() << "\n" << reply.body;
  if (!decoded.ok() || !request.ok()) return {};
  EXPECT_EQ(decoded->api_version, request->api_version);
  EXPECT_EQ(decoded->kind, "AdmissionReview");
  EXPECT_EQ(decoded->response.uid, request->request.uid);
  // patch and patchType come together, and only from mutating endpoints.
  EXPECT_EQ(decoded->response.patch.has_value(), decoded->patch_type.has_value());
  if (decoded->patch_type) {
    EXPECT_EQ(*decoded->patch_type, "JSONPatch");
  }
  if (path.find("/validate") == 0) {
    EXPECT_FALSE(decoded->response.patch.has_value());
  }
  for (const auto& w : decoded->response.warnings) EXPECT_LE(w.size(), 120u) << w;
  return *decoded;
}

std::string ObjectOf(const std::string& body) {
  auto review = api::DecodeAdmissionReview(body);
  EXPECT_TRUE(review.ok());
  return *review->request.object;
}

// Replaces `object` in an AdmissionReview body with `new_object` (JSON text), keeping the rest.
std::string WithObject(const std::string& body, const std::string& new_object) {
  auto review = api::DecodeAdmissionReview(body);
  EXPECT_TRUE(review.ok());
  const auto& r = review->request;
  return absl::StrCat(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":")",
                      r.uid, R"(","kind":{"group":"","version":"v1","kind":"Pod"},)",
                      R"("resource":{"group":"","version":"v1","resource":"pods"},"namespace":")",
                      r.namespace_, R"(","operation":"CREATE","object":)", new_object,
                      R"(,"oldObject":null,"dryRun":false}})");
}

constexpr char kPodMutationPatch[] =
    R"([{"op":"add","path":"/metadata/labels/jobset.sigs.k8s.io~1priority","value":"0"},)"
    R"({"op":"add","path":"/spec/schedulingGates","value":[{"name":"phalanx.dev/placement"}]}])";

TEST(HandlerGoldenTest, MutatePodFromJobController) {
  for (const char* name : {"pod-create-from-job-controller.mutate-pod.request.json",
                           "pod-create-from-job-controller.mutate-pod.2.request.json"}) {
    SCOPED_TRACE(name);
    const std::string body = Fixture(name);
    api::AdmissionResponseReview r = Call(kMutatePodPath, body);
    EXPECT_TRUE(r.response.allowed);
    ASSERT_TRUE(r.response.patch.has_value());
    EXPECT_EQ(*r.response.patch, kPodMutationPatch);
    EXPECT_TRUE(r.response.warnings.empty());

    // The patch applies to the pod as received and leaves a pod needing nothing more: a second call
    // (reinvocation after another webhook's change) adds nothing twice.
    ASSERT_OK_AND_ASSIGN(std::string patched, api::ApplyJsonPatch(ObjectOf(body), *r.response.patch));
    ASSERT_OK_AND_ASSIGN(api::Pod pod, api::DecodePod(patched));
    EXPECT_EQ(pod.metadata.Label("jobset.sigs.k8s.io/priority"), "0");
    EXPECT_TRUE(pod.HasSchedulingGate("phalanx.dev/placement"));
    api::AdmissionResponseReview again = Call(kMutatePodPath, WithObject(body, patched));
    EXPECT_TRUE(again.response.allowed);
    EXPECT_FALSE(again.response.patch.has_value());
  }
}

TEST(HandlerGoldenTest, ExactResponseBodyForJobControllerPod) {
  HttpReply reply = HandleAdmission(
      kMutatePodPath, "application/json",
      Fixture("pod-create-from-job-controller.mutate-pod.request.json"));
  EXPECT_EQ(reply.body,
            absl::StrCat(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)",
                         R"("response":{"uid":"0f3387bc-e650-4e2b-9c75-56c0a13b2f95","allowed":true,)",
                         R"("patch":")", api::Base64Encode(kPodMutationPatch),
                         R"(","patchType":"JSONPatch"}})"));
  EXPECT_EQ(reply.result, "patched");
}

TEST(HandlerGoldenTest, ValidatePodFromJobController) {
  for (const char* name : {"pod-create-from-job-controller.validate-pod.request.json",
                           "pod-create-from-job-controller.validate-pod.2.request.json"}) {
    SCOPED_TRACE(name);
    api::AdmissionResponseReview r = Call(kValidatePodPath, Fixture(name));
    EXPECT_TRUE(r.response.allowed);
    EXPECT_FALSE(r.response.status.has_value());
    EXPECT_TRUE(r.response.warnings.empty());
  }
}

TEST(HandlerGoldenTest, PodWithoutJobSetAnnotationUnchanged) {
  // The capture's pod with its JobSet annotations removed: the objectSelector matched the label, the
  // handler checks the annotation (as upstream does).
  const std::string body = Fixture("pod-create-from-job-controller.mutate-pod.request.json");
  ASSERT_OK_AND_ASSIGN(
      std::string stripped,
      api::ApplyJsonPatch(ObjectOf(body), R"([{"op":"remove","path":"/metadata/annotations"}])"));
  api::AdmissionResponseReview r = Call(kMutatePodPath, WithObject(body, stripped));
  EXPECT_TRUE(r.response.allowed);
  EXPECT_FALSE(r.response.patch.has_value());
}

TEST(HandlerGoldenTest, PodReviewWithNonPodObjectIsAllowed) {
  // A misconfigured rule sending JobSets to the pod endpoint must not block anything.
  api::AdmissionResponseReview r =
      Call(kMutatePodPath, Fixture("jobset-create-named.mutate-jobset.request.json"));
  EXPECT_TRUE(r.response.allowed);
  EXPECT_FALSE(r.response.patch.has_value());
  EXPECT_EQ(r.response.warnings.size(), 1u);
}

TEST(HandlerGoldenTest, PodWithBadFieldTypeIsA400InTheReview) {
  const std::string body = Fixture("pod-create-from-job-controller.mutate-pod.request.json");
  ASSERT_OK_AND_ASSIGN(
      std::string bad,
      api::ApplyJsonPatch(ObjectOf(body), R"([{"op":"replace","path":"/spec/priority","value":"high"}])"));
  api::AdmissionResponseReview r = Call(kMutatePodPath, WithObject(body, bad));
  EXPECT_FALSE(r.response.allowed);
  ASSERT_TRUE(r.response.status.has_value());
  EXPECT_EQ(r.response.status->code, 400);
  EXPECT_THAT(r.response.status->message, HasSubstr("spec.priority"));
}

TEST(HandlerTest, EchoesTheReviewApiVersion) {
  std::string body = Fixture("pod-create-from-job-controller.validate-pod.request.json");
  const std::string v1 = R"("apiVersion":"admission.k8s.io/v1")";
  body.replace(body.find(v1), v1.size(), R"("apiVersion":"admission.k8s.io/v1beta1")");
  HttpReply reply = HandleAdmission(kValidatePodPath, "application/json", body);
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, ::testing::StartsWith(
                              R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview",)"));
}

TEST(HandlerTest, UnknownPathIs404) {
  HttpReply reply = HandleAdmission("/mutate-v1-pod", "application/json", "{}");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.result, "not_found");
  EXPECT_FALSE(IsAdmissionPath("/"));
  EXPECT_TRUE(IsAdmissionPath(kValidateJobSetPath));
}

TEST(HandlerTest, WrongContentTypeIs400) {
  const std::string body = Fixture("pod-create-from-job-controller.mutate-pod.request.json");
  for (const char* ct : {"", "text/plain", "application/yaml", "application/jsonx"}) {
    SCOPED_TRACE(ct);
    HttpReply reply = HandleAdmission(kMutatePodPath, ct, body);
    EXPECT_EQ(reply.status, 400);
    EXPECT_THAT(reply.body, HasSubstr("expected application/json"));
    EXPECT_EQ(reply.result, "bad_request");
  }
  for (const char* ct : {"application/json; charset=utf-8", "Application/JSON"}) {
    SCOPED_TRACE(ct);
    EXPECT_EQ(HandleAdmission(kMutatePodPath, ct, body).status, 200);
  }
}

TEST(HandlerTest, MalformedBodiesAre400WithAMessage) {
  struct Case {
    std::string name, body, message;
  } cases[] = {
      {"empty", "", "empty"},
      {"not json", "{\"apiVersion\":", "not an AdmissionReview"},
      {"json but not a review", R"({"hello":"world"})", "apiVersion"},
      {"v1 without request", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})",
       "request"},
      {"binary", std::string("\x00\xff\xfe{", 4), "not an AdmissionReview"},
      {"deep nesting", std::string(100000, '['), "not an AdmissionReview"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (std::string_view path : {kMutatePodPath, kValidatePodPath, kMutateJobSetPath,
                                  kValidateJobSetPath}) {
      HttpReply reply = HandleAdmission(path, "application/json", c.body);
      EXPECT_EQ(reply.status, 400);
      EXPECT_THAT(reply.body, HasSubstr(c.message));
      EXPECT_EQ(reply.content_type, "text/plain; charset=utf-8");
    }
  }
}

// Never a crash, always a well-formed answer: truncated and corrupted versions of the real reviews.
TEST(HandlerRobustnessTest, TruncatedAndCorruptedReviews) {
  std::mt19937 rng(20261128);  // fixed seed: reproducible
  struct Target {
    std::string_view path;
    std::string body;
  } targets[] = {
      {kMutatePodPath, Fixture("pod-create-from-job-controller.mutate-pod.request.json")},
      {kValidatePodPath, Fixture("pod-create-from-job-controller.validate-pod.request.json")},
      {kMutateJobSetPath, Fixture("jobset-create-named.mutate-jobset.request.json")},
      {kValidateJobSetPath, Fixture("jobset-update-spec.validate-jobset.request.json")},
  };
  const char kNoise[] = "{}[]\",:0-9eE.\\tnulfas \x01\xff";
  for (const auto& t : targets) {
    SCOPED_TRACE(t.path);
    for (size_t cut = 0; cut < t.body.size(); cut += 13) {
      HttpReply r = HandleAdmission(t.path, "application/json", t.body.substr(0, cut));
      EXPECT_EQ(r.status, 400) << cut;
    }
    for (int i = 0; i < 1500; ++i) {
      std::string body = t.body;
      int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        body[rng() % body.size()] = kNoise[rng() % (sizeof(kNoise) - 1)];
      }
      HttpReply r = HandleAdmission(t.path, "application/json", body);
      ASSERT_TRUE(r.status == 200 || r.status == 400) << r.status;
      if (r.status == 200) {
        auto decoded = api::DecodeAdmissionResponseReview(r.body);
        ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << r.body;
        EXPECT_EQ(decoded->response.patch.has_value(), decoded->patch_type.has_value());
      }
    }
  }
}

// Invalid UTF-8 inside any string of a review (names, labels, images, commands...) is never a crash:
// the answer is a 400 or a well-formed review whose body is valid UTF-8 (nlohmann's parser checks).
TEST(HandlerRobustnessTest, InvalidUtf8InEveryStringIsNeverACrash) {
  struct Target {
    std::string_view path;
    std::string body;
  } targets[] = {
      {kMutatePodPath, Fixture("pod-create-from-job-controller.mutate-pod.request.json")},
      {kValidatePodPath, Fixture("pod-create-from-job-controller.validate-pod.request.json")},
      {kMutateJobSetPath, Fixture("jobset-create-named.mutate-jobset.request.json")},
      {kValidateJobSetPath, Fixture("jobset-update-spec.validate-jobset.request.json")},
  };
  // A stray continuation byte, a truncated sequence, an overlong '/', a surrogate, a byte never valid.
  const std::string kBad[] = {"\x80", "\xc3(", "\xc0\xaf", "\xed\xa0\x80", "\xff"};
  for (const auto& t : targets) {
    SCOPED_TRACE(t.path);
    int strings = 0;
    for (size_t at = t.body.find("\":\""); at != std::string::npos; at = t.body.find("\":\"", at + 1)) {
      ++strings;
      for (const std::string& bad : kBad) {
        std::string body = t.body;
        body.insert(at + 3, bad);  // first bytes of the string value
        HttpReply r = HandleAdmission(t.path, "application/json", body);
        ASSERT_TRUE(r.status == 200 || r.status == 400) << r.status << " at " << at;
        if (r.status != 200) continue;
        EXPECT_FALSE(nlohmann::json::parse(r.body, nullptr, false).is_discarded()) << r.body;
        auto decoded = api::DecodeAdmissionResponseReview(r.body);
        ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << r.body;
      }
    }
    EXPECT_GT(strings, 10);
  }
}

}  // namespace
}  // namespace phalanx::webhook
