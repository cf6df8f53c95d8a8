// JobSet defaulting and validation through the HTTP handler path: AdmissionReview bodies in, answers
// out, as the API server would exchange them. Real captured reviews first, then one case per rule.
#include "webhook/jobset_admission.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/admission.h"
#include "api/jobset.h"
#include "api/jobset_codec.h"
#include "api/json_patch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "webhook/handler.h"

namespace phalanx::webhook {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return phalanx::testing::ReadFileOrDie(phalanx::testing::FixturesDir() + "/admission/" + name);
}

api::AdmissionResponseReview Call(std::string_view path, const std::string& body) {
  HttpReply reply = HandleAdmission(path, "application/json", body);
  EXPECT_EQ(reply.status, 200) << reply.body;
  auto decoded = api::DecodeAdmissionResponseReview(reply.body);
  EXPECT_TRUE(decoded.ok()) << decoded.status() << "\n" << reply.body;
  if (!decoded.ok()) return {};
  auto request = api::DecodeAdmissionReview(body);
  EXPECT_TRUE(request.ok());
  if (request.ok()) {
    EXPECT_EQ(decoded->response.uid, request->request.uid);
  }
  EXPECT_EQ(decoded->response.patch.has_value(), decoded->patch_type.has_value());
  if (path == kValidateJobSetPath) {
    EXPECT_FALSE(decoded->response.patch.has_value());
  }
  return *decoded;
}

std::string Review(absl::string_view operation, const std::string& object,
                   const std::optional<std::string>& old_object = std::nullopt,
                   absl::string_view sub_resource = "") {
  return absl::StrCat(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-1",)",
      R"("kind":{"group":"jobset.x-k8s.io","version":"v1alpha2","kind":"JobSet"},)",
      R"("resource":{"group":"jobset.x-k8s.io","version":"v1alpha2","resource":"jobsets"},)",
      sub_resource.empty() ? "" : absl::StrCat(R"("subResource":")", sub_resource, R"(",)"),
      R"("name":"js","namespace":"default","operation":")", operation, R"(","object":)", object,
      R"(,"oldObject":)", old_object.value_or("null"), R"(,"dryRun":false}})");
}

// A JobSet with one replicated job; `spec_extra` and `rjob_extra` are spliced in as JSON members.
std::string JobSetJson(absl::string_view name = "js", absl::string_view spec_extra = "",
                       absl::string_view rjob_extra = "", int replicas = 2,
                       absl::string_view rjob_name = "workers", absl::string_view job_extra = "",
                       absl::string_view pod_extra = "") {
  return absl::StrCat(
      R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","metadata":{"name":")", name,
      R"(","namespace":"default"},"spec":{)", spec_extra, spec_extra.empty() ? "" : ",",
      R"("replicatedJobs":[{"name":")", rjob_name, R"(","replicas":)", replicas,
      rjob_extra.empty() ? "" : ",", rjob_extra,
      R"(,"template":{"spec":{"parallelism":2,"completions":2,)", job_extra,
      job_extra.empty() ? "" : ",", R"("template":{"spec":{)", pod_extra,
      pod_extra.empty() ? "" : ",", R"("containers":[{"name":"c","image":"i"}]}}}}}]}})");
}

// Mutates `object` through the handler, applies the patch, and decodes the result.
api::JobSet Defaulted(const std::string& object) {
  api::AdmissionResponseReview r = Call(kMutateJobSetPath, Review("CREATE", object));
  EXPECT_TRUE(r.response.allowed);
  std::string patched = object;
  if (r.response.patch) {
    auto applied = api::ApplyJsonPatch(object, *r.response.patch);
    EXPECT_TRUE(applied.ok()) << applied.status() << " patch " << *r.response.patch;
    if (applied.ok()) patched = *applied;
  }
  // Defaulting is idempotent: the defaulted object needs no further patch.
  api::AdmissionResponseReview again = Call(kMutateJobSetPath, Review("CREATE", patched));
  EXPECT_FALSE(again.response.patch.has_value()) << *again.response.patch;
  auto js = api::DecodeJobSet(patched);
  EXPECT_TRUE(js.ok()) << js.status();
  return js.ok() ? *js : api::JobSet{};
}

// --- Real captured reviews -----------------------------------------------------------------------

TEST(JobSetFixtureTest, MutateCreateNamedAddsUpstreamDefaults) {
  const std::string body = Fixture("jobset-create-named.mutate-jobset.request.json");
  api::AdmissionResponseReview r = Call(kMutateJobSetPath, body);
  EXPECT_TRUE(r.response.allowed);
  ASSERT_TRUE(r.response.patch.has_value());
  auto review = api::DecodeAdmissionReview(body);
  ASSERT_TRUE(review.ok());
  ASSERT_OK_AND_ASSIGN(std::string patched,
                       api::ApplyJsonPatch(*review->request.object, *r.response.patch));
  ASSERT_OK_AND_ASSIGN(api::JobSet js, api::DecodeJobSet(patched));
  ASSERT_TRUE(js.spec.startup_policy.has_value());
  EXPECT_EQ(js.spec.startup_policy->startup_policy_order, "AnyOrder");
  ASSERT_TRUE(js.spec.network.has_value());
  EXPECT_EQ(js.spec.network->publish_not_ready_addresses, true);
  EXPECT_EQ(js.spec.network->enable_dns_hostnames, true);
  // Only add/replace: nothing the user wrote is removed.
  EXPECT_THAT(*r.response.patch, ::testing::Not(HasSubstr("\"remove\"")));
}

TEST(JobSetFixtureTest, MutateGenerateNameAndDryRunLikeNamed) {
  // The mutating webhook sees no name with generateName; dryRun changes nothing in the answer.
  for (const char* name : {"jobset-create-generatename.mutate-jobset.request.json",
                           "jobset-create-dryrun.mutate-jobset.request.json",
                           "jobset-create-with-webhook-warning.mutate-jobset.request.json"}) {
    SCOPED_TRACE(name);
    api::AdmissionResponseReview r = Call(kMutateJobSetPath, Fixture(name));
    EXPECT_TRUE(r.response.allowed);
    EXPECT_TRUE(r.response.patch.has_value());
  }
}

TEST(JobSetFixtureTest, MutateUpdateChangesNothing) {
  for (const char* name : {"jobset-update-spec.mutate-jobset.request.json",
                           "jobset-update-suspend-true.mutate-jobset.request.json"}) {
    SCOPED_TRACE(name);
    api::AdmissionResponseReview r = Call(kMutateJobSetPath, Fixture(name));
    EXPECT_TRUE(r.response.allowed);
    EXPECT_FALSE(r.response.patch.has_value());
  }
}

TEST(JobSetFixtureTest, ValidateCreatesAllowed) {
  for (const char* name : {"jobset-create-named.validate-jobset.request.json",
                           "jobset-create-generatename.validate-jobset.request.json",
                           "jobset-create-dryrun.validate-jobset.request.json",
                           "jobset-create-with-webhook-warning.validate-jobset.request.json"}) {
    SCOPED_TRACE(name);
    api::AdmissionResponseReview r = Call(kValidateJobSetPath, Fixture(name));
    EXPECT_TRUE(r.response.allowed) << (r.response.status ? r.response.status->message : "");
  }
}

TEST(JobSetFixtureTest, ValidateSuspendUpdateAllowedImageUpdateDenied) {
  api::AdmissionResponseReview suspend =
      Call(kValidateJobSetPath, Fixture("jobset-update-suspend-true.validate-jobset.request.json"));
  EXPECT_TRUE(suspend.response.allowed);

  // Changing the container image of a running JobSet: replicatedJobs are immutable.
  api::AdmissionResponseReview image =
      Call(kValidateJobSetPath, Fixture("jobset-update-spec.validate-jobset.request.json"));
  EXPECT_FALSE(image.response.allowed);
  ASSERT_TRUE(image.response.status.has_value());
  EXPECT_EQ(image.response.status->code, 422);
  EXPECT_EQ(image.response.status->reason, "Invalid");
  EXPECT_THAT(image.response.status->message,
              HasSubstr("JobSet.jobset.x-k8s.io \"js-named\" is invalid: spec.replicatedJobs"));
  EXPECT_THAT(image.response.status->message, HasSubstr("field is immutable"));
}

TEST(JobSetFixtureTest, StatusSubresourceUpdateAllowedWithoutSpecChecks) {
  api::AdmissionResponseReview r = Call(
      kValidateJobSetPath, Fixture("jobset-status-update.validate-jobset-status.request.json"));
  EXPECT_TRUE(r.response.allowed);
  // Even a spec that would fail update validation passes on the status subresource.
  std::string body = Review("UPDATE", JobSetJson("js", "", "", 3), JobSetJson("js", "", "", 2),
                            "status");
  EXPECT_TRUE(Call(kValidateJobSetPath, body).response.allowed);
  EXPECT_FALSE(Call(kValidateJobSetPath, Review("UPDATE", JobSetJson("js", "", "", 3),
                                                JobSetJson("js", "", "", 2)))
                   .response.allowed);
}

TEST(JobSetFixtureTest, ErrorCaseRequestsAreOrdinaryJobSets) {
  for (const char* name : {"case-deny422.webhook-bad_deny422.request.json",
                           "case-noapivk.webhook-bad_noapivk.request.json",
                           "case-wronguid.webhook-bad_wronguid.request.json",
                           "case-timeout-fail.webhook-bad_sleep-fail.request.json"}) {
    SCOPED_TRACE(name);
    api::AdmissionResponseReview r = Call(kValidateJobSetPath, Fixture(name));
    EXPECT_TRUE(r.response.allowed) << (r.response.status ? r.response.status->message : "");
  }
}

// --- Defaulting, one rule per case (reference §1.12) -------------------------------------------

TEST(JobSetDefaultingTest, EveryRule) {
  api::JobSet js = Defaulted(JobSetJson(
      "js", R"("failurePolicy":{"maxRestarts":2,"rules":[{"action":"FailJobSet"},{"name":"keep","action":"RestartJobSet"}]})"));
  ASSERT_TRUE(js.spec.success_policy.has_value());
  EXPECT_EQ(js.spec.success_policy->operator_, "All");                 // 1
  ASSERT_TRUE(js.spec.startup_policy.has_value());
  EXPECT_EQ(js.spec.startup_policy->startup_policy_order, "AnyOrder");  // 2
  ASSERT_TRUE(js.spec.replicated_jobs.has_value());
  const auto& rj = (*js.spec.replicated_jobs)[0];
  EXPECT_EQ(rj.template_.spec.completion_mode, "Indexed");                // 3
  EXPECT_EQ(rj.template_.spec.template_.spec.restart_policy, "OnFailure");
  ASSERT_TRUE(js.spec.network.has_value());
  EXPECT_EQ(js.spec.network->enable_dns_hostnames, true);                 // 4
  EXPECT_EQ(js.spec.network->publish_not_ready_addresses, true);
  ASSERT_TRUE(js.spec.failure_policy && js.spec.failure_policy->rules);
  EXPECT_EQ((*js.spec.failure_policy->rules)[0].name, "failurePolicyRule0");  // 5
  EXPECT_EQ((*js.spec.failure_policy->rules)[1].name, "keep");
}

TEST(JobSetDefaultingTest, KeepsUserValues) {
  api::JobSet js = Defaulted(JobSetJson(
      "js",
      R"("successPolicy":{"operator":"Any"},"startupPolicy":{"startupPolicyOrder":"InOrder"},)"
      R"("network":{"enableDNSHostnames":false,"publishNotReadyAddresses":false})",
      "", 2, "workers", R"("completionMode":"NonIndexed")", R"("restartPolicy":"Never")"));
  EXPECT_EQ(js.spec.success_policy->operator_, "Any");
  EXPECT_EQ(js.spec.startup_policy->startup_policy_order, "InOrder");
  EXPECT_EQ(js.spec.network->enable_dns_hostnames, false);
  EXPECT_EQ(js.spec.network->publish_not_ready_addresses, false);
  const auto& rj = (*js.spec.replicated_jobs)[0];
  EXPECT_EQ(rj.template_.spec.completion_mode, "NonIndexed");
  EXPECT_EQ(rj.template_.spec.template_.spec.restart_policy, "Never");
}

TEST(JobSetDefaultingTest, VolumeClaimPolicyRetention) {
  api::JobSet js = Defaulted(JobSetJson(
      "js",
      R"("volumeClaimPolicies":[{"templates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"]}}]}])"));
  ASSERT_TRUE(js.spec.volume_claim_policies.has_value());
  EXPECT_EQ((*js.spec.volume_claim_policies)[0].retention_when_deleted, "Delete");  // 6
}

TEST(JobSetDefaultingTest, NotAJobSetIsDeniedWith400) {
  api::AdmissionResponseReview r =
      Call(kMutateJobSetPath, Review("CREATE", R"({"apiVersion":"v1","kind":"Pod"})"));
  EXPECT_FALSE(r.response.allowed);
  ASSERT_TRUE(r.response.status.has_value());
  EXPECT_EQ(r.response.status->code, 400);
}

// --- Validation, through the HTTP path (reference §1.13–§1.14) -----------------------------------

struct Denial {
  std::string name;
  std::string object;
  std::string message;  // a substring of the status message
};

TEST(JobSetValidationTest, CreateRules) {
  const std::string a62(62, 'a'), a56(56, 'a');
  Denial cases[] = {
      {"dependsOn on the first replicated job",
       JobSetJson("js", "", R"("dependsOn":[{"name":"x","status":"Ready"}])"),
       "DependsOn can't be set for the first ReplicatedJob"},
      {"replicas x parallelism overflows", JobSetJson("js", "", "", 2147483647),
       "the product of replicas and parallelism must not exceed 2147483647 for replicatedJob 'workers'"},
      {"job names too long", JobSetJson(a62, "", "", 101, "rj"),
       "JobSet name is too long, job names generated for this JobSet will exceed 63 characters"},
      {"pod names too long",
       JobSetJson(a56, "", "", 1, "rj", R"("completionMode":"Indexed")"),
       "JobSet name is too long, pod names generated for this JobSet will exceed 63 characters"},
      {"success policy target missing",
       JobSetJson("js", R"("successPolicy":{"operator":"All","targetReplicatedJobs":["nope"]})"),
       "invalid replicatedJob name 'nope' does not appear in .spec.ReplicatedJobs"},
      {"failure policy rule name", 
       JobSetJson("js", R"("failurePolicy":{"rules":[{"name":"1bad","action":"FailJobSet"}]})"),
       "invalid failure policy rule name '1bad'"},
      {"failure policy duplicate names",
       JobSetJson("js",
                  R"("failurePolicy":{"rules":[{"name":"r","action":"FailJobSet"},{"name":"r","action":"FailJobSet"}]})"),
       "rule names are not unique"},
      {"failure policy unknown target",
       JobSetJson("js",
                  R"("failurePolicy":{"rules":[{"name":"r","action":"FailJobSet","targetReplicatedJobs":["x"]}]})"),
       "invalid replicatedJob name 'x' in failure policy does not appear in .spec.ReplicatedJobs"},
      {"failure policy unknown reason",
       JobSetJson("js",
                  R"("failurePolicy":{"rules":[{"name":"r","action":"FailJobSet","onJobFailureReasons":["Nope"]}]})"),
       "invalid job failure reason 'Nope' in failure policy is not a recognized job failure reason"},
      {"coordinator replicated job missing",
       JobSetJson("js", R"("coordinator":{"replicatedJob":"nope"})"),
       "coordinator replicatedJob nope does not exist"},
      {"group name not a DNS label", JobSetJson("js", "", R"("groupName":"Bad.Group")"),
       "groupName"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    api::AdmissionResponseReview r = Call(kValidateJobSetPath, Review("CREATE", c.object));
    EXPECT_FALSE(r.response.allowed);
    ASSERT_TRUE(r.response.status.has_value());
    const api::Status& s = *r.response.status;
    EXPECT_EQ(s.status, "Failure");
    EXPECT_EQ(s.code, 422);
    EXPECT_EQ(s.reason, "Invalid");
    EXPECT_THAT(s.message, HasSubstr("JobSet.jobset.x-k8s.io \""));
    EXPECT_THAT(s.message, HasSubstr("\" is invalid: "));
    EXPECT_THAT(s.message, HasSubstr(c.message));
    ASSERT_TRUE(s.details.has_value());
    EXPECT_EQ(s.details->group, "jobset.x-k8s.io");
    EXPECT_EQ(s.details->kind, "JobSet");
    EXPECT_FALSE(s.details->causes.empty());
    for (const auto& cause : s.details->causes) EXPECT_FALSE(cause.reason.empty());
  }
}

TEST(JobSetValidationTest, SeveralErrorsAreListed) {
  std::string object = JobSetJson(
      "js",
      R"("successPolicy":{"operator":"All","targetReplicatedJobs":["x"]},"coordinator":{"replicatedJob":"y"})");
  api::AdmissionResponseReview r = Call(kValidateJobSetPath, Review("CREATE", object));
  ASSERT_FALSE(r.response.allowed);
  const api::Status& s = *r.response.status;
  EXPECT_THAT(s.message, HasSubstr("is invalid: ["));
  EXPECT_THAT(s.message, HasSubstr(", "));
  EXPECT_EQ(s.message.back(), ']');
  EXPECT_GE(s.details->causes.size(), 2u);
  EXPECT_EQ(s.details->name, "js");
}

TEST(JobSetValidationTest, ValidCreateAllowedWithPlacementWarnings) {
  std::string object = absl::StrCat(
      R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","metadata":{"name":"js",)",
      R"("annotations":{"phalanx.dev/gang-policy":"Everything"}},"spec":{"replicatedJobs":[{"name":"w",)",
      R"("replicas":1,"template":{"metadata":{"annotations":{"alpha.jobset.sigs.k8s.io/exclusive-topology":"rack",)",
      R"("alpha.jobset.sigs.k8s.io/node-selector":"true"}},"spec":{"template":{"spec":{"containers":[]}}}}}]}})");
  api::AdmissionResponseReview r = Call(kValidateJobSetPath, Review("CREATE", object));
  EXPECT_TRUE(r.response.allowed);
  ASSERT_EQ(r.response.warnings.size(), 2u);
  EXPECT_THAT(r.response.warnings[0], HasSubstr("metadata: unknown phalanx.dev/gang-policy"));
  EXPECT_THAT(r.response.warnings[1], HasSubstr("spec.replicatedJobs[0]"));
  EXPECT_TRUE(Call(kValidateJobSetPath, Review("CREATE", JobSetJson())).response.warnings.empty());
}

TEST(JobSetValidationTest, UpdateRules) {
  const std::string base = JobSetJson();
  // Scheduling directives may change only while suspended (old or new).
  const std::string selector = JobSetJson("js", "", "", 2, "workers", "", R"("nodeSelector":{"a":"b"})");
  const std::string suspended_base = JobSetJson("js", R"("suspend":true)");
  const std::string suspended_selector =
      JobSetJson("js", R"("suspend":true)", "", 2, "workers", "", R"("nodeSelector":{"a":"b"})");
  struct Case {
    std::string name, old_object, object;
    bool allowed;
    std::string message;
  } cases[] = {
      {"no change", base, base, true, ""},
      {"replicas change", base, JobSetJson("js", "", "", 3), false, "field is immutable"},
      {"nodeSelector while running", base, selector, false, "field is immutable"},
      {"nodeSelector while suspended", suspended_base, suspended_selector, true, ""},
      {"managedBy change", JobSetJson("js", R"("managedBy":"a.io/x")"),
       JobSetJson("js", R"("managedBy":"b.io/x")"), false, "spec.managedBy"},
      {"suspend flips", base, JobSetJson("js", R"("suspend":true)"), true, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    api::AdmissionResponseReview r =
        Call(kValidateJobSetPath, Review("UPDATE", c.object, c.old_object));
    EXPECT_EQ(r.response.allowed, c.allowed)
        << (r.response.status ? r.response.status->message : "");
    if (!c.allowed && r.response.status) {
      EXPECT_EQ(r.response.status->code, 422);
      EXPECT_THAT(r.response.status->message, HasSubstr(c.message));
    }
  }
}

TEST(JobSetValidationTest, DeleteAllowedAndUndecodableIs400) {
  EXPECT_TRUE(Call(kValidateJobSetPath, Review("DELETE", "null", JobSetJson())).response.allowed);
  api::AdmissionResponseReview r = Call(
      kValidateJobSetPath,
      Review("CREATE", R"({"apiVersion":"jobset.x-k8s.io/v1alpha2","kind":"JobSet","spec":{"suspend":"yes"}})"));
  EXPECT_FALSE(r.response.allowed);
  EXPECT_EQ(r.response.status->code, 400);
  api::AdmissionResponseReview missing = Call(kValidateJobSetPath, Review("UPDATE", JobSetJson()));
  EXPECT_FALSE(missing.response.allowed);
  EXPECT_THAT(missing.response.status->message, HasSubstr("oldObject"));
}

TEST(InvalidJobSetStatusTest, SingleAndManyErrors) {
  api::FieldError e1;
  e1.type = api::FieldError::Type::kInvalid;
  e1.field = "spec.a";
  e1.bad_value = "1";
  e1.detail = "bad";
  api::Status one = InvalidJobSetStatus("js", {e1});
  EXPECT_EQ(one.message, absl::StrCat("JobSet.jobset.x-k8s.io \"js\" is invalid: ", e1.ToString()));
  ASSERT_EQ(one.details->causes.size(), 1u);
  EXPECT_EQ(one.details->causes[0].field, "spec.a");
  EXPECT_EQ(one.details->causes[0].reason, "FieldValueInvalid");
  EXPECT_THAT(one.details->causes[0].message, ::testing::Not(HasSubstr("spec.a:")));

  api::FieldError e2 = e1;
  e2.type = api::FieldError::Type::kRequired;
  e2.field = "spec.b";
  api::Status two = InvalidJobSetStatus("js", {e1, e2});
  EXPECT_EQ(two.message, absl::StrCat("JobSet.jobset.x-k8s.io \"js\" is invalid: [", e1.ToString(),
                                      ", ", e2.ToString(), "]"));
  EXPECT_EQ(two.details->causes[1].reason, "FieldValueRequired");

  // Identical errors appear once in the message, every time in the causes.
  api::Status dup = InvalidJobSetStatus("js", {e1, e1});
  EXPECT_EQ(dup.message, one.message);
  EXPECT_EQ(dup.details->causes.size(), 2u);
}

}  // namespace
}  // namespace phalanx::webhook
