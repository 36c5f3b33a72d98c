// TLS listener context (see server_context.h).
#include "tls/server_context.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>

#include "tls/openssl_reason.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

// Answers http/1.1 only; a client that offers ALPN without it gets no_application_protocol.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
                const unsigned char* in, unsigned int in_len, void* /*arg*/) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof kHttp11, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string rfc3339(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::string subject_of(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

}  // namespace

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<const ServerContext>> ServerContext::build(const config::Tls& settings) {
  if (auto loaded = load_pq_provider(); !loaded) return std::unexpected(loaded.error());
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) return fail(Errc::kCryptoError, "SSL_CTX_new: " + openssl_reason());
  std::shared_ptr<ServerContext> context(new ServerContext(raw));
  SSL_CTX* ctx = context->ctx_;

  SSL_CTX_set_min_proto_version(ctx,
                                settings.min_version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION);
  // A client closing without close_notify is an ordinary end of connection for HTTP/1.1 (its
  // framing detects truncation); no renegotiation (TLS 1.2 only, and an attack surface).
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1)
    return fail(Errc::kConfigInvalid,
                "tls.cert_file " + settings.cert_file + ": " + openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(Errc::kConfigInvalid,
                "tls.key_file " + settings.key_file + ": " + openssl_reason());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail(Errc::kConfigInvalid, "tls.key_file " + settings.key_file +
                                          " does not match the certificate of tls.cert_file");
  std::string groups;
  for (const std::string& g : settings.groups) {
    if (!groups.empty()) groups += ':';
    groups += g;
    if (g == kHybridGroup) context->offers_hybrid_ = true;
  }
  if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1)
    return fail(Errc::kConfigInvalid, "tls.groups " + groups + ": " + openssl_reason());
  if (!settings.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) != 1)
      return fail(Errc::kConfigInvalid,
                  "tls.ca_file " + settings.ca_file + ": " + openssl_reason());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Stateless tickets (keys per context, shared by every worker); no server-side cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (settings.session_tickets) {
    SSL_CTX_set_num_tickets(ctx, 1);
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);

  if (X509* leaf = SSL_CTX_get0_certificate(ctx)) {
    context->subject_ = subject_of(leaf);
    context->not_after_ = rfc3339(X509_get0_notAfter(leaf));
  }
  return std::shared_ptr<const ServerContext>(std::move(context));
}

}  // namespace x0::tls
