#include "cli/input.h"

#include <iterator>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "api/document.h"
#include "api/jobset_codec.h"
#include "cli/commands.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "common/strings.h"

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
    "  simulate --cluster FILE --workload FILE [-o json] [--svg FILE] [--without-gangs | --compare]\n"
    "                                                  run the whole system on a simulated cluster: when\n"
    "                                                  each JobSet started and finished, where it ran,\n"
    "                                                  utilisation, invariants, and a picture\n"
    "  version                                         the version and git commit of this build\n"
    "\n"
    "'phalanx <command> --help' describes one command. FILE is YAML or JSON; '-' reads standard input.\n"
    "exit codes: 0 ok, 1 invalid input (one error per line on stderr), 2 usage error\n";

constexpr char kFooter[] =
    "\n"
    "FILE is YAML or JSON; '-' reads standard input.\n"
    "exit codes: 0 ok, 1 invalid input (one error per line on stderr), 2 usage error\n";

constexpr char kDefaultUsage[] =
    "usage: phalanx default -f FILE [-o json|yaml]\n"
    "\n"
    "Prints the JobSet as a cluster would store it on creation: the schema's defaults, then the\n"
    "webhook's.\n"
    "\n"
    "flags:\n"
    "  -f, --filename FILE  the JobSet\n"
    "  -o, --output FORMAT  yaml (the default) or json\n"
    "  -h, --help           this help\n";

constexpr char kValidateUsage[] =
    "usage: phalanx validate -f FILE [--old FILE]\n"
    "\n"
    "Validates the JobSet as the webhook does on creation or, with --old, on an update of the stored\n"
    "JobSet OLD. Prints \"jobset NAME is valid\", or each error on its own line on stderr.\n"
    "\n"
    "flags:\n"
    "  -f, --filename FILE  the JobSet\n"
    "      --old FILE       the stored JobSet the update starts from\n"
    "  -h, --help           this help\n";

constexpr char kExpandUsage[] =
    "usage: phalanx expand -f FILE [--restarts N] [-o json|yaml]\n"
    "\n"
    "Prints the child Jobs and the headless Service the controller creates for the JobSet, as a v1\n"
    "List.\n"
    "\n"
    "flags:\n"
    "  -f, --filename FILE  the JobSet\n"
    "      --restarts N     the JobSet's restart count (default 0): the Jobs of attempt N\n"
    "  -o, --output FORMAT  yaml (the default) or json\n"
    "  -h, --help           this help\n";

constexpr char kPlanUsage[] =
    "usage: phalanx plan --cluster FILE -f FILE [-f FILE...] [-o json]\n"
    "                    [--topology KEY1,KEY2,...]... [--topology-file FILE]\n"
    "\n"
    "Reserves domains for the JobSets' gangs, in order, on a cluster, with the placement engine of\n"
    "phalanx-extender. Prints each child Job's reserved domain, or why its gang waits.\n"
    "\n"
    "flags:\n"
    "      --cluster FILE        a v1 List of Nodes and Pods (kubectl get nodes,pods -A -o yaml), and\n"
    "                            any Kueue Topology objects\n"
    "  -f, --filename FILE       a JobSet; repeat for several, planned in order\n"
    "  -o, --output FORMAT       text (the default) or json\n"
    "      --topology KEYS       one chain of node label keys, coarse to fine, comma-separated;\n"
    "                            repeat for several\n"
    "      --topology-file FILE  YAML or JSON: {chains: [[KEY1, KEY2], ...]}\n"
    "  -h, --help                this help\n";

constexpr char kSimulateUsage[] =
    "usage: phalanx simulate --cluster FILE --workload FILE [-o text|json] [--svg FILE]\n"
    "                        [--without-gangs | --compare] [--seed N] [--max-time DURATION]\n"
    "\n"
    "Runs the webhook, controller, planner and extender in-process on a simulated cluster, with an\n"
    "emulated Job controller, kube-scheduler and kubelets, on a virtual clock. Prints, per JobSet, when it\n"
    "arrived, waited, started and finished, its restarts and where it ran; utilisation and fragmentation\n"
    "over time; and the invariants checked after every step. The same inputs and seed give the same output.\n"
    "\n"
    "flags:\n"
    "      --cluster FILE        a generated shape (kind: Cluster, apiVersion sim.phalanx.dev/v1alpha1) or a\n"
    "                            dump: kubectl get nodes,pods -A -o yaml (its running pods keep their place)\n"
    "  -w, --workload FILE       JobSet manifests (a YAML stream), annotated sim.phalanx.dev/arrival (e.g. 5m)\n"
    "                            and sim.phalanx.dev/duration (each pod's run time, default 10m), plus\n"
    "                            kind: Fault documents (pod and node failures)\n"
    "  -o, --output FORMAT       text (the default) or json\n"
    "      --svg FILE            write the picture: one row per domain, time across\n"
    "      --without-gangs       Phalanx's placement off: pods scheduled one by one\n"
    "      --compare             run with and without gangs, and show both\n"
    "      --seed N              the seed for generated names and uids (default 1)\n"
    "      --max-time DURATION   stop the run at this virtual time (default 168h)\n"
    "  -v                        the components' log lines on stderr\n"
    "  -h, --help                this help\n";

constexpr char kVersionUsage[] =
    "usage: phalanx version\n"
    "\n"
    "Prints the version and the git commit this build was made from (also: phalanx --version).\n";

}  // namespace

std::string_view UsageText() { return kUsageText; }

std::string CommandUsage(std::string_view command) {
  if (command == "version") return kVersionUsage;
  std::string_view text;
  if (command == "default") text = kDefaultUsage;
  if (command == "validate") text = kValidateUsage;
  if (command == "expand") text = kExpandUsage;
  if (command == "plan") text = kPlanUsage;
  if (command == "simulate") text = kSimulateUsage;
  if (text.empty()) return "";
  return absl::StrCat(AsAbsl(text), kFooter);
}

absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in) {
  if (path != "-") return ReadFile(path, api::kMaxDocumentBytes);
  std::string text(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{});
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
