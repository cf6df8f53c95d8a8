#include <string>

#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/json_patch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace phalanx::api {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

TEST(DecodeAdmissionReviewTest, PodCreateFromJobController) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(
                           Fixture("pod-create-from-job-controller.mutate-pod.request.json")));
  EXPECT_EQ(review.api_version, "admission.k8s.io/v1");
  EXPECT_EQ(review.kind, "AdmissionReview");
  const AdmissionRequest& r = review.request;
  EXPECT_EQ(r.uid, "0f3387bc-e650-4e2b-9c75-56c0a13b2f95");
  EXPECT_EQ(r.kind.group, "");
  EXPECT_EQ(r.kind.version, "v1");
  EXPECT_EQ(r.kind.kind, "Pod");
  EXPECT_EQ(r.resource.resource, "pods");
  EXPECT_EQ(r.name, "");  // generateName: the mutating webhook sees no name
  EXPECT_EQ(r.namespace_, "default");
  EXPECT_EQ(r.operation, AdmissionOperation::kCreate);
  EXPECT_EQ(r.username, "system:serviceaccount:kube-system:job-controller");
  EXPECT_FALSE(r.dry_run);
  ASSERT_TRUE(r.object.has_value());
  EXPECT_THAT(*r.object, HasSubstr("\"generateName\":\"js-named-workers-0-0-\""));
  EXPECT_FALSE(r.old_object.has_value());  // "oldObject": null
}

TEST(DecodeAdmissionReviewTest, DryRunCreate) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(
                           Fixture("jobset-create-dryrun.mutate-jobset.request.json")));
  EXPECT_TRUE(review.request.dry_run);
  EXPECT_EQ(review.request.kind.kind, "JobSet");
  EXPECT_EQ(review.request.kind.group, "jobset.x-k8s.io");
}

TEST(DecodeAdmissionReviewTest, AcceptsMultiByteUtf8) {
  ASSERT_OK_AND_ASSIGN(
      AdmissionReview r,
      DecodeAdmissionReview("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                            "\"request\":{\"uid\":\"u\",\"name\":\"gr\xc3\xbc\xc3\x9f-\xe2\x82\xac-\xf0\x9f\x98\x80\","
                            "\"operation\":\"CREATE\"}}"));
  EXPECT_EQ(r.request.name, "gr\xc3\xbc\xc3\x9f-\xe2\x82\xac-\xf0\x9f\x98\x80");
}

TEST(DecodeAdmissionReviewTest, StatusSubresourceUpdate) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(Fixture(
                           "jobset-status-update.validate-jobset-status.request.json")));
  EXPECT_EQ(review.request.operation, AdmissionOperation::kUpdate);
  EXPECT_EQ(review.request.sub_resource, "status");
  EXPECT_TRUE(review.request.object.has_value());
  EXPECT_TRUE(review.request.old_object.has_value());
}

TEST(DecodeAdmissionReviewTest, SpecUpdateCarriesOldObject) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(
                           Fixture("jobset-update-suspend-true.validate-jobset.request.json")));
  EXPECT_EQ(review.request.operation, AdmissionOperation::kUpdate);
  EXPECT_EQ(review.request.sub_resource, "");
  ASSERT_TRUE(review.request.old_object.has_value());
  EXPECT_THAT(*review.request.old_object, HasSubstr("\"suspend\":false"));
  EXPECT_THAT(*review.request.object, HasSubstr("\"suspend\":true"));
}

TEST(DecodeAdmissionReviewTest, GeneratedNameAtValidatingWebhook) {
  ASSERT_OK_AND_ASSIGN(AdmissionReview review,
                       DecodeAdmissionReview(
                           Fixture("jobset-create-generatename.validate-jobset.request.json")));
  EXPECT_EQ(review.request.name, "js-gen-wwj2z");
}

TEST(DecodeAdmissionReviewTest, RejectsWhatIsNotAnAdmissionReview) {
  struct Case {
    std::string name, body, message;
  } cases[] = {
      {"not json", "{", "malformed JSON"},
      {"too deep", std::string(1000, '['), "nested deeper"},
      {"uid not UTF-8",
       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a\xff\",\"operation\":\"CREATE\"}}",
       "request.uid: invalid UTF-8"},
      {"overlong UTF-8 in name",
       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"name\":\"\xc0\xaf\",\"operation\":\"CREATE\"}}",
       "request.name: invalid UTF-8"},
      {"NUL byte", std::string("{\"a\":1}\0{", 9), "NUL"},
      {"array", "[]", "AdmissionReview"},
      {"no apiVersion", R"({"kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE"}})",
       "apiVersion"},
      {"wrong kind",
       R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u","operation":"CREATE"}})",
       "kind"},
      {"no request", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", "request"},
      {"no uid",
       R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}})",
       "uid"},
      {"bad operation",
       R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"PATCH"}})",
       "operation"},
      {"uid not a string",
       R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7,"operation":"CREATE"}})",
       "request.uid"},
      {"object not an object",
       R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":"x"}})",
       "request.object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = DecodeAdmissionReview(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
  }
}

TEST(DecodePodAdmissionReviewTest, DecodesThePodFromTheSameParse) {
  ASSERT_OK_AND_ASSIGN(PodAdmissionReview r,
                       DecodePodAdmissionReview(
                           Fixture("pod-create-from-job-controller.mutate-pod.request.json")));
  EXPECT_EQ(r.review.request.uid, "0f3387bc-e650-4e2b-9c75-56c0a13b2f95");
  EXPECT_FALSE(r.review.request.object.has_value());
  ASSERT_TRUE(r.pod.has_value());
  ASSERT_TRUE(r.pod->ok()) << r.pod->status();
  EXPECT_EQ((*r.pod)->metadata.generate_name, "js-named-workers-0-0-");
  EXPECT_EQ((*r.pod)->priority, 0);

  // Not a pod: the object stays text, no pod.
  ASSERT_OK_AND_ASSIGN(PodAdmissionReview js,
                       DecodePodAdmissionReview(
                           Fixture("jobset-create-named.mutate-jobset.request.json")));
  EXPECT_FALSE(js.pod.has_value());
  EXPECT_TRUE(js.review.request.object.has_value());

  // A pod with a wrongly typed field: the review is fine, the pod carries the error.
  ASSERT_OK_AND_ASSIGN(
      PodAdmissionReview bad,
      DecodePodAdmissionReview(
          R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
          R"("kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE",)"
          R"("object":{"spec":{"priority":"high"}}}})"));
  ASSERT_TRUE(bad.pod.has_value());
  EXPECT_THAT(bad.pod->status(), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad.pod->status().message()), HasSubstr("spec.priority"));
}

TEST(EncodeAdmissionReviewTest, AllowedEchoesEnvelopeAndUid) {
  AdmissionResponse r;
  r.uid = "705ab4f5";
  EXPECT_EQ(EncodeAdmissionReview("admission.k8s.io/v1", r),
            R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)"
            R"("response":{"uid":"705ab4f5","allowed":true}})");
}

TEST(EncodeAdmissionReviewTest, PatchComesWithPatchTypeAndRoundTrips) {
  AdmissionResponse r;
  r.uid = "u1";
  r.patch = R"([{"op":"add","path":"/spec/schedulingGates","value":[{"name":"example.com/gang"}]}])";
  r.warnings = {"w1"};
  r.audit_annotations = {{"k", "v"}};
  std::string body = EncodeAdmissionReview("admission.k8s.io/v1", r);
  EXPECT_THAT(body, HasSubstr("\"patchType\":\"JSONPatch\""));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("\"patch\":\"", Base64Encode(*r.patch), "\"")));
  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview back, DecodeAdmissionResponseReview(body));
  EXPECT_EQ(back.api_version, "admission.k8s.io/v1");
  EXPECT_EQ(back.kind, "AdmissionReview");
  EXPECT_EQ(back.response.uid, "u1");
  EXPECT_TRUE(back.response.allowed);
  EXPECT_EQ(back.response.patch, r.patch);
  EXPECT_EQ(back.patch_type, "JSONPatch");
  EXPECT_EQ(back.response.warnings, r.warnings);
  EXPECT_EQ(back.response.audit_annotations, r.audit_annotations);
}

TEST(EncodeAdmissionReviewTest, DeniedCarriesStatusWithCauses) {
  AdmissionResponse r;
  r.uid = "u2";
  r.allowed = false;
  Status s;
  s.status = "Failure";
  s.code = 422;
  s.reason = "Invalid";
  s.message = "JobSet.jobset.x-k8s.io \"x\" is invalid: spec.a: Invalid value: 1: bad";
  s.details = StatusDetails{"x", "jobset.x-k8s.io", "JobSet",
                            {{"FieldValueInvalid", "Invalid value: 1: bad", "spec.a"}}};
  r.status = s;
  std::string body = EncodeAdmissionReview("admission.k8s.io/v1", r);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("patch")));
  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview back, DecodeAdmissionResponseReview(body));
  EXPECT_FALSE(back.response.allowed);
  ASSERT_TRUE(back.response.status.has_value());
  EXPECT_EQ(back.response.status->code, 422);
  EXPECT_EQ(back.response.status->reason, "Invalid");
  EXPECT_EQ(back.response.status->status, "Failure");
  EXPECT_EQ(back.response.status->message, s.message);
  ASSERT_TRUE(back.response.status->details.has_value());
  EXPECT_EQ(back.response.status->details->kind, "JobSet");
  ASSERT_EQ(back.response.status->details->causes.size(), 1u);
  EXPECT_EQ(back.response.status->details->causes[0].field, "spec.a");
}

TEST(EncodeAdmissionReviewTest, InvalidUtf8InMessagesIsReplaced) {
  AdmissionResponse r;
  r.uid = "u";
  r.allowed = false;
  r.status = Status{"Failure", "bad byte \xff here, cut \xe2\x82", "BadRequest", 400, std::nullopt};
  r.warnings = {"w\xc0\xaf"};
  std::string body = EncodeAdmissionReview("admission.k8s.io/v1", r);
  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview back, DecodeAdmissionResponseReview(body));
  EXPECT_EQ(back.response.status->message, "bad byte \xef\xbf\xbd here, cut \xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(back.response.warnings[0], "w\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(DecodeAdmissionResponseReviewTest, ReadsRealWebhookAnswers) {
  // What a webhook answered during the capture: a mutating patch, and a 422 denial.
  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview m,
                       DecodeAdmissionResponseReview(
                           Fixture("pod-create-from-job-controller.mutate-pod.response.json")));
  EXPECT_EQ(m.response.uid, "0f3387bc-e650-4e2b-9c75-56c0a13b2f95");
  EXPECT_EQ(m.patch_type, "JSONPatch");
  ASSERT_TRUE(m.response.patch.has_value());
  EXPECT_THAT(*m.response.patch, HasSubstr("/metadata/labels/webhook.example.com~1seen"));

  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview d,
                       DecodeAdmissionResponseReview(
                           Fixture("case-deny422.webhook-bad_deny422.response.json")));
  EXPECT_FALSE(d.response.allowed);
  ASSERT_TRUE(d.response.status.has_value());
  EXPECT_EQ(d.response.status->code, 422);

  // The stub's broken answers are recognisably broken.
  EXPECT_FALSE(DecodeAdmissionResponseReview(
                   Fixture("case-noapivk.webhook-bad_noapivk.response.json"))
                   .ok());
  EXPECT_FALSE(DecodeAdmissionResponseReview(
                   Fixture("case-badbase64.webhook-bad_badbase64.response.json"))
                   .ok());
  ASSERT_OK_AND_ASSIGN(AdmissionResponseReview np,
                       DecodeAdmissionResponseReview(
                           Fixture("case-nopatchtype.webhook-bad_nopatchtype.response.json")));
  EXPECT_TRUE(np.response.patch.has_value());
  EXPECT_FALSE(np.patch_type.has_value());
}

}  // namespace
}  // namespace phalanx::api
