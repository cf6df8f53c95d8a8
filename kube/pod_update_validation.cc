#include "kube/pod_update_validation.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kube/errors.h"
#include "kube/internal/json.h"
#include "kube/internal/pod_update_validation.h"

namespace phalanx::kube {
namespace {

using internal::Json;
using Errors = std::vector<PodFieldError>;

constexpr char kRequiredTermsPath[] =
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
constexpr char kUpdatableFields[] =
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

PodFieldError Invalid(std::string field, std::string value, std::string detail) {
  return {PodFieldError::Type::kInvalid, std::move(field), std::move(value), std::move(detail)};
}
PodFieldError Forbidden(std::string field, std::string detail) {
  return {PodFieldError::Type::kForbidden, std::move(field), "", std::move(detail)};
}
PodFieldError Required(std::string field, std::string detail) {
  return {PodFieldError::Type::kRequired, std::move(field), "", std::move(detail)};
}

// obj[key] when obj is an object and the member is present and not null; else nullptr.
const Json* Get(const Json* obj, const char* key) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  auto it = obj->find(key);
  if (it == obj->end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* GetPath(const Json* obj, std::initializer_list<const char*> keys) {
  for (const char* k : keys) obj = Get(obj, k);
  return obj;
}

bool IsEmptyValue(const Json& j) {
  return j.is_null() || ((j.is_array() || j.is_object()) && j.empty());
}

// Drops null, [] and {} members (recursively), so that "absent", null and empty compare equal.
Json Normalize(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      Json n = Normalize(v);
      if (!IsEmptyValue(n)) out[k] = std::move(n);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const Json& v : j) out.push_back(Normalize(v));
    return out;
  }
  return j;
}

// JSON as Go's encoding/json writes it (the API server prints values that way): <, > and & escaped.
std::string GoJson(const Json& j) {
  std::string s = internal::Dump(j);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Quoted(const Json* j) {
  if (j == nullptr) return "\"\"";
  return GoJson(*j);
}

size_t ArraySize(const Json* j) { return j != nullptr && j->is_array() ? j->size() : 0; }

// The API server prints node selector terms from its internal types, which have no JSON tags: Go field
// names, and null for a missing list.
Json GoRequirements(const Json* reqs) {
  if (reqs == nullptr || !reqs->is_array()) return nullptr;
  Json out = Json::array();
  for (const Json& r : *reqs) {
    const Json* values = Get(&r, "values");
    out.push_back({{"Key", Get(&r, "key") != nullptr ? *Get(&r, "key") : Json("")},
                   {"Operator", Get(&r, "operator") != nullptr ? *Get(&r, "operator") : Json("")},
                   {"Values", values != nullptr ? *values : Json(nullptr)}});
  }
  return out;
}

Json GoTerm(const Json* term) {
  return {{"MatchExpressions", GoRequirements(Get(term, "matchExpressions"))},
          {"MatchFields", GoRequirements(Get(term, "matchFields"))}};
}

Json GoTerms(const Json* terms) {
  if (terms == nullptr || !terms->is_array()) return nullptr;
  Json out = Json::array();
  for (const Json& t : *terms) out.push_back(GoTerm(&t));
  return out;
}

// matchFields of one node selector term: key metadata.name, operator In/NotIn with one value.
void ValidateTermFields(const Json& term, const std::string& path, Errors* errs) {
  const Json* fields = Get(&term, "matchFields");
  for (size_t j = 0; j < ArraySize(fields); ++j) {
    const Json& req = (*fields)[j];
    std::string base = absl::StrCat(path, ".matchFields[", j, "]");
    std::string op = internal::GetString(req, "operator");
    if (op == "In" || op == "NotIn") {
      if (ArraySize(Get(&req, "values")) != 1) {
        errs->push_back(Required(absl::StrCat(base, ".values"),
                                 "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
      }
    } else {
      errs->push_back(Invalid(absl::StrCat(base, ".operator"), Quoted(Get(&req, "operator")),
                              "not a valid selector operator"));
    }
    if (internal::GetString(req, "key") != "metadata.name") {
      errs->push_back(Invalid(absl::StrCat(base, ".key"), Quoted(Get(&req, "key")), "not a valid field selector key"));
    }
  }
}

void ValidateNodeFieldSelectors(const Json* spec, Errors* errs) {
  const Json* na = GetPath(spec, {"affinity", "nodeAffinity"});
  const Json* terms = GetPath(na, {"requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  for (size_t i = 0; i < ArraySize(terms); ++i) {
    ValidateTermFields((*terms)[i], absl::StrCat(kRequiredTermsPath, "[", i, "]"), errs);
  }
  const Json* preferred = Get(na, "preferredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < ArraySize(preferred); ++i) {
    if (const Json* pref = Get(&(*preferred)[i], "preference")) {
      ValidateTermFields(*pref,
                         absl::StrCat("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[",
                                      i, "].preference"),
                         errs);
    }
  }
}

// Containers may not be added or removed; images may change but not to "". True = stop validating.
bool ValidateContainers(const Json& nspec, const Json& ospec, const char* key, Errors* errs) {
  const Json* n = Get(&nspec, key);
  const Json* o = Get(&ospec, key);
  if (ArraySize(n) != ArraySize(o)) {
    errs->push_back(Forbidden(absl::StrCat("spec.", key), "pod updates may not add or remove containers"));
    return true;
  }
  for (size_t i = 0; i < ArraySize(n); ++i) {
    if (internal::GetString((*n)[i], "image").empty()) {
      errs->push_back(Required(absl::StrCat("spec.", key, "[", i, "].image"), ""));
    }
  }
  return false;
}

// True = stop validating (the API server returns at once on these).
bool ValidateActiveDeadline(const Json& nspec, const Json& ospec, Errors* errs) {
  const Json* n = Get(&nspec, "activeDeadlineSeconds");
  const Json* o = Get(&ospec, "activeDeadlineSeconds");
  constexpr char kField[] = "spec.activeDeadlineSeconds";
  if (n != nullptr) {
    if (!n->is_number_integer() || n->get<int64_t>() < 0 || n->get<int64_t>() > INT32_MAX) {
      errs->push_back(Invalid(kField, GoJson(*n), "must be between 0 and 2147483647, inclusive"));
      return true;
    }
    if (o != nullptr && o->is_number_integer() && o->get<int64_t>() < n->get<int64_t>()) {
      errs->push_back(Invalid(kField, GoJson(*n), "must be less than or equal to previous value"));
      return true;
    }
  } else if (o != nullptr) {
    errs->push_back(Invalid(kField, "null", "must not update from a positive integer to nil value"));
  }
  return false;
}

void ValidateTolerations(const Json& nspec, const Json& ospec, Errors* errs) {
  const Json* n = Get(&nspec, "tolerations");
  const Json* o = Get(&ospec, "tolerations");
  // The specs are normalized already; only tolerationSeconds is left out of the comparison.
  auto strip = [](const Json& t) {
    Json c = t;
    if (c.is_object()) c.erase("tolerationSeconds");
    return c;
  };
  std::vector<Json> have;
  for (size_t j = 0; j < ArraySize(n); ++j) have.push_back(strip((*n)[j]));
  for (size_t i = 0; i < ArraySize(o); ++i) {
    Json want = strip((*o)[i]);
    bool found = false;
    for (size_t j = 0; j < have.size() && !found; ++j) found = have[j] == want;
    if (!found) {
      errs->push_back(Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
      return;
    }
  }
}

void ValidateGates(const Json& nspec, const Json& ospec, Errors* errs) {
  const Json* n = Get(&nspec, "schedulingGates");
  const Json* o = Get(&ospec, "schedulingGates");
  std::set<std::string> old_names;
  for (size_t i = 0; i < ArraySize(o); ++i) old_names.insert(internal::GetString((*o)[i], "name"));
  std::set<std::string> reported;
  for (size_t i = 0; i < ArraySize(n); ++i) {
    std::string name = internal::GetString((*n)[i], "name");
    if (old_names.count(name) > 0 || !reported.insert(name).second) continue;
    errs->push_back(Forbidden(absl::StrCat("spec.schedulingGates[", i, "].name"),
                              absl::StrCat("only deletion is allowed, but found new scheduling gate '", name, "'")));
  }
}

// Old requirements unchanged, in order, at the front; an empty term gets nothing.
bool TermOnlyAdds(const Json* nterm, const Json* oterm) {
  const Json* ne = Get(nterm, "matchExpressions");
  const Json* nf = Get(nterm, "matchFields");
  const Json* oe = Get(oterm, "matchExpressions");
  const Json* of = Get(oterm, "matchFields");
  if (ArraySize(oe) == 0 && ArraySize(of) == 0 && (ArraySize(ne) > 0 || ArraySize(nf) > 0)) return false;
  for (auto [n, o] : {std::pair{ne, oe}, std::pair{nf, of}}) {
    size_t l = ArraySize(o);
    if (l == 0) continue;
    if (ArraySize(n) < l) return false;
    for (size_t i = 0; i < l; ++i) {
      if (Normalize((*n)[i]) != Normalize((*o)[i])) return false;
    }
  }
  return true;
}

// `raw_new_spec` is only used to print the offending value the way the API server does.
void ValidateNodeAffinityMutation(const Json* new_na, const Json* old_na, const Json& raw_new_spec, Errors* errs) {
  const Json* old_req = Get(old_na, "requiredDuringSchedulingIgnoredDuringExecution");
  if (old_req == nullptr) return;
  const Json* old_terms = Get(old_req, "nodeSelectorTerms");
  const Json* new_terms = GetPath(new_na, {"requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  if (ArraySize(old_terms) == 0) return;
  const Json* raw_terms = GetPath(&raw_new_spec, {"affinity", "nodeAffinity",
                                                  "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  if (ArraySize(old_terms) != ArraySize(new_terms)) {
    errs->push_back(Invalid(kRequiredTermsPath, GoJson(GoTerms(raw_terms)),
                            "no additions/deletions to non-empty NodeSelectorTerms list are allowed"));
    return;
  }
  for (size_t i = 0; i < ArraySize(old_terms); ++i) {
    if (TermOnlyAdds(&(*new_terms)[i], &(*old_terms)[i])) continue;
    const Json* raw = i < ArraySize(raw_terms) ? &(*raw_terms)[i] : nullptr;
    errs->push_back(Invalid(absl::StrCat(kRequiredTermsPath, "[", i, "]"), GoJson(GoTerm(raw)),
                            "only additions are allowed (no mutations or deletions)"));
  }
}

// Sets obj[key] to a copy of from[key], or erases it when `from` lacks it.
void CopyMember(Json* obj, const Json& from, const char* key) {
  if (const Json* v = Get(&from, key)) {
    (*obj)[key] = *v;
  } else {
    obj->erase(key);
  }
}

std::string SpecDiff(const Json& old_spec, const Json& new_spec) {
  std::set<std::string> keys;
  for (const auto& [k, v] : old_spec.items()) keys.insert(k);
  for (const auto& [k, v] : new_spec.items()) keys.insert(k);
  std::string out;
  for (const std::string& k : keys) {
    const Json* o = Get(&old_spec, k.c_str());
    const Json* n = Get(&new_spec, k.c_str());
    if (o != nullptr && n != nullptr && *o == *n) continue;
    if (o != nullptr) absl::StrAppend(&out, "- \"", k, "\": ", GoJson(*o), "\n");
    if (n != nullptr) absl::StrAppend(&out, "+ \"", k, "\": ", GoJson(*n), "\n");
  }
  return out;
}

absl::StatusOr<Json> ParsePod(absl::string_view text, const char* which) {
  absl::StatusOr<Json> j = internal::ParseJson(text);
  if (!j.ok() || !j->is_object()) return absl::InvalidArgumentError(absl::StrCat(which, " is not a JSON object"));
  return j;
}

// Moves the spec out of a parsed pod ({} when missing).
Json TakeSpec(Json* pod) {
  auto it = pod->find("spec");
  if (it == pod->end() || !it->is_object()) return Json::object();
  return std::move(*it);
}

}  // namespace

std::string PodFieldError::Reason() const {
  switch (type) {
    case Type::kInvalid: return "FieldValueInvalid";
    case Type::kForbidden: return "FieldValueForbidden";
    case Type::kRequired: return "FieldValueRequired";
  }
  return "";
}

std::string PodFieldError::Body() const {
  std::string s;
  switch (type) {
    case Type::kInvalid: s = absl::StrCat("Invalid value: ", value); break;
    case Type::kForbidden: s = "Forbidden"; break;
    case Type::kRequired: s = "Required value"; break;
  }
  if (!detail.empty()) absl::StrAppend(&s, ": ", detail);
  return s;
}

std::string PodFieldError::ToString() const { return absl::StrCat(field, ": ", Body()); }

std::vector<PodFieldError> ValidatePodCreate(absl::string_view pod_json) {
  absl::StatusOr<Json> pod = ParsePod(pod_json, "pod");
  if (!pod.ok()) return {Invalid("<body>", "", std::string(pod.status().message()))};
  return internal::ValidatePodSpecCreate(TakeSpec(&*pod));
}

std::vector<PodFieldError> ValidatePodUpdate(absl::string_view old_pod_json, absl::string_view new_pod_json) {
  absl::StatusOr<Json> old_pod = ParsePod(old_pod_json, "old pod");
  absl::StatusOr<Json> new_pod = ParsePod(new_pod_json, "new pod");
  if (!old_pod.ok()) return {Invalid("<body>", "", std::string(old_pod.status().message()))};
  if (!new_pod.ok()) return {Invalid("<body>", "", std::string(new_pod.status().message()))};
  return internal::ValidatePodSpecUpdate(TakeSpec(&*old_pod), TakeSpec(&*new_pod));
}

namespace internal {

std::vector<PodFieldError> ValidatePodSpecCreate(const Json& spec) {
  Errors errs;
  ValidateNodeFieldSelectors(&spec, &errs);
  return errs;
}

std::vector<PodFieldError> ValidatePodSpecUpdate(const Json& old_spec, const Json& new_spec) {
  static const Json kEmpty = Json::object();
  const Json& raw_new = new_spec.is_object() ? new_spec : kEmpty;
  Json nspec = Normalize(raw_new);
  const Json ospec = Normalize(old_spec.is_object() ? old_spec : kEmpty);

  Errors errs;
  ValidateNodeFieldSelectors(&raw_new, &errs);
  if (ValidateContainers(nspec, ospec, "containers", &errs)) return errs;
  if (ValidateContainers(nspec, ospec, "initContainers", &errs)) return errs;
  if (ValidateActiveDeadline(nspec, ospec, &errs)) return errs;
  ValidateTolerations(nspec, ospec, &errs);
  ValidateGates(nspec, ospec, &errs);
  if (nspec == ospec) return errs;

  // Take the fields that may change back to their old values; what differs afterwards is forbidden.
  Json munged = std::move(nspec);
  for (const char* key : {"containers", "initContainers"}) {
    Json* list = munged.contains(key) ? &munged[key] : nullptr;
    const Json* old_list = Get(&ospec, key);
    for (size_t i = 0; list != nullptr && list->is_array() && i < list->size() && i < ArraySize(old_list); ++i) {
      if ((*list)[i].is_object() && (*old_list)[i].is_object()) CopyMember(&(*list)[i], (*old_list)[i], "image");
    }
  }
  for (const char* key : {"activeDeadlineSeconds", "schedulingGates", "tolerations"}) CopyMember(&munged, ospec, key);
  const Json* old_grace = Get(&ospec, "terminationGracePeriodSeconds");
  const Json* new_grace = Get(&munged, "terminationGracePeriodSeconds");
  if (old_grace != nullptr && old_grace->is_number_integer() && old_grace->get<int64_t>() < 0 && new_grace != nullptr &&
      new_grace->is_number_integer() && new_grace->get<int64_t>() == 1) {
    munged["terminationGracePeriodSeconds"] = *old_grace;
  }

  if (ArraySize(Get(&ospec, "schedulingGates")) > 0) {
    const Json* new_sel = Get(&munged, "nodeSelector");
    const Json* old_sel = Get(&ospec, "nodeSelector");
    if ((new_sel == nullptr) != (old_sel == nullptr) || (new_sel != nullptr && *new_sel != *old_sel)) {
      if (old_sel != nullptr && old_sel->is_object()) {
        for (const auto& [k, v] : old_sel->items()) {
          const Json* nv = Get(new_sel, k.c_str());
          if (nv == nullptr || *nv != v) {
            errs.push_back(Invalid("spec.nodeSelector", new_sel != nullptr ? GoJson(*new_sel) : "null",
                                   "only additions to spec.nodeSelector are allowed (no mutations or deletions)"));
            break;
          }
        }
      }
      CopyMember(&munged, ospec, "nodeSelector");
    }
    const Json* old_na = GetPath(&ospec, {"affinity", "nodeAffinity"});
    const Json* new_na = GetPath(&munged, {"affinity", "nodeAffinity"});
    if ((old_na == nullptr) != (new_na == nullptr) || (old_na != nullptr && *old_na != *new_na)) {
      ValidateNodeAffinityMutation(new_na, old_na, raw_new, &errs);
      Json old_na_copy = old_na != nullptr ? *old_na : Json(nullptr);
      if (!munged.contains("affinity") || !munged["affinity"].is_object()) munged["affinity"] = Json::object();
      munged["affinity"]["nodeAffinity"] = std::move(old_na_copy);
      munged = Normalize(munged);
    }
  }

  if (munged != ospec) {
    errs.push_back(Forbidden("spec", absl::StrCat(kUpdatableFields, "\n", SpecDiff(ospec, munged))));
  }
  return errs;
}

}  // namespace internal

absl::Status PodInvalidError(absl::string_view pod_name, const std::vector<PodFieldError>& errors) {
  std::vector<std::string> messages;
  std::set<std::string> seen;
  nlohmann::ordered_json causes = nlohmann::ordered_json::array();
  for (const PodFieldError& e : errors) {
    std::string m = e.ToString();
    if (seen.insert(m).second) messages.push_back(m);
    causes.push_back({{"reason", e.Reason()}, {"message", e.Body()}, {"field", e.field}});
  }
  std::string aggregate =
      messages.size() == 1 ? messages[0] : absl::StrCat("[", absl::StrJoin(messages, ", "), "]");
  std::string message = absl::StrCat("Pod \"", pod_name, "\" is invalid: ", aggregate);
  nlohmann::ordered_json st = {{"kind", "Status"},
                               {"apiVersion", "v1"},
                               {"metadata", nlohmann::ordered_json::object()},
                               {"status", "Failure"},
                               {"message", message},
                               {"reason", "Invalid"},
                               {"details", {{"name", std::string(pod_name)}, {"kind", "Pod"}, {"causes", causes}}},
                               {"code", 422}};
  absl::Status s(absl::StatusCode::kInvalidArgument, message);
  s.SetPayload(kStatusPayloadUrl,
               absl::Cord(st.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
  return s;
}

}  // namespace phalanx::kube
