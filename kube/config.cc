#include "kube/config.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/read_file.h"
#include "yaml-cpp/yaml.h"

namespace phalanx::kube {
namespace {

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return absl::StrCat(dir, "/", path);
}

// Finds `name` in a kubeconfig list (clusters/users/contexts) and returns its inner map under `inner`.
YAML::Node FindNamed(const YAML::Node& list, const std::string& name, const char* inner) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const YAML::Node& entry : list) {
    if (!entry.IsMap()) continue;  // a subscript on a scalar or a sequence throws
    if (entry["name"] && entry["name"].as<std::string>("") == name) return entry[inner];
  }
  return YAML::Node();
}

std::string Str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap() || !n[key]) return "";
  return n[key].as<std::string>("");
}

// Either inline base64 `<key>-data` or a file path `<key>`.
absl::StatusOr<std::string> DataOrFile(const YAML::Node& n, const std::string& key, const std::string& dir) {
  std::string data = Str(n, (key + "-data").c_str());
  if (!data.empty()) {
    std::string out;
    if (!absl::Base64Unescape(data, &out)) return absl::InvalidArgumentError(absl::StrCat(key, "-data is not base64"));
    return out;
  }
  std::string file = Str(n, key.c_str());
  if (file.empty()) return std::string();
  return ReadFile(Resolve(dir, file));
}

}  // namespace

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, absl::string_view context) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", e.what()));
  }
  // Every read below subscripts maps only; a document that is not one is an error, not a throw (fuzz/).
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": not a mapping"));
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  std::string ctx_name = context.empty() ? Str(root, "current-context") : std::string(context);
  if (ctx_name.empty()) return absl::InvalidArgumentError("kubeconfig has no current-context");
  YAML::Node ctx = FindNamed(root["contexts"], ctx_name, "context");
  if (!ctx) return absl::InvalidArgumentError(absl::StrCat("kubeconfig has no context \"", ctx_name, "\""));
  YAML::Node cluster = FindNamed(root["clusters"], Str(ctx, "cluster"), "cluster");
  if (!cluster) return absl::InvalidArgumentError(absl::StrCat("kubeconfig has no cluster \"", Str(ctx, "cluster"), "\""));
  YAML::Node user = FindNamed(root["users"], Str(ctx, "user"), "user");
  RestConfig cfg;
  try {
    cfg.server = Str(cluster, "server");
    if (cfg.server.empty()) return absl::InvalidArgumentError("kubeconfig cluster has no server");
    cfg.namespace_ = Str(ctx, "namespace");
    cfg.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"] &&
                                   cluster["insecure-skip-tls-verify"].as<bool>(false);
    absl::StatusOr<std::string> ca = DataOrFile(cluster, "certificate-authority", dir);
    if (!ca.ok()) return ca.status();
    cfg.ca_pem = *ca;
    if (user) {
      absl::StatusOr<std::string> cert = DataOrFile(user, "client-certificate", dir);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = DataOrFile(user, "client-key", dir);
      if (!key.ok()) return key.status();
      cfg.client_cert_pem = *cert;
      cfg.client_key_pem = *key;
      cfg.bearer_token = Str(user, "token");
      std::string token_file = Str(user, "tokenFile");
      if (!token_file.empty()) cfg.token_file = Resolve(dir, token_file);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", e.what()));
  }
  return cfg;
}

absl::StatusOr<RestConfig> InClusterConfigFrom(absl::string_view host, absl::string_view port,
                                               const std::string& service_account_dir) {
  if (host.empty() || port.empty()) {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  RestConfig cfg;
  bool ipv6 = host.find(':') != absl::string_view::npos;
  cfg.server = ipv6 ? absl::StrCat("https://[", host, "]:", port) : absl::StrCat("https://", host, ":", port);
  cfg.token_file = absl::StrCat(service_account_dir, "/token");
  absl::StatusOr<std::string> token = ReadFile(cfg.token_file);
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> ca = ReadFile(absl::StrCat(service_account_dir, "/ca.crt"));
  if (!ca.ok()) return ca.status();
  cfg.ca_pem = *ca;
  absl::StatusOr<std::string> ns = ReadFile(absl::StrCat(service_account_dir, "/namespace"));
  if (ns.ok()) cfg.namespace_ = std::string(absl::StripAsciiWhitespace(*ns));
  return cfg;
}

absl::StatusOr<RestConfig> InClusterConfig() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  return InClusterConfigFrom(host ? host : "", port ? port : "", "/var/run/secrets/kubernetes.io/serviceaccount");
}

absl::StatusOr<RestConfig> ConfigFromFlags(const std::string& kubeconfig, double qps, int burst) {
  absl::StatusOr<RestConfig> config = kubeconfig.empty() ? InClusterConfig() : LoadKubeconfig(kubeconfig);
  if (!config.ok()) return config.status();
  config->qps = qps;
  config->burst = burst;
  return config;
}

}  // namespace phalanx::kube
