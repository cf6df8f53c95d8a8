// phalanx-webhook: the admission webhook for JobSets and their pods.
//
//   phalanx-webhook --tls-cert-file=tls.crt --tls-private-key-file=tls.key [--port=9443]
//                   [--bind-address=0.0.0.0] [--health-probe-bind-address=:8081]
//                   [--cert-dir=DIR (tls.crt + tls.key)] [--max-request-bytes=N]
//                   [--read-timeout=SECONDS] [--write-timeout=SECONDS]
//                   [--shutdown-grace-period=SECONDS] [-v] [--version]
//
// Prints "listening on <address>:<port>" as its first line on stdout once the socket is bound (with
// --port=0 the kernel picks the port), then serves until SIGTERM or SIGINT: it stops accepting, lets
// in-flight requests finish, and exits at the latest after the grace period (idle keep-alive
// connections are then cut).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "webhook/server.h"

namespace {

constexpr char kUsage[] =
    "usage: phalanx-webhook --tls-cert-file=FILE --tls-private-key-file=FILE [--port=9443]\n"
    "       [--bind-address=0.0.0.0] [--health-probe-bind-address=:8081] [--cert-dir=DIR]\n"
    "       [--max-request-bytes=N] [--read-timeout=SECONDS] [--write-timeout=SECONDS]\n"
    "       [--shutdown-grace-period=SECONDS] [-v] [--version]\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "phalanx-webhook: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using phalanx::webhook::ServerOptions;
  ServerOptions options;
  std::string cert_dir;
  int64_t grace_seconds = 10;
  absl::StatusOr<phalanx::CommandLine> command_line = phalanx::ParseCommandLine(
      argc, argv,
      {"port", "bind-address", "tls-cert-file", "tls-private-key-file", "cert-dir", "health-probe-bind-address",
       "max-request-bytes", "read-timeout", "write-timeout", "shutdown-grace-period"});
  if (!command_line.ok()) return Usage(std::string(command_line.status().message()));
  if (command_line->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", phalanx::VersionLine("phalanx-webhook").c_str());
    return 0;
  }
  if (command_line->verbose) phalanx::log::SetMinLevel(phalanx::log::Level::kDebug);
  for (const auto& [name, value] : command_line->flags) {
    int64_t n = 0;
    if (name == "port") {
      if (!absl::SimpleAtoi(value, &n) || n < 0 || n > 65535) return Usage("bad --port");
      options.port = int(n);
    } else if (name == "bind-address") {
      options.bind_address = value;
    } else if (name == "tls-cert-file") {
      options.tls_cert_file = value;
    } else if (name == "tls-private-key-file") {
      options.tls_private_key_file = value;
    } else if (name == "cert-dir") {
      cert_dir = value;
    } else if (name == "health-probe-bind-address") {
      options.health_probe_bind_address = value;
    } else if (name == "max-request-bytes") {
      if (!absl::SimpleAtoi(value, &n) || n < 1024) return Usage("bad --max-request-bytes");
      options.max_request_bytes = size_t(n);
    } else if (name == "read-timeout") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return Usage("bad --read-timeout");
      options.read_timeout = absl::Seconds(n);
    } else if (name == "write-timeout") {
      if (!absl::SimpleAtoi(value, &n) || n < 1) return Usage("bad --write-timeout");
      options.write_timeout = absl::Seconds(n);
    } else if (name == "shutdown-grace-period") {
      if (!absl::SimpleAtoi(value, &grace_seconds) || grace_seconds < 0) {
        return Usage("bad --shutdown-grace-period");
      }
    }
  }
  if (!cert_dir.empty()) {
    if (options.tls_cert_file.empty()) options.tls_cert_file = cert_dir + "/tls.crt";
    if (options.tls_private_key_file.empty()) options.tls_private_key_file = cert_dir + "/tls.key";
  }
  if (options.tls_cert_file.empty() || options.tls_private_key_file.empty()) {
    return Usage("--tls-cert-file and --tls-private-key-file (or --cert-dir) are required");
  }

  PHALANX_LOG(kInfo, "phalanx-webhook starting",
              {{"version", phalanx::Version()}, {"commit", phalanx::GitCommit()}});
  // Signals go to one waiting thread; every other thread (started below) inherits the mask.
  sigset_t signals = phalanx::BlockTerminationSignals();

  auto server = phalanx::webhook::Server::Start(options);
  if (!server.ok()) {
    PHALANX_LOG(kError, "cannot start", {{"error", std::string(server.status().message())}});
    return 1;
  }
  std::printf("listening on %s:%d\n", (*server)->bind_address().c_str(), (*server)->port());
  if ((*server)->probe_port() > 0) {
    std::printf("health probes on %s:%d\n", (*server)->probe_bind_address().c_str(),
                (*server)->probe_port());
  }
  std::fflush(stdout);
  PHALANX_LOG(kInfo, "serving", {{"port", (*server)->port()}, {"probe_port", (*server)->probe_port()}});

  phalanx::webhook::Server* raw = server->get();
  absl::Mutex mu;
  bool run_returned = false;
  std::thread waiter([&, raw, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    PHALANX_LOG(kInfo, "shutting down", {{"signal", sig}});
    raw->Stop();
    // Workers finish in-flight requests; an idle keep-alive connection would otherwise hold its
    // worker until the keep-alive timeout.
    absl::MutexLock lock(&mu);
    if (!mu.AwaitWithTimeout(absl::Condition(&run_returned), absl::Seconds(grace_seconds))) {
      PHALANX_LOG(kWarning, "grace period over, exiting", {{"seconds", grace_seconds}});
      std::fflush(nullptr);
      std::_Exit(0);
    }
  });
  absl::Status status = raw->Run();
  {
    absl::MutexLock lock(&mu);
    run_returned = true;
  }
  if (!status.ok()) {
    PHALANX_LOG(kError, "server failed", {{"error", std::string(status.message())}});
    // Wake the waiter so the process can exit.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  PHALANX_LOG(kInfo, "stopped");
  return 0;
}
