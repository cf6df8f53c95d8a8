// tls/cert_reloader.h
//
// The serving certificate and key, reloaded when their files change (cert-manager and kubelet rotate
// Secret volumes in place by swapping a symlink; scripts rename new files over old ones). Installed
// into an OpenSSL SSL_CTX as a certificate callback: at every TLS handshake the files' identity (device,
// inode, size, mtime in ns) is compared with the loaded pair and, if either changed and the new pair
// loads and matches, new connections get the new certificate; existing connections keep theirs. A
// half-written rotation (key not matching the cert yet) keeps the old pair and is retried on the next
// handshake. Thread-safe: handshakes run on many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <openssl/types.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace phalanx::tls {

class CertReloader {
 public:
  // Loads the pair once; kInvalidArgument if the files cannot be read, parsed or do not match.
  static absl::StatusOr<std::unique_ptr<CertReloader>> Create(std::string cert_file,
                                                              std::string key_file);
  ~CertReloader();
  CertReloader(const CertReloader&) = delete;
  CertReloader& operator=(const CertReloader&) = delete;

  // Applies TLS >= 1.2, modern AEAD ciphers, no renegotiation, the current pair, and the per-handshake
  // reload callback to `ctx`. `this` must outlive `ctx`.
  bool ConfigureContext(SSL_CTX* ctx);

  // Reloads if the files changed. OK when nothing changed or the reload worked; the load error
  // otherwise (the old pair stays in use).
  absl::Status ReloadIfChanged();

  // Called after each successful reload (e.g. to count reloads in metrics).
  void set_on_reload(std::function<void()> f) { on_reload_ = std::move(f); }

  // Hex serial number of the certificate in use.
  std::string SerialHex() const;
  int64_t reload_count() const;

 private:
  struct FileStamp {
    uint64_t dev = 0, ino = 0;
    int64_t size = 0, mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  struct Pair;  // cert, chain, key (OpenSSL objects, freed with the Pair)

  CertReloader(std::string cert_file, std::string key_file);
  static int CertCallback(SSL* ssl, void* arg);
  static absl::StatusOr<FileStamp> Stamp(const std::string& path);
  absl::StatusOr<std::shared_ptr<const Pair>> Load() const;
  std::shared_ptr<const Pair> Current() const;

  const std::string cert_file_;
  const std::string key_file_;
  std::function<void()> on_reload_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Pair> current_ ABSL_GUARDED_BY(mu_);
  FileStamp cert_stamp_ ABSL_GUARDED_BY(mu_);
  FileStamp key_stamp_ ABSL_GUARDED_BY(mu_);
  int64_t reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace phalanx::tls
