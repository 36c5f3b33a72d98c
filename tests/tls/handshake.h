// A TLS 1.3 client and server in one process over memory BIOs, for the provider's tests: a
// self-signed Ed25519 certificate, group lists per side, and a hook that sees (and may change)
// every flight in transit, as an attacker on the path would.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tls/tls_transport.h"

namespace x0::tls::testing {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Every handshake a TlsTransport reports, in order.
struct HandshakeRecorder : HandshakeObserver {
  std::vector<HandshakeOutcome> outcomes;
  void on_handshake(const HandshakeOutcome& outcome, int /*fd*/) override {
    outcomes.push_back(outcome);
  }
};
using Ssl = std::unique_ptr<SSL, SslFree>;

// A self-signed Ed25519 certificate for CN=localhost and its key, made once.
struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};
inline const Identity& test_identity() {
  static const Identity identity = [] {
    Identity id;
    id.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    id.cert = X509_new();
    X509_set_version(id.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(id.cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(id.cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(id.cert), 3600);
    X509_NAME* name = X509_get_subject_name(id.cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(id.cert, name);
    X509_set_pubkey(id.cert, id.key);
    X509_sign(id.cert, id.key, nullptr);  // Ed25519: no separate digest
    return id;
  }();
  return identity;
}

inline SslCtx make_ctx(bool server, const char* groups) {
  SslCtx ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  if (SSL_CTX_set1_groups_list(ctx.get(), groups) != 1) return nullptr;
  if (server) {
    SSL_CTX_use_certificate(ctx.get(), test_identity().cert);
    SSL_CTX_use_PrivateKey(ctx.get(), test_identity().key);
  }
  return ctx;
}

// Which way a flight goes, for the tamper hook.
enum class Direction { kToServer, kToClient };
using Tamper = std::function<void(Direction, std::string& flight)>;

struct HandshakeResult {
  bool client_ok = false, server_ok = false;
  Ssl client, server;
  std::string client_error, server_error;  // OpenSSL's reason strings of the failing side
  int flights_to_server = 0;
};

inline std::string drain(BIO* bio) {
  std::string out;
  char buf[16384];
  for (;;) {
    int n = BIO_read(bio, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

inline std::string last_error() {
  unsigned long e = ERR_get_error();
  std::string reason;
  while (e != 0) {
    const char* r = ERR_reason_error_string(e);
    if (r != nullptr) reason = r;  // the first queued is the root cause; keep the last seen too
    e = ERR_get_error();
  }
  return reason;
}

// Steps both sides until both finish or one fails (at most 20 round trips).
inline HandshakeResult handshake(const char* client_groups, const char* server_groups,
                                 Tamper tamper = nullptr) {
  HandshakeResult r;
  SslCtx cctx = make_ctx(false, client_groups), sctx = make_ctx(true, server_groups);
  if (!cctx || !sctx) {
    r.client_error = "context: " + last_error();
    return r;
  }
  r.client.reset(SSL_new(cctx.get()));
  r.server.reset(SSL_new(sctx.get()));
  // Each side reads from its own "in" BIO and writes to its own "out" BIO; we carry the bytes.
  BIO* c_in = BIO_new(BIO_s_mem());
  BIO* c_out = BIO_new(BIO_s_mem());
  BIO* s_in = BIO_new(BIO_s_mem());
  BIO* s_out = BIO_new(BIO_s_mem());
  SSL_set_bio(r.client.get(), c_in, c_out);
  SSL_set_bio(r.server.get(), s_in, s_out);
  SSL_set_connect_state(r.client.get());
  SSL_set_accept_state(r.server.get());
  bool client_failed = false, server_failed = false;
  for (int round = 0; round < 20 && !(r.client_ok && r.server_ok); ++round) {
    if (!r.client_ok && !client_failed) {
      int rc = SSL_do_handshake(r.client.get());
      if (rc == 1) r.client_ok = true;
      else if (SSL_get_error(r.client.get(), rc) != SSL_ERROR_WANT_READ) {
        client_failed = true;
        r.client_error = last_error();
      }
    }
    std::string to_server = drain(c_out);
    if (!to_server.empty()) {
      ++r.flights_to_server;
      if (tamper) tamper(Direction::kToServer, to_server);
      BIO_write(s_in, to_server.data(), static_cast<int>(to_server.size()));
    }
    if (!r.server_ok && !server_failed) {
      int rc = SSL_do_handshake(r.server.get());
      if (rc == 1) r.server_ok = true;
      else if (SSL_get_error(r.server.get(), rc) != SSL_ERROR_WANT_READ) {
        server_failed = true;
        r.server_error = last_error();
      }
    }
    std::string to_client = drain(s_out);
    if (!to_client.empty()) {
      if (tamper) tamper(Direction::kToClient, to_client);
      BIO_write(c_in, to_client.data(), static_cast<int>(to_client.size()));
    }
    if (to_server.empty() && to_client.empty() && (client_failed || server_failed)) break;
  }
  // The client finishes first in TLS 1.3; let it read the server's last flight (tickets).
  return r;
}

// The first offset of `pattern` in `bytes`, or npos.
inline size_t find_bytes(const std::string& bytes, std::initializer_list<unsigned char> pattern) {
  return bytes.find(std::string(pattern.begin(), pattern.end()));
}

}  // namespace x0::tls::testing
