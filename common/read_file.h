// common/read_file.h
//
// ReadFile: a whole file as bytes, with the operating system's reason when it cannot be read, e.g.
//   cannot open x.yaml: No such file or directory
//   cannot open x.yaml: Permission denied
//   cannot open /etc: Is a directory
// so every binary says why, in the same words. Never throws; thread-safe (no shared state).
// Errors: kNotFound (no such file), kPermissionDenied, kInvalidArgument (a directory, or larger than
// `max_bytes`), kUnavailable (any other I/O error).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <limits>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace phalanx {

// The status for `errno_value` met while doing `what` ("cannot open x.yaml").
inline absl::Status ErrnoStatus(int errno_value, const std::string& what) {
  const std::string message =
      absl::StrCat(what, ": ", std::error_code(errno_value, std::generic_category()).message());
  switch (errno_value) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

inline absl::StatusOr<std::string> ReadFile(
    const std::string& path, size_t max_bytes = std::numeric_limits<size_t>::max()) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  if (S_ISDIR(st.st_mode)) return ErrnoStatus(EISDIR, absl::StrCat("cannot open ", path));
  std::string text;
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= max_bytes) {
    text.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": input larger than ", max_bytes, " bytes"));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace phalanx
