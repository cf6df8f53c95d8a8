#include "api/validation.h"

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/jobset_test_util.h"

namespace phalanx::api {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::MinimalYaml;
using testing::Stored;

std::vector<std::string> Strings(const std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.ToString());
  return out;
}

ReplicatedJob& RJob(JobSet& js, size_t i) { return (*js.spec.replicated_jobs)[i]; }

ReplicatedJob SecondRJob(const std::string& name) {
  JobSet other = Stored(MinimalYaml());
  ReplicatedJob rj = other.spec.rjobs()[0];
  rj.name = name;
  return rj;
}

constexpr char kDns1035[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

struct Case {
  std::string name;
  std::function<void(JobSet&)> mutate;
  std::vector<std::string> want;  // exact, in order; empty = valid
};

TEST(ValidateCreateTest, Table) {
  const std::vector<Case> cases = {
      {"minimal is valid", [](JobSet&) {}, {}},
      {"no replicated jobs is valid", [](JobSet& js) { js.spec.replicated_jobs->clear(); }, {}},
      {"in-place restart needs its gate",
       [](JobSet& js) { js.spec.failure_policy = FailurePolicy{.restart_strategy = "InPlaceRestart"}; },
       {"spec.failurePolicy.restartStrategy: Invalid value: \"InPlaceRestart\": InPlaceRestart "
        "restart strategy cannot be set when InPlaceRestart feature gate is disabled"}},
      {"dependsOn on the first replicated job",
       [](JobSet& js) { RJob(js, 0).depends_on = std::vector<DependsOn>{{"rjob", "Ready"}}; },
       {"spec.replicatedJobs[0].dependsOn: Forbidden: DependsOn can't be set for the first "
        "ReplicatedJob"}},
      {"dependsOn an earlier job is valid",
       [](JobSet& js) {
         ReplicatedJob b = SecondRJob("b");
         b.depends_on = std::vector<DependsOn>{{"rjob", "Complete"}};
         js.spec.replicated_jobs->push_back(b);
       },
       {}},
      {"dependsOn a later or unknown job",
       [](JobSet& js) {
         ReplicatedJob b = SecondRJob("b");
         b.depends_on = std::vector<DependsOn>{{"c", "Ready"}};
         js.spec.replicated_jobs->push_back(b);
       },
       {"spec.replicatedJobs[1].dependsOn[0].name: Invalid value: \"c\": replicatedJob: b cannot "
        "depend on replicatedJob: c"}},
      {"dependsOn itself passes (upstream quirk)",
       [](JobSet& js) {
         ReplicatedJob b = SecondRJob("b");
         b.depends_on = std::vector<DependsOn>{{"b", "Ready"}};
         js.spec.replicated_jobs->push_back(b);
       },
       {}},
      {"InOrder and dependsOn are exclusive",
       [](JobSet& js) {
         js.spec.startup_policy->startup_policy_order = "InOrder";
         ReplicatedJob b = SecondRJob("b");
         b.depends_on = std::vector<DependsOn>{{"rjob", "Ready"}};
         js.spec.replicated_jobs->push_back(b);
       },
       {"spec: Invalid value: \"object\": StartupPolicy and DependsOn APIs are mutually exclusive"}},
      {"subdomain with a dot is a subdomain but not a DNS-1035 label",
       [](JobSet& js) { js.spec.network->subdomain = "a.b"; },
       {std::string("spec.network.subdomain: Invalid value: \"a.b\": ") + kDns1035}},
      {"subdomain too long",
       [](JobSet& js) { js.spec.network->subdomain = std::string(64, 'a'); },
       {"spec.network.subdomain: Invalid value: \"" + std::string(64, 'a') +
        "\": .spec.network.subdomain is too long, must be less than 63 characters"}},
      {"managedBy must be a domain-prefixed path",
       [](JobSet& js) { js.spec.managed_by = "kueue"; },
       {"spec.managedBy: Invalid value: \"kueue\": must be a domain-prefixed path (such as "
        "\"acme.io/foo\")"}},
      {"managedBy valid", [](JobSet& js) { js.spec.managed_by = "kueue.x-k8s.io/multikueue"; }, {}},
      {"managedBy too long",
       [](JobSet& js) { js.spec.managed_by = "acme.io/" + std::string(60, 'a'); },
       {"spec.managedBy: Too long: may not be more than 63 bytes"}},
      {"replicas times parallelism overflows int32",
       [](JobSet& js) {
         RJob(js, 0).replicas = 2;
         RJob(js, 0).template_.spec.parallelism = 1 << 30;
         RJob(js, 0).template_.spec.completions.reset();
       },
       {"spec.replicatedJobs[0].replicas: Invalid value: 2: the product of replicas and "
        "parallelism must not exceed 2147483647 for replicatedJob 'rjob'"}},
      {"groupName must be a DNS-1035 label",
       [](JobSet& js) { RJob(js, 0).group_name = "Group"; },
       {std::string("spec.replicatedJobs[0].groupName: Invalid value: \"Group\": ") + kDns1035}},
      {"groupName too long",
       [](JobSet& js) { RJob(js, 0).group_name = std::string(64, 'g'); },
       {"spec.replicatedJobs[0].groupName: Invalid value: \"" + std::string(64, 'g') +
        "\": .spec.replicatedJob[].groupName is too long, must be less than 63 characters"}},
      {"uppercase replicated job name",
       [](JobSet& js) { RJob(js, 0).name = "Rjob"; },
       {std::string("spec.replicatedJobs[0].name: Invalid value: \"js-Rjob-0\": ") + kDns1035,
        std::string("spec.replicatedJobs[0].name: Invalid value: \"js-Rjob-0-0-abcde\": ") +
            kDns1035}},
      {"success policy targets must exist",
       [](JobSet& js) { js.spec.success_policy->target_replicated_jobs = std::vector<std::string>{"rjob", "nope"}; },
       {"spec.successPolicy.targetReplicatedJobs[1]: Invalid value: \"nope\": invalid "
        "replicatedJob name 'nope' does not appear in .spec.ReplicatedJobs"}},
      {"unsupported success operator",
       [](JobSet& js) { js.spec.success_policy->operator_ = "Some"; },
       {"spec.successPolicy.operator: Unsupported value: \"Some\": supported values: \"All\", "
        "\"Any\""}},
      {"negative replicas",
       [](JobSet& js) { RJob(js, 0).replicas = -1; },
       {"spec.replicatedJobs[0].replicas: Invalid value: -1: spec.replicatedJobs[0].replicas in "
        "body should be greater than or equal to 0"}},
      {"RestartJob actions need their gate, and hide other rule errors",
       [](JobSet& js) {
         js.spec.failure_policy = FailurePolicy{
             .rules = std::vector<FailurePolicyRule>{{.name = "1bad", .action = "FailJobSet"},
                                                     {.name = "r", .action = "RestartJob"}}};
       },
       {"spec.failurePolicy.rules[1].action: Invalid value: \"RestartJob\": RestartJob and "
        "RestartJobAndIgnoreMaxRestarts failure policy actions are not allowed when RestartJob "
        "feature gate is disabled"}},
      {"rule name pattern",
       [](JobSet& js) {
         js.spec.failure_policy = FailurePolicy{
             .rules = std::vector<FailurePolicyRule>{{.name = "1bad", .action = "FailJobSet"}}};
       },
       {"spec.failurePolicy.rules[0].name: Invalid value: \"1bad\": invalid failure policy rule "
        "name '1bad', a failure policy rule name must start with an alphabetic character, "
        "optionally followed by a string of alphanumeric characters or '_,:', and must end with an "
        "alphanumeric character or '_'"}},
      {"rule name length",
       [](JobSet& js) {
         js.spec.failure_policy = FailurePolicy{.rules = std::vector<FailurePolicyRule>{
                                                    {.name = std::string(129, 'a'), .action = "FailJobSet"}}};
       },
       {"spec.failurePolicy.rules[0].name: Invalid value: \"" + std::string(129, 'a') +
        "\": invalid failure policy rule name of length 129, the rule name must be at least 1 "
        "characters long and at most 128 characters long"}},
      {"rule targets and reasons must be known",
       [](JobSet& js) {
         js.spec.failure_policy = FailurePolicy{.rules = std::vector<FailurePolicyRule>{
                                                    {.name = "r",
                                                     .action = "FailJobSet",
                                                     .on_job_failure_reasons = std::vector<std::string>{"PodFailurePolicy", "OOMKilled"},
                                                     .target_replicated_jobs = std::vector<std::string>{"ghost"}}}};
       },
       {"spec.failurePolicy.rules[0].targetReplicatedJobs[0]: Invalid value: \"ghost\": invalid "
        "replicatedJob name 'ghost' in failure policy does not appear in .spec.ReplicatedJobs",
        "spec.failurePolicy.rules[0].onJobFailureReasons[1]: Invalid value: \"OOMKilled\": invalid "
        "job failure reason 'OOMKilled' in failure policy is not a recognized job failure reason"}},
      {"rule names unique",
       [](JobSet& js) {
         js.spec.failure_policy = FailurePolicy{
             .rules = std::vector<FailurePolicyRule>{{.name = "x", .action = "FailJobSet"},
                                                     {.name = "y", .action = "FailJobSet"},
                                                     {.name = "x", .action = "RestartJobSet"}}};
       },
       {"spec.failurePolicy.rules[2].name: Invalid value: \"x\": rule names are not unique, rules "
        "with indices [0 2] all have the same name 'x'"}},
      {"coordinator names an unknown replicated job",
       [](JobSet& js) { js.spec.coordinator = Coordinator{.replicated_job = "ghost"}; },
       {"spec.coordinator.replicatedJob: Invalid value: \"ghost\": coordinator replicatedJob ghost "
        "does not exist"}},
      {"coordinator job index out of range",
       [](JobSet& js) { js.spec.coordinator = Coordinator{.replicated_job = "rjob", .job_index = 1}; },
       {"spec.coordinator.jobIndex: Invalid value: 1: coordinator job index 1 is invalid for "
        "replicatedJob rjob"}},
      {"coordinator needs Indexed with completions",
       [](JobSet& js) {
         RJob(js, 0).template_.spec.completions.reset();
         js.spec.coordinator = Coordinator{.replicated_job = "rjob"};
       },
       {"spec.coordinator.replicatedJob: Invalid value: \"rjob\": job for coordinator pod must be "
        "indexed completion mode, and completions number must be set"}},
      {"coordinator pod index out of range",
       [](JobSet& js) { js.spec.coordinator = Coordinator{.replicated_job = "rjob", .pod_index = 1}; },
       {"spec.coordinator.podIndex: Invalid value: 1: coordinator pod index 1 is invalid for "
        "replicatedJob rjob job index 0"}},
      {"coordinator valid", [](JobSet& js) { js.spec.coordinator = Coordinator{.replicated_job = "rjob"}; }, {}},
      {"volume claim template must be mounted",
       [](JobSet& js) {
         VolumeClaimPolicy v;
         auto t = RawJson::Parse(R"({"metadata":{"name":"data"}})");
         v.templates = std::vector<RawJson>{*t};
         v.retention_when_deleted = "Delete";
         js.spec.volume_claim_policies = std::vector<VolumeClaimPolicy>{v};
       },
       {"spec.volumeClaimPolicies[0].templates[0].metadata.name: Invalid value: \"data\": "
        "replicatedJob containers don't have a matching volumeMount: data from "
        "VolumeClaimPolicies"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    JobSet js = Stored(MinimalYaml());
    c.mutate(js);
    EXPECT_THAT(Strings(ValidateCreate(js)), ElementsAreArray(c.want));
  }
}

TEST(ValidateCreateTest, GathersAllErrors) {
  JobSet js = Stored(MinimalYaml());
  js.spec.managed_by = "kueue";
  RJob(js, 0).group_name = "G";
  js.spec.coordinator = Coordinator{.replicated_job = "ghost"};
  EXPECT_EQ(ValidateCreate(js).size(), 3u);
}

// Name-length examples from upstream's tests (reference §1.14).
TEST(ValidateCreateTest, NameLengthArithmetic) {
  {
    SCOPED_TRACE("62-char name, rjob rj, 101 replicas: job name is 69 characters");
    JobSet js = Stored(MinimalYaml(std::string(62, 'a'), 101));
    RJob(js, 0).name = "rj";
    RJob(js, 0).template_.spec.completions.reset();
    EXPECT_THAT(Strings(ValidateCreate(js)),
                ElementsAre(HasSubstr("JobSet name is too long, job names generated for this "
                                      "JobSet will exceed 63 characters")));
  }
  {
    SCOPED_TRACE("56-char name, rjob rj, completions 1: pod name is 69 characters");
    JobSet js = Stored(MinimalYaml(std::string(56, 'a'), 1, 1));
    RJob(js, 0).name = "rj";
    EXPECT_THAT(Strings(ValidateCreate(js)),
                ElementsAre(HasSubstr("JobSet name is too long, pod names generated for this "
                                      "JobSet will exceed 63 characters")));
  }
  {
    SCOPED_TRACE("generateName of 50 characters + 5: '-worker-0' makes 64");
    JobSet js = Stored(MinimalYaml("x"));
    js.metadata.name.reset();
    js.metadata.generate_name = std::string(49, 'a') + "-";
    RJob(js, 0).name = "worker";
    RJob(js, 0).template_.spec.completions.reset();
    EXPECT_THAT(Strings(ValidateCreate(js)),
                ElementsAre(HasSubstr("job names generated for this JobSet will exceed 63")));
  }
  {
    SCOPED_TRACE("exactly 63 characters is fine");
    // len(js) + len(rjob) + len("0") + 2 = 63 → js of 58 chars with rjob "rj".
    JobSet js = Stored(MinimalYaml(std::string(58, 'a')));
    RJob(js, 0).name = "rj";
    RJob(js, 0).template_.spec.completions.reset();
    EXPECT_THAT(ValidateCreate(js), ::testing::IsEmpty());
  }
  {
    SCOPED_TRACE("60-char name with a coordinator: label value far over 63");
    JobSet js = Stored(MinimalYaml(std::string(60, 'a'), 1, 1));
    RJob(js, 0).name = "r";
    js.spec.coordinator = Coordinator{.replicated_job = "r"};
    auto errs = Strings(ValidateCreate(js));
    ASSERT_FALSE(errs.empty());
    EXPECT_THAT(errs.back(), HasSubstr("for coordinator label \"jobset.sigs.k8s.io/coordinator\" "
                                       "(long JobSet / ReplicatedJob / SubDomain name?): must be no "
                                       "more than 63 characters"));
  }
}

TEST(ValidateUpdateTest, Table) {
  const std::vector<Case> cases = {
      {"no change", [](JobSet&) {}, {}},
      {"suspend, ttl, labels and coordinator may change",
       [](JobSet& js) {
         js.spec.suspend = true;
         js.spec.ttl_seconds_after_finished = 5;
         js.metadata.labels = StringMap{{"a", "b"}};
         js.spec.coordinator = Coordinator{.replicated_job = "ghost"};  // not re-validated
       },
       {}},
      {"replicas are immutable",
       [](JobSet& js) { RJob(js, 0).replicas = 3; },
       {"spec.replicatedJobs: Invalid value: \"array\": field is immutable"}},
      {"pod template nodeSelector is immutable while running",
       [](JobSet& js) {
         RJob(js, 0).template_.spec.template_.spec.node_selector = StringMap{{"k", "v"}};
       },
       {"spec.replicatedJobs: Invalid value: \"array\": field is immutable"}},
      {"scheduling directives may change while becoming suspended",
       [](JobSet& js) {
         js.spec.suspend = true;
         PodTemplateSpec& t = RJob(js, 0).template_.spec.template_;
         t.spec.node_selector = StringMap{{"cloud.google.com/gke-nodepool", "a"}};
         t.metadata.labels = StringMap{{"kueue.x-k8s.io/podset", "rjob"}};
         t.metadata.annotations = StringMap{{"kueue.x-k8s.io/workload", "w"}};
         t.spec.tolerations = std::vector<RawJson>{*RawJson::Parse(R"({"key":"k","operator":"Exists"})")};
         t.spec.scheduling_gates = std::vector<RawJson>{*RawJson::Parse(R"({"name":"kueue.x-k8s.io/topology"})")};
       },
       {}},
      {"resources stay immutable even while suspended",
       [](JobSet& js) {
         js.spec.suspend = true;
         RJob(js, 0).template_.spec.template_.spec.extra =
             *RawJson::Parse(R"({"containers":[{"name":"c","image":"other"}]})");
       },
       {"spec.replicatedJobs: Invalid value: \"array\": field is immutable"}},
      {"adding a replicated job",
       [](JobSet& js) { js.spec.replicated_jobs->push_back(SecondRJob("b")); },
       {"spec.replicatedJobs: Invalid value: \"array\": field is immutable"}},
      {"managedBy is immutable",
       [](JobSet& js) { js.spec.managed_by = "example.com/other"; },
       {"spec.managedBy: Invalid value: \"example.com/other\": field is immutable"}},
      {"CEL-immutable policies",
       [](JobSet& js) {
         js.spec.success_policy->operator_ = "Any";
         js.spec.network->publish_not_ready_addresses = false;
         js.spec.failure_policy = FailurePolicy{.max_restarts = 2};
       },
       {"spec.network: Invalid value: \"object\": Value is immutable",
        "spec.successPolicy: Invalid value: \"object\": Value is immutable",
        "spec.failurePolicy: Invalid value: \"object\": Value is immutable"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    JobSet old_js = Stored(MinimalYaml());
    JobSet new_js = old_js;
    c.mutate(new_js);
    EXPECT_THAT(Strings(ValidateUpdate(old_js, new_js)), ElementsAreArray(c.want));
  }
}

TEST(FieldErrorTest, CauseReasons) {
  EXPECT_EQ((FieldError{FieldError::Type::kInvalid, "f", "1", "d"}).CauseReason(), "FieldValueInvalid");
  EXPECT_EQ((FieldError{FieldError::Type::kRequired, "f", "", ""}).ToString(), "f: Required value");
  EXPECT_EQ((FieldError{FieldError::Type::kNotSupported, "f", "\"x\"", "supported values: \"a\""}).CauseReason(),
            "FieldValueNotSupported");
}

TEST(UnknownFieldsTest, NamesFieldsTheApiDoesNotDeclare) {
  EXPECT_THAT(UnknownFields(Stored(MinimalYaml())), ::testing::IsEmpty());
  std::string yaml = MinimalYaml();
  yaml.replace(yaml.find("spec:\n"), 6, "spec:\n  sucessPolicy: {operator: All}\n  network: {enableDNSHostname: true}\n");
  yaml.replace(yaml.find("    replicas:"), 4, "    parallelism: 2\n    ");
  yaml += "bogus: 1\n";
  EXPECT_THAT(UnknownFields(Stored(yaml)),
              ::testing::UnorderedElementsAre("bogus", "spec.sucessPolicy", "spec.network.enableDNSHostname",
                                              "spec.replicatedJobs[0].parallelism"));
  // Declared fields that are null or empty are not unknown.
  std::string nulls = MinimalYaml();
  nulls.replace(nulls.find("spec:\n"), 6, "spec:\n  suspend: null\n  network: {}\n");
  EXPECT_THAT(UnknownFields(Stored(nulls)), ::testing::IsEmpty());
}

}  // namespace
}  // namespace phalanx::api
