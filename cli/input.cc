#include "cli/input.h"

#include <fstream>
#include <iterator>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "api/document.h"
#include "api/jobset_codec.h"
#include "cli/commands.h"
#include "common/status_macros.h"

namespace phalanx::cli {
namespace {

constexpr char kUsageText[] =
    "usage: phalanx <command> [flags]\n"
    "\n"
    "commands:\n"
    "  default  -f FILE [-o json|yaml]                 print the JobSet as defaulted on creation\n"
    "  validate -f FILE [--old FILE]                   create (or, with --old, update) validation\n"
    "  expand   -f FILE [--restarts N] [-o json|yaml]  the child Jobs and Service, as a v1 List\n"
    "  plan     --cluster FILE -f FILE [-f FILE...] [-o json]\n"
    "           [--topology KEY1,KEY2,...]... [--topology-file FILE]\n"
    "                                                  reserve domains for the JobSets' gangs, in order,\n"
    "                                                  on a cluster (a v1 List of Nodes and Pods, and\n"
    "                                                  any Kueue Topology objects); each --topology is\n"
    "                                                  one chain of node label keys, coarse to fine;\n"
    "                                                  --topology-file holds chains: [[KEY1, KEY2], ...]\n"
    "\n"
    "FILE is YAML or JSON; '-' reads standard input.\n"
    "exit codes: 0 ok, 1 invalid input (one error per line on stderr), 2 usage error\n";

}  // namespace

std::string_view UsageText() { return kUsageText; }

absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return absl::NotFoundError(absl::StrCat("cannot open ", path));
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  if (text.size() > api::kMaxDocumentBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": input larger than ", api::kMaxDocumentBytes, " bytes"));
  }
  return text;
}

absl::StatusOr<api::JobSet> LoadJobSet(const std::string& path, std::istream& in) {
  PHALANX_ASSIGN_OR_RETURN(std::string text, ReadInput(path, in));
  auto json = api::ParseSingleDocument(text);
  if (!json.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", json.status().message()));
  auto js = api::DecodeJobSet(*json);
  if (!js.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", js.status().message()));
  return js;
}

int Fail(std::ostream& err, const absl::Status& status, const std::string& prefix) {
  err << "error: " << (prefix.empty() ? "" : prefix + ": ") << status.message() << "\n";
  return kExitInvalid;
}

int UsageError(std::ostream& err, const std::string& message) {
  err << "error: " << message << "\n\n" << kUsageText;
  return kExitUsage;
}

}  // namespace phalanx::cli
