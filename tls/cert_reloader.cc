#include "tls/cert_reloader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace phalanx::tls {
namespace {

// TLS 1.2 suites: forward-secret AEAD only. TLS 1.3 suites are OpenSSL's defaults (all AEAD).
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

}  // namespace

struct CertReloader::Pair {
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EVP_PKEY* key = nullptr;
  std::string serial_hex;
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

CertReloader::CertReloader(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

CertReloader::~CertReloader() = default;

absl::StatusOr<std::unique_ptr<CertReloader>> CertReloader::Create(std::string cert_file,
                                                                   std::string key_file) {
  std::unique_ptr<CertReloader> r(new CertReloader(std::move(cert_file), std::move(key_file)));
  auto cert_stamp = Stamp(r->cert_file_);
  if (!cert_stamp.ok()) return cert_stamp.status();
  auto key_stamp = Stamp(r->key_file_);
  if (!key_stamp.ok()) return key_stamp.status();
  auto pair = r->Load();
  if (!pair.ok()) return pair.status();
  absl::MutexLock lock(&r->mu_);
  r->current_ = *std::move(pair);
  r->cert_stamp_ = *cert_stamp;
  r->key_stamp_ = *key_stamp;
  return r;
}

absl::StatusOr<CertReloader::FileStamp> CertReloader::Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

absl::StatusOr<std::shared_ptr<const CertReloader::Pair>> CertReloader::Load() const {
  auto pair = std::make_shared<Pair>();
  BIO* cert_bio = BIO_new_file(cert_file_.c_str(), "r");
  if (cert_bio == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file_, ": ", OpenSslError()));
  }
  pair->cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  if (pair->cert != nullptr) {
    pair->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr)) {
      sk_X509_push(pair->chain, extra);
    }
    ERR_clear_error();  // the loop ends on "no start line"
  }
  BIO_free(cert_bio);
  if (pair->cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file_, ": no PEM certificate: ",
                                                   OpenSslError()));
  }
  BIO* key_bio = BIO_new_file(key_file_.c_str(), "r");
  if (key_bio == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key_file_, ": ", OpenSslError()));
  }
  pair->key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (pair->key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key_file_, ": no PEM private key: ",
                                                   OpenSslError()));
  }
  if (X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_file_, ": private key does not match certificate ", cert_file_));
  }
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(pair->cert), nullptr)) {
    char* hex = BN_bn2hex(bn);
    pair->serial_hex = hex;
    OPENSSL_free(hex);
    BN_free(bn);
  }
  return std::shared_ptr<const Pair>(std::move(pair));
}

std::shared_ptr<const CertReloader::Pair> CertReloader::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status CertReloader::ReloadIfChanged() {
  auto cert_stamp = Stamp(cert_file_);
  if (!cert_stamp.ok()) return cert_stamp.status();
  auto key_stamp = Stamp(key_file_);
  if (!key_stamp.ok()) return key_stamp.status();
  {
    absl::MutexLock lock(&mu_);
    if (*cert_stamp == cert_stamp_ && *key_stamp == key_stamp_) return absl::OkStatus();
  }
  auto pair = Load();
  if (!pair.ok()) return pair.status();
  {
    absl::MutexLock lock(&mu_);
    current_ = *std::move(pair);
    cert_stamp_ = *cert_stamp;
    key_stamp_ = *key_stamp;
    ++reloads_;
  }
  if (on_reload_) on_reload_();
  return absl::OkStatus();
}

int CertReloader::CertCallback(SSL* ssl, void* arg) {
  auto* self = static_cast<CertReloader*>(arg);
  // A failed reload keeps serving the previous pair; the next handshake retries.
  (void)self->ReloadIfChanged();
  std::shared_ptr<const Pair> pair = self->Current();
  if (SSL_use_certificate(ssl, pair->cert) != 1) return 0;
  if (SSL_use_PrivateKey(ssl, pair->key) != 1) return 0;
  if (SSL_set1_chain(ssl, pair->chain) != 1) return 0;
  return 1;
}

bool CertReloader::ConfigureContext(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return false;
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_COMPRESSION);
  std::shared_ptr<const Pair> pair = Current();
  if (SSL_CTX_use_certificate(ctx, pair->cert) != 1) return false;
  if (SSL_CTX_use_PrivateKey(ctx, pair->key) != 1) return false;
  SSL_CTX_set_cert_cb(ctx, &CertReloader::CertCallback, this);
  return true;
}

std::string CertReloader::SerialHex() const { return Current()->serial_hex; }

int64_t CertReloader::reload_count() const {
  absl::MutexLock lock(&mu_);
  return reloads_;
}

}  // namespace phalanx::tls
