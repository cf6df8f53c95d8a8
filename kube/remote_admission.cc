#include "kube/remote_admission.h"

#include <httplib.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "kube/errors.h"
#include "kube/internal/json.h"
#include "kube/internal/patch.h"
#include "kube/selector.h"

namespace phalanx::kube {
namespace {

using internal::Json;
using OJson = nlohmann::ordered_json;
using Options = RemoteAdmissionOptions;

constexpr char kReviewApiVersion[] = "admission.k8s.io/v1";

struct Url {
  std::string host;
  int port = 443;
  std::string path;
};

absl::StatusOr<Url> ParseUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "https://";
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("webhook url \"", url, "\": ", why));
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("must start with https://");
  absl::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#@") != absl::string_view::npos) return bad("no user, query or fragment allowed");
  size_t slash = rest.find('/');
  absl::string_view host_port = rest.substr(0, slash);
  Url out;
  out.path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  absl::string_view port;
  if (!host_port.empty() && host_port.front() == '[') {  // [v6]:port
    size_t close = host_port.find(']');
    if (close == absl::string_view::npos) return bad("unterminated IPv6 address");
    out.host = std::string(host_port.substr(1, close - 1));
    absl::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("bad port");
      port = after.substr(1);
    }
  } else {
    size_t colon = host_port.rfind(':');
    out.host = std::string(host_port.substr(0, colon));
    if (colon != absl::string_view::npos) port = host_port.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad("bad port");
      p = p * 10 + (c - '0');
      if (p > 65535) return bad("bad port");
    }
    if (p == 0) return bad("bad port");
    out.port = p;
  }
  return out;
}

std::string OperationName(AdmissionOperation op) { return op == AdmissionOperation::kCreate ? "CREATE" : "UPDATE"; }

bool RuleMatches(const AdmissionRule& rule, const Resource& r, AdmissionOperation op) {
  bool op_ok = false;
  for (AdmissionOperation o : rule.operations) op_ok = op_ok || o == op;
  if (!op_ok) return false;
  if (rule.api_group != "*" && rule.api_group != r.group) return false;
  absl::string_view want = rule.resource;
  size_t slash = want.find('/');
  absl::string_view plural = want.substr(0, slash);
  absl::string_view sub = slash == absl::string_view::npos ? absl::string_view() : want.substr(slash + 1);
  if (sub != r.subresource) return false;
  return plural == "*" || plural == r.plural;
}

std::map<std::string, std::string> LabelsOf(const Json& obj) {
  std::map<std::string, std::string> out;
  if (!obj.is_object()) return out;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return out;
  auto l = m->find("labels");
  if (l == m->end() || !l->is_object()) return out;
  for (const auto& [k, v] : l->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// A Status error with the given body (kube/errors.h payload), as the API server answers.
absl::Status StatusError(const OJson& body) {
  int code = body.value("code", 500);
  std::string message = body.value("message", "");
  absl::Status s(CodeForHttp(code, body.value("reason", "")), message);
  s.SetPayload(kStatusPayloadUrl, absl::Cord(body.dump(-1, ' ', false, OJson::error_handler_t::replace)));
  return s;
}

OJson StatusHead() {
  return OJson{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", OJson::object()}, {"status", "Failure"}};
}

// `Internal error occurred: <message>` (500), optionally with the message as the single cause.
absl::Status InternalError(const std::string& message, bool with_cause) {
  OJson st = StatusHead();
  st["message"] = absl::StrCat("Internal error occurred: ", message);
  st["reason"] = "InternalError";
  st["details"] = with_cause ? OJson{{"causes", OJson::array({OJson{{"message", message}}})}} : OJson::object();
  st["code"] = 500;
  return StatusError(st);
}

// The "group/version, Kind=kind" form the API server prints for a review's type.
std::string GroupVersionKind(const Json& review) {
  std::string api_version = internal::GetString(review, "apiVersion");
  std::string kind = internal::GetString(review, "kind");
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  return absl::StrCat(group, "/", version, ", Kind=", kind);
}

// Go's error for base64 it cannot decode: the offset of the first byte outside the alphabet.
std::string Base64Error(absl::string_view text) {
  size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              c == '=' || c == '\r' || c == '\n';
    if (!ok) break;
  }
  return absl::StrCat("illegal base64 data at input byte ", i);
}

class Caller {
 public:
  Caller(Options options, Url url, LabelSelector selector)
      : options_(std::move(options)), url_(std::move(url)), selector_(std::move(selector)),
        rng_(std::random_device{}()) {}

  absl::Status Admit(const Resource& r, AdmissionOperation op, std::string* object, const std::string* old_object) {
    bool matched = false;
    for (const AdmissionRule& rule : options_.rules) matched = matched || RuleMatches(rule, r, op);
    if (!matched) return absl::OkStatus();
    absl::StatusOr<Json> obj = internal::ParseJson(*object);
    if (!obj.ok()) return InternalError("admission: the object is not JSON", false);
    Json old = nullptr;
    if (old_object != nullptr) {
      absl::StatusOr<Json> o = internal::ParseJson(*old_object);
      if (o.ok()) old = *std::move(o);
    }
    if (!selector_.Empty() && !selector_.Matches(LabelsOf(*obj)) && !(old.is_object() && selector_.Matches(LabelsOf(old)))) {
      return absl::OkStatus();
    }
    if (!options_.skip_namespaces.empty()) {
      std::string ns = obj->contains("metadata") ? internal::GetString((*obj)["metadata"], "namespace") : "";
      for (const std::string& skip : options_.skip_namespaces) {
        if (ns == skip) return absl::OkStatus();
      }
    }

    absl::MutexLock lock(&mu_);
    std::string uid = NewUid();
    // The review with placeholders, the objects' own text spliced in (the same bytes as dumping them
    // inside it: the dump orders every object's keys), so the objects are neither copied nor re-parsed.
    const std::string object_mark = absl::StrCat("\x01object-", uid);
    const std::string old_mark = absl::StrCat("\x01oldObject-", uid);
    std::string body =
        internal::Dump(Review(r, op, uid, *obj, Json(object_mark), old.is_null() ? nullptr : Json(old_mark)));
    auto splice = [&body](const std::string& mark, const Json& value) {
      const std::string quoted = internal::Dump(Json(mark));
      size_t at = body.find(quoted);
      if (at != std::string::npos) body.replace(at, quoted.size(), internal::Dump(value));
    };
    splice(object_mark, *obj);
    if (!old.is_null()) splice(old_mark, old);
    const std::string target = absl::StrCat(url_.path, "?timeout=", absl::ToInt64Seconds(options_.timeout), "s");
    int http_status = 0;
    std::string answer;
    if (options_.transport) {
      absl::StatusOr<std::pair<int, std::string>> res = options_.transport(options_.url, body);
      if (!res.ok()) {
        return CallFailed(absl::StrCat("failed to call webhook: Post \"", options_.url, "\": ", res.status().message()));
      }
      http_status = res->first;
      answer = std::move(res->second);
    } else {
      httplib::SSLClient& cli = Client();
      absl::Time start = absl::Now();
      httplib::Result res = cli.Post(target.c_str(), body, "application/json");
      if (!res) {
        bool deadline = absl::Now() - start >= options_.timeout - absl::Milliseconds(50);
        client_.reset();  // a fresh connection next time
        return CallFailed(absl::StrCat("failed to call webhook: Post \"", options_.url, "?timeout=",
                                       absl::ToInt64Seconds(options_.timeout), "s\": ",
                                       deadline ? "context deadline exceeded" : httplib::to_string(res.error())));
      }
      http_status = res->status;
      answer = std::move(res->body);
    }
    if (http_status != 200) {
      return CallFailed(absl::StrCat("failed to call webhook: the server responded with HTTP ", http_status, ": ",
                                     answer.substr(0, 256)));
    }
    absl::StatusOr<Json> review = internal::ParseJson(answer);
    if (!review.ok() || !review->is_object()) {
      return CallFailed("received invalid webhook response: the body is not a JSON object");
    }
    if (internal::GetString(*review, "apiVersion") != kReviewApiVersion ||
        internal::GetString(*review, "kind") != "AdmissionReview") {
      return CallFailed(absl::StrCat("received invalid webhook response: expected webhook response of ",
                                     kReviewApiVersion, ", Kind=AdmissionReview, got ", GroupVersionKind(*review)));
    }
    auto it = review->find("response");
    if (it == review->end() || !it->is_object()) {
      return CallFailed("received invalid webhook response: webhook response was absent");
    }
    const Json& response = *it;
    std::string got_uid = internal::GetString(response, "uid");
    if (got_uid != uid) {
      return CallFailed(absl::StrFormat("received invalid webhook response: expected response.uid=\"%s\", got \"%s\"",
                                        uid, got_uid));
    }
    const bool has_patch = response.contains("patch") && response["patch"].is_string() &&
                           !response["patch"].get_ref<const std::string&>().empty();
    const bool has_patch_type = response.contains("patchType") && !response["patchType"].is_null();
    if (has_patch && !has_patch_type) {
      return CallFailed("received invalid webhook response: webhook returned response.patch but not response.patchType");
    }
    if (has_patch_type && !has_patch) {
      return CallFailed("received invalid webhook response: webhook returned response.patchType but not response.patch");
    }
    if (has_patch_type && !options_.mutating) {
      return CallFailed("received invalid webhook response: validating webhook may not return response.patch");
    }
    if (has_patch_type && internal::GetString(response, "patchType") != "JSONPatch") {
      return CallFailed(absl::StrCat("received invalid webhook response: webhook returned invalid response.patchType of \"",
                                     internal::GetString(response, "patchType"), "\""));
    }
    const bool allowed = response.contains("allowed") && response["allowed"].is_boolean() && response["allowed"].get<bool>();
    if (!allowed) return Denied(response);
    if (!has_patch) return absl::OkStatus();

    const std::string& encoded = response["patch"].get_ref<const std::string&>();
    std::string decoded;
    if (!absl::Base64Unescape(encoded, &decoded)) return CallFailed(absl::StrCat("failed to call webhook: ", Base64Error(encoded)));
    absl::StatusOr<Json> patch = internal::ParseJson(decoded);
    if (!patch.ok() || !patch->is_array()) return InternalError("the webhook's patch is not a JSON Patch array", false);
    absl::StatusOr<Json> patched = internal::ApplyJsonPatch(*obj, *patch);
    if (!patched.ok()) return InternalError(std::string(patched.status().message()), false);
    *object = internal::Dump(*patched);
    return absl::OkStatus();
  }

 private:
  // The AdmissionReview; "object" and "oldObject" are `object_value` and `old_value` (the caller's
  // placeholders), name and namespace read from `obj`.
  OJson Review(const Resource& r, AdmissionOperation op, const std::string& uid, const Json& obj,
               const Json& object_value, const Json& old_value) {
    OJson gvk = {{"group", std::string(r.group)}, {"version", std::string(r.version)}, {"kind", std::string(r.kind)}};
    OJson gvr = {{"group", std::string(r.group)}, {"version", std::string(r.version)}, {"resource", std::string(r.plural)}};
    OJson req;
    req["uid"] = uid;
    req["kind"] = gvk;
    req["resource"] = gvr;
    if (!r.subresource.empty()) req["subResource"] = std::string(r.subresource);
    req["requestKind"] = gvk;
    req["requestResource"] = gvr;
    if (!r.subresource.empty()) req["requestSubResource"] = std::string(r.subresource);
    const Json* meta = obj.contains("metadata") && obj["metadata"].is_object() ? &obj["metadata"] : nullptr;
    std::string name = meta != nullptr ? internal::GetString(*meta, "name") : "";
    std::string ns = meta != nullptr ? internal::GetString(*meta, "namespace") : "";
    if (!name.empty()) req["name"] = name;
    if (!ns.empty()) req["namespace"] = ns;
    req["operation"] = OperationName(op);
    req["userInfo"] = {{"username", options_.username}, {"groups", options_.groups}};
    req["object"] = object_value;
    req["oldObject"] = old_value;
    req["dryRun"] = false;
    req["options"] = {{"kind", op == AdmissionOperation::kCreate ? "CreateOptions" : "UpdateOptions"},
                      {"apiVersion", "meta.k8s.io/v1"}};
    return OJson{{"kind", "AdmissionReview"}, {"apiVersion", kReviewApiVersion}, {"request", std::move(req)}};
  }

  // The API server's answer for allowed: false (webhook's status; code at least 400).
  absl::Status Denied(const Json& response) {
    const Json* status = response.contains("status") && response["status"].is_object() ? &response["status"] : nullptr;
    std::string message = status != nullptr ? internal::GetString(*status, "message") : "";
    std::string reason = status != nullptr ? internal::GetString(*status, "reason") : "";
    int code = status != nullptr && status->contains("code") && (*status)["code"].is_number_integer()
                   ? (*status)["code"].get<int>()
                   : 0;
    if (code < 400) code = 400;
    std::string denied_by = absl::StrFormat("admission webhook \"%s\" denied the request", options_.name);
    OJson st = StatusHead();
    if (!message.empty()) {
      st["message"] = absl::StrCat(denied_by, ": ", message);
    } else if (!reason.empty()) {
      st["message"] = absl::StrCat(denied_by, ": ", reason);
    } else {
      st["message"] = absl::StrCat(denied_by, " without explanation");
    }
    if (!reason.empty()) st["reason"] = reason;
    if (status != nullptr && status->contains("details") && (*status)["details"].is_object()) {
      st["details"] = OJson::parse(internal::Dump((*status)["details"]));
    }
    st["code"] = code;
    return StatusError(st);
  }

  // A call that did not produce a verdict: failurePolicy decides.
  absl::Status CallFailed(const std::string& why) {
    if (options_.failure_policy == Options::FailurePolicy::kIgnore) return absl::OkStatus();
    return InternalError(absl::StrFormat("failed calling webhook \"%s\": %s", options_.name, why), true);
  }

  std::string NewUid() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t a = rng_(), b = rng_();
    a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
    return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                           b & 0xffffffffffffULL);
  }

  httplib::SSLClient& Client() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (client_ == nullptr) {
      client_ = std::make_unique<httplib::SSLClient>(url_.host, url_.port);
      client_->set_ca_cert_path(options_.ca_file.c_str());
      client_->enable_server_certificate_verification(true);
      auto t = std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout));
      client_->set_connection_timeout(t);
      client_->set_read_timeout(t);
      client_->set_write_timeout(t);
      client_->set_keep_alive(true);
    }
    return *client_;
  }

  const Options options_;
  const Url url_;
  const LabelSelector selector_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<httplib::SSLClient> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<AdmissionHook> RemoteAdmissionHook(RemoteAdmissionOptions options) {
  if (options.name.empty()) return absl::InvalidArgumentError("remote admission: the webhook needs a name");
  absl::StatusOr<Url> url = Url{};
  if (!options.transport) {
    if (options.ca_file.empty()) return absl::InvalidArgumentError("remote admission: a CA file is required");
    url = ParseUrl(options.url);
    if (!url.ok()) return url.status();
  }
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(options.object_selector);
  if (!selector.ok()) return selector.status();
  auto caller = std::make_shared<Caller>(std::move(options), *std::move(url), *std::move(selector));
  return AdmissionHook([caller](const Resource& r, AdmissionOperation op, std::string* object,
                                const std::string* old_object) { return caller->Admit(r, op, object, old_object); });
}

std::vector<RemoteAdmissionOptions> PhalanxWebhooks(const std::string& base_url, const std::string& ca_file) {
  using Op = AdmissionOperation;
  auto make = [&](const char* name, const char* path, bool mutating, AdmissionRule rule, bool pods,
                  Options::FailurePolicy policy) {
    RemoteAdmissionOptions o;
    o.name = name;
    o.url = base_url + path;
    o.ca_file = ca_file;
    o.mutating = mutating;
    o.rules = {std::move(rule)};
    if (pods) {
      o.object_selector = "jobset.sigs.k8s.io/jobset-name";
      o.skip_namespaces = {"kube-system"};
      o.timeout = absl::Seconds(3);
    }
    o.failure_policy = policy;
    return o;
  };
  const AdmissionRule pods{"", "pods", {Op::kCreate}};
  return {
      make("mjobset.phalanx.dev", "/mutate-jobset-x-k8s-io-v1alpha2-jobset", true,
           {"jobset.x-k8s.io", "jobsets", {Op::kCreate}}, false, Options::FailurePolicy::kFail),
      make("mpod.phalanx.dev", "/mutate--v1-pod", true, pods, true, Options::FailurePolicy::kFail),
      make("vjobset.phalanx.dev", "/validate-jobset-x-k8s-io-v1alpha2-jobset", false,
           {"jobset.x-k8s.io", "jobsets", {Op::kCreate, Op::kUpdate}}, false, Options::FailurePolicy::kFail),
      make("vpod.phalanx.dev", "/validate--v1-pod", false, pods, true, Options::FailurePolicy::kIgnore),
  };
}

absl::Status AddRemoteAdmissionHooks(MemoryCluster& cluster, const std::vector<RemoteAdmissionOptions>& webhooks) {
  std::vector<AdmissionHook> hooks;
  for (const RemoteAdmissionOptions& o : webhooks) {
    absl::StatusOr<AdmissionHook> hook = RemoteAdmissionHook(o);
    if (!hook.ok()) return hook.status();
    hooks.push_back(*std::move(hook));
  }
  for (AdmissionHook& h : hooks) cluster.AddAdmissionHook(std::move(h));
  return absl::OkStatus();
}

}  // namespace phalanx::kube
