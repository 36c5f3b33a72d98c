// Upstream TLS (see client_transports.h).
#include "tls/client_transports.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include "tls/openssl_reason.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

const unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<const ClientContext>> ClientContext::build(const std::string& ca_file,
                                                                  bool verify) {
  if (auto loaded = load_pq_provider(); !loaded) return std::unexpected(loaded.error());
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) return fail(Errc::kCryptoError, "SSL_CTX_new: " + openssl_reason());
  std::shared_ptr<ClientContext> context(new ClientContext(raw, verify));
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  // The hybrid first (its key share is the one sent); an origin without it answers with a
  // HelloRetryRequest for X25519, or P-256.
  const std::string groups = std::string(kHybridGroup) + ":X25519:P-256";
  if (SSL_CTX_set1_groups_list(raw, groups.c_str()) != 1)
    return fail(Errc::kCryptoError, "upstream TLS groups " + groups + ": " + openssl_reason());
  if (verify) {
    if (ca_file.empty() ? SSL_CTX_set_default_verify_paths(raw) != 1
                        : SSL_CTX_load_verify_locations(raw, ca_file.c_str(), nullptr) != 1) {
      return fail(Errc::kConfigInvalid, (ca_file.empty() ? std::string("the system trust store")
                                                         : "tls_ca_file " + ca_file) +
                                            ": " + openssl_reason());
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  }
  if (SSL_CTX_set_alpn_protos(raw, kAlpnHttp11, sizeof kAlpnHttp11) != 0)  // 0 is success
    return fail(Errc::kCryptoError, "upstream TLS ALPN: " + openssl_reason());
  // Pooled keep-alive connections make resumption worth little here; none is cached.
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  return std::shared_ptr<const ClientContext>(std::move(context));
}

UpstreamHandshakes::UpstreamHandshakes(telemetry::Registry& registry) {
  const char* help = "TLS handshakes with upstream endpoints, by key-exchange group and result";
  auto count = [&](const char* group, const char* result) {
    return registry.counter("upstream_tls_handshakes_total", help,
                            {{"group", group}, {"result", result}});
  };
  hybrid_ok_ = count("X25519MLKEM768", "ok");
  x25519_ok_ = count("X25519", "ok");
  other_ok_ = count("other", "ok");
  failed_ = count("none", "failed");
}

void UpstreamHandshakes::on_handshake(const HandshakeOutcome& outcome, int fd) {
  if (outcome.ok) {
    (outcome.group == kHybridGroup ? hybrid_ok_
     : outcome.group == "X25519"   ? x25519_ok_
                                   : other_ok_)
        ->inc();
    return;
  }
  failed_->inc();
  failures_.record(outcome, peer_of(fd));
}

ClientTransports::ClientTransports(std::shared_ptr<const ClientContext> context,
                                   std::string server_name, HandshakeObserver* observer)
    : context_(std::move(context)),
      server_name_(std::move(server_name)),
      server_name_is_ip_(is_ip_literal(server_name_)),
      observer_(observer) {}

Result<std::unique_ptr<net::Transport>> ClientTransports::connect(net::Fd fd) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context_->get());
  if (ssl == nullptr) return fail(Errc::kCryptoError, "SSL_new: " + openssl_reason());
  SSL_set_connect_state(ssl);
  bool named = server_name_is_ip_ || SSL_set_tlsext_host_name(ssl, server_name_.c_str()) == 1;
  if (named && context_->verifies()) {
    named = server_name_is_ip_
                ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str()) == 1
                : SSL_set1_host(ssl, server_name_.c_str()) == 1;
  }
  if (!named) {
    SSL_free(ssl);
    return fail(Errc::kConfigInvalid,
                "upstream TLS server name " + server_name_ + ": " + openssl_reason());
  }
  return std::unique_ptr<net::Transport>(
      std::make_unique<TlsTransport>(std::move(fd), ssl, observer_));
}

Result<std::shared_ptr<net::ClientTransportFactory>> UpstreamTls::transports_for(
    const config::Service& service, const config::Endpoint& endpoint) {
  auto context = ClientContext::build(service.tls_ca_file, service.tls_verify);
  if (!context)
    return fail(context.error().code, "services." + service.name + " " + endpoint.to_string() +
                                          ": " + context.error().detail);
  std::string name = service.tls_server_name.empty() ? endpoint.host : service.tls_server_name;
  return std::shared_ptr<net::ClientTransportFactory>(
      std::make_shared<ClientTransports>(*std::move(context), std::move(name), &handshakes_));
}

}  // namespace x0::tls
