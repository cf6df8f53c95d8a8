// common/signals.h
//
// How the long-running binaries take SIGTERM and SIGINT: blocked in every thread (call before starting
// any), so one thread can sigwait() for them and shut down in order; SIGPIPE ignored, so a peer that
// closes a connection mid-write is an error return, not the end of the process.
#pragma once

#include <signal.h>

namespace phalanx {

// Blocks SIGTERM and SIGINT in the calling thread (and threads it starts later), ignores SIGPIPE, and
// returns the set to sigwait() on.
inline sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

}  // namespace phalanx
