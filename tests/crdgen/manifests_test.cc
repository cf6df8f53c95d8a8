// manifests/: every kustomization builds (as far as this offline model of kustomize goes: resources,
// components, generators; there is no kubectl here), every object parses and is complete, names,
// namespaces, ServiceAccounts, Secrets and ConfigMaps line up, the webhook configurations match the
// webhook's routes and kube::PhalanxWebhooks, the extender's address matches its flags and the
// scheduler configuration, container flags exist in the binaries, and RBAC grants exactly the API
// calls each binary's code makes (derived from the source, not listed by hand).
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "api/document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/remote_admission.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "webhook/handler.h"

namespace phalanx::crdgen_test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::testing::IsEmpty;

const char* const kNs = "phalanx-system";

std::string Src(const std::string& rel) { return testing::SourceDir() + "/" + rel; }

std::vector<Json> LoadDocs(const std::string& path) {
  absl::StatusOr<std::vector<std::string>> docs = api::ParseDocuments(testing::ReadFileOrDie(path));
  EXPECT_TRUE(docs.ok()) << path << ": " << docs.status();
  std::vector<Json> out;
  if (docs.ok()) for (const std::string& d : *docs) out.push_back(Json::parse(d));
  return out;
}

// A small model of `kustomize build DIR`: resources (files and directories), components, generators.
// Patches and replacements are checked separately. Missing paths are test failures.
void Build(const std::string& dir, std::vector<Json>& out) {
  const std::string kfile = dir + "/kustomization.yaml";
  ASSERT_TRUE(fs::exists(kfile)) << kfile;
  std::vector<Json> docs = LoadDocs(kfile);
  ASSERT_EQ(docs.size(), 1u) << kfile;
  const Json& k = docs[0];
  EXPECT_TRUE(k["apiVersion"] == "kustomize.config.k8s.io/v1beta1" || k["apiVersion"] == "kustomize.config.k8s.io/v1alpha1") << kfile;
  EXPECT_TRUE(k["kind"] == "Kustomization" || k["kind"] == "Component") << kfile;
  EXPECT_FALSE(k.contains("namespace")) << kfile << ": objects name their namespace themselves";
  for (const Json& r : k.value("resources", Json::array())) {
    const std::string p = dir + "/" + r.get<std::string>();
    ASSERT_TRUE(fs::exists(p)) << kfile << " lists missing " << p;
    if (fs::is_directory(p)) {
      Build(p, out);
    } else {
      for (Json& d : LoadDocs(p)) out.push_back(std::move(d));
    }
  }
  for (const Json& c : k.value("components", Json::array())) {
    const std::string p = dir + "/" + c.get<std::string>();
    ASSERT_TRUE(fs::is_directory(p)) << kfile << " lists missing component " << p;
    EXPECT_EQ(LoadDocs(p + "/kustomization.yaml")[0]["kind"], "Component") << p;
    Build(p, out);
  }
  for (const Json& patch : k.value("patches", Json::array())) {
    if (patch.contains("path")) {
      EXPECT_TRUE(fs::exists(dir + "/" + patch["path"].get<std::string>())) << kfile;
    }
  }
  for (const Json& g : k.value("configMapGenerator", Json::array())) {
    Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
               {"metadata", {{"name", g["name"]}, {"namespace", g.value("namespace", "")}}}, {"data", Json::object()}};
    for (const Json& f : g.value("files", Json::array())) {
      std::vector<std::string> kv = absl::StrSplit(f.get<std::string>(), absl::MaxSplits('=', 1));
      const std::string key = kv.size() == 2 ? kv[0] : fs::path(kv[0]).filename().string();
      const std::string file = dir + "/" + kv.back();
      EXPECT_TRUE(fs::exists(file)) << file;
      EXPECT_EQ(fs::path(file).lexically_normal().string().rfind(fs::path(dir).lexically_normal().string(), 0), 0u)
          << file << " is outside " << dir << " (kustomize's load restrictor refuses it)";
      cm["data"][key] = testing::ReadFileOrDie(file);
    }
    EXPECT_TRUE(g["options"].value("disableNameSuffixHash", false)) << "referenced by fixed name";
    out.push_back(cm);
  }
  for (const Json& g : k.value("secretGenerator", Json::array())) {
    // The files come from certs/make-certs.sh at install time: only the keys are modelled.
    Json s = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", g.value("type", "Opaque")},
              {"metadata", {{"name", g["name"]}, {"namespace", g.value("namespace", "")}}}, {"data", Json::object()}};
    for (const Json& f : g.value("files", Json::array())) {
      std::vector<std::string> kv = absl::StrSplit(f.get<std::string>(), absl::MaxSplits('=', 1));
      s["data"][kv[0]] = "";
    }
    EXPECT_TRUE(g["options"].value("disableNameSuffixHash", false));
    out.push_back(s);
  }
}

const std::vector<std::string>& Overlays() {
  static const auto* o = new std::vector<std::string>{"overlays/certs-script", "overlays/cert-manager", "overlays/upstream",
                                                             "overlays/managed-fencing"};
  return *o;
}

std::vector<Json> BuildOverlay(const std::string& overlay) {
  std::vector<Json> out;
  Build(Src("manifests/" + overlay), out);
  return out;
}

// All the variants: each overlay as shipped, and with the standalone extender instead of the scheduler.
std::map<std::string, std::vector<Json>> Variants() {
  std::map<std::string, std::vector<Json>> v;
  for (const std::string& o : Overlays()) v[o] = BuildOverlay(o);
  // certs-script with components/extender-standalone in place of components/scheduler.
  std::vector<Json> standalone;
  Build(Src("manifests"), standalone);
  Build(Src("manifests/components/extender-standalone"), standalone);
  for (const Json& o : v["overlays/certs-script"]) {
    if (o["kind"] == "Secret") standalone.push_back(o);
  }
  v["certs-script+extender-standalone"] = standalone;
  return v;
}

std::vector<const Json*> OfKind(const std::vector<Json>& objs, const std::string& kind) {
  std::vector<const Json*> out;
  for (const Json& o : objs) if (o.value("kind", "") == kind) out.push_back(&o);
  return out;
}
const Json* Find(const std::vector<Json>& objs, const std::string& kind, const std::string& ns, const std::string& name) {
  for (const Json& o : objs) {
    if (o.value("kind", "") == kind && o["metadata"].value("name", "") == name &&
        o["metadata"].value("namespace", "") == ns) return &o;
  }
  return nullptr;
}

bool IsClusterScoped(const std::string& kind) {
  static const std::set<std::string> k = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                                          "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"};
  return k.count(kind) > 0;
}

// Flags a binary accepts: every --flag in the usage text of its main.cc.
std::set<std::string> FlagsOf(const std::string& binary) {
  static const std::map<std::string, std::string> mains = {{"phalanx-controller", "controller/main.cc"},
                                                           {"phalanx-webhook", "webhook/main.cc"},
                                                           {"phalanx-extender", "scheduler-extender/main.cc"}};
  std::set<std::string> flags;
  auto it = mains.find(binary);
  if (it == mains.end()) return flags;
  std::string code = testing::ReadFileOrDie(Src(it->second));
  std::string usage = code.substr(code.find("kUsage[]"));
  usage = usage.substr(0, usage.find(";\n"));
  std::regex flag("--([a-z][a-z-]*)");
  for (auto m = std::sregex_iterator(usage.begin(), usage.end(), flag); m != std::sregex_iterator(); ++m) flags.insert((*m)[1]);
  return flags;
}

std::map<std::string, std::string> ArgMap(const Json& container) {
  std::map<std::string, std::string> args;
  for (const Json& a : container.value("args", Json::array())) {
    std::string s = a.get<std::string>();
    size_t eq = s.find('=');
    args[s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] = eq == std::string::npos ? "true" : s.substr(eq + 1);
  }
  return args;
}

TEST(Manifests, EveryFileParsesAndEveryObjectIsComplete) {
  int objects = 0;
  for (const auto& entry : fs::recursive_directory_iterator(Src("manifests"))) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().filename().string();
    for (const Json& doc : LoadDocs(entry.path().string())) {
      ++objects;
      EXPECT_TRUE(doc.contains("apiVersion") && doc.contains("kind")) << entry.path();
      if (name == "kustomization.yaml" || doc["kind"] == "KubeSchedulerConfiguration") continue;
      ASSERT_TRUE(doc.contains("metadata") && doc["metadata"].contains("name")) << entry.path();
      const std::string kind = doc["kind"];
      if (!IsClusterScoped(kind)) {
        EXPECT_TRUE(doc["metadata"].contains("namespace")) << entry.path() << " " << kind;
      }
    }
  }
  EXPECT_GT(objects, 25);
}

TEST(Manifests, OverlaysBuildConsistently) {
  for (const auto& [variant, objs] : Variants()) {
    SCOPED_TRACE(variant);
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const Json& o : objs) {
      const std::string kind = o["kind"], ns = o["metadata"].value("namespace", ""), name = o["metadata"]["name"];
      EXPECT_TRUE(seen.insert({kind, ns, name}).second) << "duplicate " << kind << " " << ns << "/" << name;
      if (IsClusterScoped(kind)) {
        EXPECT_EQ(ns, "") << kind << " " << name;
      } else if (!(kind == "RoleBinding" && name == "phalanx-scheduler-authentication-reader")) {
        EXPECT_EQ(ns, kNs) << kind << " " << name;
      }
    }
    ASSERT_NE(Find(objs, "Namespace", "", kNs), nullptr);
    ASSERT_NE(Find(objs, "CustomResourceDefinition", "", "jobsets.jobset.x-k8s.io"), nullptr);

    for (const Json* d : OfKind(objs, "Deployment")) {
      const std::string name = (*d)["metadata"]["name"];
      SCOPED_TRACE(name);
      const Json& pod = (*d)["spec"]["template"]["spec"];
      EXPECT_EQ((*d)["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
                (*d)["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]);
      EXPECT_NE(Find(objs, "ServiceAccount", kNs, pod.value("serviceAccountName", "")), nullptr) << "ServiceAccount";
      EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
      for (const Json& v : pod.value("volumes", Json::array())) {
        if (v.contains("configMap")) {
          EXPECT_NE(Find(objs, "ConfigMap", kNs, v["configMap"]["name"]), nullptr) << v;
        }
        if (v.contains("secret")) {
          const std::string secret = v["secret"]["secretName"];
          bool made = Find(objs, "Secret", kNs, secret) != nullptr;
          for (const Json* c : OfKind(objs, "Certificate")) made = made || (*c)["spec"]["secretName"] == secret;
          EXPECT_TRUE(made) << "nothing makes Secret " << secret;
        }
      }
      for (const Json& c : pod["containers"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
        EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
        EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], Json::array({"ALL"}));
        EXPECT_TRUE(c.contains("readinessProbe") && c.contains("livenessProbe"));
        EXPECT_TRUE(c["resources"].contains("requests"));
        if (c["image"].get<std::string>().rfind("phalanx/phalanx:", 0) != 0) continue;
        ASSERT_TRUE(c.contains("command"));
        const std::string binary = fs::path(c["command"][0].get<std::string>()).filename().string();
        const std::set<std::string> known = FlagsOf(binary);
        ASSERT_FALSE(known.empty()) << binary;
        std::map<std::string, std::string> args = ArgMap(c);
        for (const auto& [flag, value] : args) EXPECT_TRUE(known.count(flag)) << binary << " has no flag --" << flag;
        if (args.count("leader-elect")) {
          EXPECT_EQ(args["leader-election-namespace"], kNs);
          EXPECT_EQ((*d)["spec"]["replicas"], 2);
        }
        // Probes point at the port the binary serves them on.
        if (args.count("health-probe-bind-address")) {
          const std::string port = args["health-probe-bind-address"].substr(args["health-probe-bind-address"].rfind(':') + 1);
          bool found = false;
          for (const Json& p : c["ports"]) found = found || (p["name"] == c["readinessProbe"]["httpGet"]["port"] && std::to_string(p["containerPort"].get<int>()) == port);
          EXPECT_TRUE(found) << "readiness probe port is not --health-probe-bind-address";
        }
      }
    }
    for (const Json* s : OfKind(objs, "Service")) {
      const std::string name = (*s)["metadata"]["name"];
      const Json* target = nullptr;
      for (const Json* d : OfKind(objs, "Deployment")) {
        bool match = true;
        for (const auto& [k, v] : (*s)["spec"]["selector"].items()) match = match && (*d)["spec"]["template"]["metadata"]["labels"].value(k, "") == v;
        if (match) target = d;
      }
      ASSERT_NE(target, nullptr) << "Service " << name << " selects no Deployment";
      for (const Json& port : (*s)["spec"]["ports"]) {
        bool found = false;
        for (const Json& c : (*target)["spec"]["template"]["spec"]["containers"]) {
          for (const Json& p : c.value("ports", Json::array())) found = found || p["name"] == port["targetPort"];
        }
        EXPECT_TRUE(found) << "Service " << name << " targets unknown port " << port["targetPort"];
      }
    }
    for (const char* kind : {"RoleBinding", "ClusterRoleBinding"}) {
      for (const Json* b : OfKind(objs, kind)) {
        for (const Json& subject : (*b)["subjects"]) {
          EXPECT_NE(Find(objs, "ServiceAccount", subject["namespace"], subject["name"]), nullptr) << (*b)["metadata"]["name"];
        }
        const std::string role = (*b)["roleRef"]["name"], role_kind = (*b)["roleRef"]["kind"];
        if (role.rfind("system:", 0) == 0 || role == "extension-apiserver-authentication-reader") continue;
        EXPECT_NE(Find(objs, role_kind, role_kind == "Role" ? (*b)["metadata"]["namespace"].get<std::string>() : "", role), nullptr)
            << "binding " << (*b)["metadata"]["name"] << " to missing " << role;
      }
    }
  }
}

// The webhook configurations: the webhook's routes, its Service and port, kube::PhalanxWebhooks.
TEST(Manifests, WebhookConfigurationsMatchTheServerAndPhalanxWebhooks) {
  std::vector<Json> objs = BuildOverlay("overlays/certs-script");
  const Json* deployment = Find(objs, "Deployment", kNs, "phalanx-webhook");
  ASSERT_NE(deployment, nullptr);
  const Json& container = (*deployment)["spec"]["template"]["spec"]["containers"][0];
  const std::string port = ArgMap(container)["port"];
  std::vector<kube::RemoteAdmissionOptions> expected = kube::PhalanxWebhooks("https://x", "ca.crt");
  std::map<std::string, const kube::RemoteAdmissionOptions*> by_name;
  for (const auto& w : expected) by_name[w.name] = &w;
  const std::set<std::string> routes = {std::string(webhook::kMutateJobSetPath), std::string(webhook::kValidateJobSetPath),
                                        std::string(webhook::kMutatePodPath), std::string(webhook::kValidatePodPath)};
  std::set<std::string> paths;
  int count = 0;
  for (const char* kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    for (const Json* cfg : OfKind(objs, kind)) {
      for (const Json& w : (*cfg)["webhooks"]) {
        ++count;
        const std::string name = w["name"];
        SCOPED_TRACE(name);
        const Json& svc_ref = w["clientConfig"]["service"];
        const Json* svc = Find(objs, "Service", svc_ref["namespace"], svc_ref["name"]);
        ASSERT_NE(svc, nullptr);
        // Service port 443 (the default) → targetPort → the container port the webhook's --port opens.
        const std::string target = (*svc)["spec"]["ports"][0]["targetPort"];
        EXPECT_EQ(svc_ref.value("port", 443), (*svc)["spec"]["ports"][0]["port"].get<int>());
        for (const Json& p : container["ports"]) {
          if (p["name"] == target) {
            EXPECT_EQ(std::to_string(p["containerPort"].get<int>()), port);
          }
        }
        const std::string path = svc_ref["path"];
        EXPECT_TRUE(routes.count(path)) << path;
        paths.insert(path);
        EXPECT_EQ(path.rfind(std::string(kind) == "MutatingWebhookConfiguration" ? "/mutate" : "/validate", 0), 0u);
        EXPECT_EQ(w["sideEffects"], "None");
        EXPECT_EQ(w["matchPolicy"], "Equivalent");
        EXPECT_EQ(w["admissionReviewVersions"], Json::array({"v1"}));
        ASSERT_TRUE(by_name.count(name)) << "not in kube::PhalanxWebhooks";
        const kube::RemoteAdmissionOptions& e = *by_name[name];
        EXPECT_EQ(e.url, "https://x" + path);
        EXPECT_EQ(e.mutating, std::string(kind) == "MutatingWebhookConfiguration");
        EXPECT_EQ(w["failurePolicy"], e.failure_policy == kube::RemoteAdmissionOptions::FailurePolicy::kFail ? "Fail" : "Ignore");
        EXPECT_EQ(absl::Seconds(w["timeoutSeconds"].get<int>()), e.timeout);
        ASSERT_EQ(w["rules"].size(), e.rules.size());
        for (size_t i = 0; i < e.rules.size(); ++i) {
          EXPECT_EQ(w["rules"][i]["apiGroups"], Json::array({e.rules[i].api_group}));
          EXPECT_EQ(w["rules"][i]["resources"], Json::array({e.rules[i].resource}));
          Json ops = Json::array();
          for (kube::AdmissionOperation op : e.rules[i].operations) ops.push_back(op == kube::AdmissionOperation::kCreate ? "CREATE" : "UPDATE");
          EXPECT_EQ(w["rules"][i]["operations"], ops);
        }
        if (e.object_selector.empty()) {
          EXPECT_FALSE(w.contains("objectSelector"));
        } else {
          // Pod webhooks: only pods carrying the JobSet label, so an outage never blocks other pods.
          EXPECT_EQ(w["objectSelector"]["matchExpressions"][0],
                    Json::parse(R"({"key":"jobset.sigs.k8s.io/jobset-name","operator":"Exists"})"));
          EXPECT_EQ(e.object_selector, "jobset.sigs.k8s.io/jobset-name");
          Json skip = Json::array();
          for (const std::string& ns : e.skip_namespaces) skip.push_back(ns);
          EXPECT_EQ(w["namespaceSelector"]["matchExpressions"][0]["values"], skip);
        }
      }
    }
  }
  EXPECT_EQ(count, static_cast<int>(expected.size()));
  EXPECT_EQ(paths, routes);
}

TEST(Manifests, CertificatePathsFillTheCaBundle) {
  // certs-script: the CA from the generated Secret goes into every webhook's caBundle.
  Json k = LoadDocs(Src("manifests/overlays/certs-script/kustomization.yaml"))[0];
  ASSERT_EQ(k["replacements"].size(), 1u);
  const Json& r = k["replacements"][0];
  EXPECT_EQ(r["source"]["name"], "phalanx-webhook-server-cert");
  const std::string key = r["source"]["fieldPath"].get<std::string>().substr(5);  // "data.<key>"
  bool has_ca = false;
  for (const Json& f : k["secretGenerator"][0]["files"]) has_ca = has_ca || f.get<std::string>() == key + "=certs/ca.crt";
  EXPECT_TRUE(has_ca);
  std::set<std::string> kinds;
  for (const Json& t : r["targets"]) {
    kinds.insert(t["select"]["kind"]);
    EXPECT_EQ(t["fieldPaths"], Json::array({"webhooks.*.clientConfig.caBundle"}));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}));
  // cert-manager: the injector's annotation names the Certificate that writes the mounted Secret, for
  // the DNS name the API server verifies.
  std::vector<Json> objs = BuildOverlay("overlays/cert-manager");
  const Json* cert = Find(objs, "Certificate", kNs, "phalanx-webhook-cert");
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ((*cert)["spec"]["secretName"], "phalanx-webhook-server-cert");
  EXPECT_THAT((*cert)["spec"]["dnsNames"], ::testing::Contains("phalanx-webhook-service.phalanx-system.svc"));
  EXPECT_NE(Find(objs, "Issuer", kNs, (*cert)["spec"]["issuerRef"]["name"]), nullptr);
  int annotated = 0;
  for (const Json& p : LoadDocs(Src("manifests/overlays/cert-manager/inject-ca.yaml"))) {
    EXPECT_EQ(p["metadata"]["annotations"]["cert-manager.io/inject-ca-from"], "phalanx-system/phalanx-webhook-cert");
    EXPECT_NE(Find(objs, p["kind"], "", p["metadata"]["name"]), nullptr);
    ++annotated;
  }
  EXPECT_EQ(annotated, 2);
  // ... and the base's placeholder caBundle is removed from every webhook, leaving the field to the injector.
  Json cm = LoadDocs(Src("manifests/overlays/cert-manager/kustomization.yaml"))[0];
  std::map<std::string, std::set<std::string>> removed;
  for (const Json& p : cm["patches"]) {
    if (!p.contains("patch")) continue;
    Json ops = Json::parse(*api::ParseSingleDocument(p["patch"].get<std::string>()));
    for (const Json& op : ops) {
      EXPECT_EQ(op["op"], "remove");
      removed[p["target"]["kind"]].insert(op["path"]);
    }
  }
  for (const char* kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    std::set<std::string> expected;
    for (const Json* c : OfKind(objs, kind)) {
      for (size_t i = 0; i < (*c)["webhooks"].size(); ++i) {
        ASSERT_TRUE((*c)["webhooks"][i]["clientConfig"].contains("caBundle"));  // a JSON Patch remove needs it
        expected.insert("/webhooks/" + std::to_string(i) + "/clientConfig/caBundle");
      }
    }
    EXPECT_EQ(removed[kind], expected) << kind;
  }
}

TEST(Manifests, SchedulerAndExtenderAgree) {
  std::vector<Json> objs = BuildOverlay("overlays/certs-script");
  const Json* cm = Find(objs, "ConfigMap", kNs, "phalanx-scheduler-config");
  ASSERT_NE(cm, nullptr);
  Json config = Json::parse(*api::ParseSingleDocument((*cm)["data"]["scheduler-config.yaml"].get<std::string>()));
  EXPECT_EQ(config["kind"], "KubeSchedulerConfiguration");
  ASSERT_EQ(config["extenders"].size(), 1u);
  const Json& ext = config["extenders"][0];
  EXPECT_EQ(ext["filterVerb"], "filter");
  EXPECT_EQ(ext["prioritizeVerb"], "prioritize");
  EXPECT_EQ(ext["nodeCacheCapable"], true);
  EXPECT_EQ(ext["ignorable"], false);
  std::smatch m;
  const std::string url = ext["urlPrefix"];
  ASSERT_TRUE(std::regex_match(url, m, std::regex("http://([^:/]+):([0-9]+)(/.*)"))) << url;

  const Json* sched = Find(objs, "Deployment", kNs, "phalanx-scheduler");
  ASSERT_NE(sched, nullptr);
  const Json& pod = (*sched)["spec"]["template"]["spec"];
  const Json* kube_scheduler = nullptr;
  const Json* extender = nullptr;
  for (const Json& c : pod["containers"]) (c["name"] == "extender" ? extender : kube_scheduler) = &c;
  ASSERT_TRUE(kube_scheduler && extender);
  std::map<std::string, std::string> args = ArgMap(*extender);
  EXPECT_EQ(args["port"], m[2].str());
  EXPECT_EQ(args["url-prefix"], m[3].str());
  EXPECT_EQ(args["bind-address"], m[1].str());  // loopback: only the scheduler in the pod reaches it
  // kube-scheduler reads the ConfigMap's file where it is mounted.
  std::string config_flag;
  for (const Json& a : (*kube_scheduler)["command"]) if (a.get<std::string>().rfind("--config=", 0) == 0) config_flag = a.get<std::string>().substr(9);
  bool mounted = false;
  for (const Json& vm : (*kube_scheduler)["volumeMounts"]) {
    for (const Json& v : pod["volumes"]) {
      if (v["name"] == vm["name"] && v.contains("configMap") && v["configMap"]["name"] == "phalanx-scheduler-config") {
        mounted = config_flag == vm["mountPath"].get<std::string>() + "/scheduler-config.yaml";
      }
    }
  }
  EXPECT_TRUE(mounted) << config_flag;
  EXPECT_EQ(config["leaderElection"]["resourceNamespace"], kNs);
  EXPECT_EQ(config["profiles"][0]["schedulerName"], "phalanx-scheduler");
  EXPECT_FALSE(config.contains("clientConnection")) << "in-cluster credentials";

  // Standalone: the Service reaches the extender's --port, where a scheduler's urlPrefix would point.
  std::vector<Json> standalone;
  Build(Src("manifests/components/extender-standalone"), standalone);
  const Json* svc = Find(standalone, "Service", kNs, "phalanx-extender");
  const Json* dep = Find(standalone, "Deployment", kNs, "phalanx-extender");
  ASSERT_TRUE(svc && dep);
  const Json& c = (*dep)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(ArgMap(c)["url-prefix"], m[3].str());
  for (const Json& p : c["ports"]) {
    if (p["name"] == (*svc)["spec"]["ports"][0]["targetPort"]) {
      EXPECT_EQ(std::to_string(p["containerPort"].get<int>()), ArgMap(c)["port"]);
    }
  }
}

// --- RBAC derived from the code ---------------------------------------------------------------

struct Call {
  std::string group, resource, verb;
  bool operator<(const Call& o) const { return std::tie(group, resource, verb) < std::tie(o.group, o.resource, o.verb); }
};
std::ostream& operator<<(std::ostream& os, const Call& c) { return os << c.group << "/" << c.resource << ":" << c.verb; }

// Resource constants (kube/resource.h and local ones) → group and resource[/subresource].
std::map<std::string, std::pair<std::string, std::string>> ResourceConstants(const std::vector<std::string>& files) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const std::string& f : files) {
    std::string code = testing::ReadFileOrDie(Src(f));
    std::regex decl(R"re((k\w+)\s*(?:=\s*)?\{\s*"([^"]*)",\s*"[^"]*",\s*"([^"]*)")re");
    for (auto m = std::sregex_iterator(code.begin(), code.end(), decl); m != std::sregex_iterator(); ++m) {
      out[(*m)[1]] = {(*m)[2], (*m)[3]};
    }
    std::regex sub(R"re((k\w+)\s*=\s*(k\w+)\.WithSubresource\("(\w+)"\))re");
    for (auto m = std::sregex_iterator(code.begin(), code.end(), sub); m != std::sregex_iterator(); ++m) {
      auto base = out[(*m)[2]];
      out[(*m)[1]] = {base.first, base.second + "/" + (*m)[3].str()};
    }
  }
  return out;
}

std::set<Call> CallsOf(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(Src(dir))) {
    if (e.path().extension() == ".cc" || e.path().extension() == ".h") files.push_back(dir + "/" + e.path().filename().string());
  }
  std::vector<std::string> constant_files = files;
  constant_files.push_back("kube/resource.h");
  auto constants = ResourceConstants(constant_files);
  std::string all;
  for (const std::string& f : files) all += testing::ReadFileOrDie(Src(f));
  // Shared client code the binary uses.
  if (all.find("EventRecorder") != std::string::npos) all += testing::ReadFileOrDie(Src("kube/event_recorder.cc"));
  if (all.find("LeaderElector") != std::string::npos) all += testing::ReadFileOrDie(Src("kube/leader_election.cc"));
  std::set<Call> calls;
  auto add = [&](const std::string& ident, const std::string& verb) {
    auto it = constants.find(ident);
    EXPECT_NE(it, constants.end()) << dir << ": unknown resource " << ident;
    if (it == constants.end()) return;
    calls.insert({it->second.first, it->second.second, verb});
  };
  std::regex call(R"re(\b(Get|List|Create|Update|UpdateStatus|Patch|Delete|Watch)\(\s*(?:(?:phalanx::)?kube::)?(\w+)\s*,)re");
  for (auto m = std::sregex_iterator(all.begin(), all.end(), call); m != std::sregex_iterator(); ++m) {
    std::string verb = (*m)[1], ident = (*m)[2];
    std::vector<std::string> idents = {ident};
    if (ident.empty() || ident[0] != 'k') {
      // A loop variable: `for (const ... Resource& r : {kA, kB})`.
      std::smatch loop;
      if (!std::regex_search(all, loop, std::regex("Resource&\\s+" + ident + "\\s*:\\s*\\{([^}]*)\\}"))) continue;
      idents = absl::StrSplit(std::regex_replace(loop[1].str(), std::regex(R"re(\s|phalanx::|kube::)re"), ""), ',');
    }
    for (const std::string& id : idents) {
      if (verb == "UpdateStatus") {
        auto it = constants.find(id);
        if (it != constants.end()) calls.insert({it->second.first, it->second.second + "/status", "update"});
        continue;
      }
      std::string v = verb;
      for (char& ch : v) ch = static_cast<char>(std::tolower(ch));
      add(id, v);
    }
  }
  std::regex informer(R"re(Informer>\(\s*[^,]+,\s*(?:kube::)?(k\w+))re");
  for (auto m = std::sregex_iterator(all.begin(), all.end(), informer); m != std::sregex_iterator(); ++m) {
    add((*m)[1], "list");
    add((*m)[1], "watch");
  }
  return calls;
}

// What the ServiceAccount may do through Phalanx's own roles (system roles are not expanded).
std::set<Call> Granted(const std::vector<Json>& objs, const std::string& sa) {
  std::set<Call> out;
  for (const char* kind : {"RoleBinding", "ClusterRoleBinding"}) {
    for (const Json* b : OfKind(objs, kind)) {
      bool bound = false;
      for (const Json& s : (*b)["subjects"]) bound = bound || (s["name"] == sa && s["namespace"] == kNs);
      if (!bound) continue;
      const std::string role_kind = (*b)["roleRef"]["kind"];
      const Json* role = Find(objs, role_kind, role_kind == "Role" ? (*b)["metadata"]["namespace"].get<std::string>() : "",
                              (*b)["roleRef"]["name"]);
      if (role == nullptr) continue;
      if (role_kind == "Role") {
        EXPECT_EQ((*role)["metadata"]["namespace"], kNs);
      }
      for (const Json& rule : (*role)["rules"]) {
        EXPECT_FALSE(rule.contains("resourceNames"));
        for (const Json& g : rule["apiGroups"]) for (const Json& r : rule["resources"]) for (const Json& v : rule["verbs"]) {
          EXPECT_NE(v, "*");
          EXPECT_NE(r, "*");
          // A namespaced Role grants only what lives in phalanx-system: leader-election Leases.
          if (role_kind == "Role") {
            EXPECT_EQ(r, "leases");
          }
          out.insert({g, r, v});
        }
      }
    }
  }
  return out;
}

TEST(Manifests, RbacIsExactlyTheCallsInTheCode) {
  const std::set<Call> controller = CallsOf("controller");
  const std::set<Call> extender = CallsOf("scheduler-extender");
  const std::set<Call> webhook = CallsOf("webhook");
  // The scan finds what the binaries are known to do (so it is not vacuous).
  EXPECT_TRUE(controller.count({"batch", "jobs", "create"}));
  EXPECT_TRUE(controller.count({"jobset.x-k8s.io", "jobsets/status", "update"}));
  EXPECT_TRUE(controller.count({"coordination.k8s.io", "leases", "update"}));
  EXPECT_TRUE(extender.count({"", "pods", "patch"}));
  EXPECT_TRUE(extender.count({"kueue.x-k8s.io", "topologies", "list"}));
  EXPECT_TRUE(extender.count({"events.k8s.io", "events", "create"}));
  // The webhook reads pods and nodes through informers (upstream exclusive placement) and follows the
  // planner's Lease, recording an Event when no planner runs.
  EXPECT_TRUE(webhook.count({"", "pods", "watch"}));
  EXPECT_TRUE(webhook.count({"coordination.k8s.io", "leases", "list"}));
  EXPECT_TRUE(webhook.count({"events.k8s.io", "events", "create"}));
  // Needed by an admission check, not a call: owner references with blockOwnerDeletion on child Jobs.
  const std::set<Call> controller_extra = {{"jobset.x-k8s.io", "jobsets/finalizers", "update"}};

  for (const auto& [variant, objs] : Variants()) {
    SCOPED_TRACE(variant);
    std::map<std::string, std::set<Call>> needs = {{"phalanx-controller", controller}, {"phalanx-webhook", webhook}};
    if (Find(objs, "Deployment", kNs, "phalanx-extender")) needs["phalanx-extender"] = extender;
    if (Find(objs, "Deployment", kNs, "phalanx-scheduler")) needs["phalanx-scheduler"] = extender;  // the sidecar
    for (const auto& [sa, calls] : needs) {
      SCOPED_TRACE(sa);
      std::set<Call> granted = Granted(objs, sa);
      for (const Call& c : calls) EXPECT_TRUE(granted.count(c)) << "not granted: " << c;
      for (const Call& g : granted) {
        EXPECT_TRUE(calls.count(g) || (sa == "phalanx-controller" && controller_extra.count(g))) << "more than needed: " << g;
      }
    }
    const Json* webhook_sa = Find(objs, "ServiceAccount", kNs, "phalanx-webhook");
    ASSERT_NE(webhook_sa, nullptr);
    // It calls the API now, so it needs its token.
    EXPECT_NE((*webhook_sa)["automountServiceAccountToken"], false);
  }
}

}  // namespace
}  // namespace phalanx::crdgen_test
