// tests/testing/child_process.h
//
// A server binary under test, run as a child process: started with argv, its stdout read line by line
// (servers print their bound ports there when started with port 0), stopped with SIGTERM, and killed
// if a test ends without stopping it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace phalanx::testing {

class ChildProcess {
 public:
  // argv[0] is the binary's path. On failure to start, ReadLine() returns "" at once.
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of the child's stdout without its newline; "" at end of stream or after `timeout`.
  std::string ReadLine(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Sends SIGTERM and waits up to `timeout`: the exit code (128 + signal when killed by one), or -1.
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool exited_ = false;
};

}  // namespace phalanx::testing
