// A TLS listener's OpenSSL context, built from `[tls]`: certificate and key, the key-exchange
// groups (the hybrid X25519MLKEM768 first by default), TLS 1.3 only unless asked, ALPN
// http/1.1, stateless session tickets, optional client certificates. Immutable once built: a
// reload builds a new one and the listener swaps it in (connections keep the one they began on).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace x0::tls {

class ServerContext {
 public:
  // Loads the provider first (once per process). Errors name the file or setting at fault.
  static Result<std::shared_ptr<const ServerContext>> build(const config::Tls& settings);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // The leaf certificate, for logs and status: subject and notAfter (RFC 3339, UTC).
  const std::string& subject() const { return subject_; }
  const std::string& not_after() const { return not_after_; }
  bool offers_hybrid() const { return offers_hybrid_; }

 private:
  explicit ServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string subject_, not_after_;
  bool offers_hybrid_ = false;
};

}  // namespace x0::tls
