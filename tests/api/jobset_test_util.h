// tests/api/jobset_test_util.h
//
// Test helpers: a JobSet from YAML text, and the defaulted form a cluster would store.
#pragma once

#include <string>

#include "api/defaulting.h"
#include "api/document.h"
#include "api/jobset.h"
#include "api/jobset_codec.h"
#include "gtest/gtest.h"

namespace phalanx::api::testing {

inline JobSet FromYaml(const std::string& yaml) {
  auto json = ParseSingleDocument(yaml);
  EXPECT_TRUE(json.ok()) << json.status();
  if (!json.ok()) return JobSet{};
  auto js = DecodeJobSet(*json);
  EXPECT_TRUE(js.ok()) << js.status();
  return js.ok() ? *js : JobSet{};
}

// Schema defaults + webhook defaults, as stored after a CREATE.
inline JobSet Stored(const std::string& yaml) {
  JobSet js = FromYaml(yaml);
  ApplySchemaDefaults(js);
  DefaultJobSet(js);
  return js;
}

// A small valid JobSet: name `js`, one replicated job `rjob` with `replicas` Indexed Jobs of
// `completions` pods.
inline std::string MinimalYaml(const std::string& name = "js", int replicas = 1,
                               int completions = 1) {
  return "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata:\n  name: " + name +
         "\n  namespace: default\nspec:\n  replicatedJobs:\n  - name: rjob\n    replicas: " +
         std::to_string(replicas) +
         "\n    template:\n      spec:\n        completionMode: Indexed\n        completions: " +
         std::to_string(completions) + "\n        parallelism: " + std::to_string(completions) +
         "\n        template:\n          spec:\n            containers:\n            - name: c\n"
         "              image: busybox\n";
}

}  // namespace phalanx::api::testing
