// TLS to upstreams: an `https://` endpoint's connections (docs/TLS.md, "Upstream TLS").
//  - ClientContext: one OpenSSL client context per trust setting (a CA file, or the system
//    store; or no verification at all, which an operator must ask for), offering the hybrid
//    X25519MLKEM768 first, then X25519; TLS 1.2 or 1.3 (origins are often older than clients);
//    no renegotiation.
//  - ClientTransports: an endpoint's net::ClientTransportFactory: each socket becomes a
//    TlsTransport in connect state with the endpoint's server name as SNI and as the name its
//    certificate must carry (an IP literal is checked against the certificate's IP addresses
//    and sent without SNI, as RFC 6066 says).
//  - UpstreamHandshakes: counts them, upstream_tls_handshakes_total{group,result}, and logs
//    failures (a certificate that does not verify also under SECURITY).
//  - UpstreamTls: what a route build asks for an https:// endpoint's transports.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "net/transport.h"
#include "telemetry/metrics.h"
#include "tls/handshake_failures.h"
#include "tls/tls_transport.h"

namespace x0::tls {

class ClientContext {
 public:
  // ca_file empty: the system's trust store. verify false: any certificate is accepted.
  static Result<std::shared_ptr<const ClientContext>> build(const std::string& ca_file,
                                                            bool verify);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  SSL_CTX* get() const { return ctx_; }
  bool verifies() const { return verify_; }

 private:
  ClientContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  SSL_CTX* ctx_;
  bool verify_;
};

class UpstreamHandshakes final : public HandshakeObserver {
 public:
  explicit UpstreamHandshakes(telemetry::Registry& registry);
  void on_handshake(const HandshakeOutcome& outcome, int fd) override;
  const HandshakeFailures& failures() const { return failures_; }

 private:
  telemetry::Counter* hybrid_ok_;
  telemetry::Counter* x25519_ok_;
  telemetry::Counter* other_ok_;
  telemetry::Counter* failed_;
  HandshakeFailures failures_{"upstream"};
};

class ClientTransports final : public net::ClientTransportFactory {
 public:
  // `server_name`: a DNS name or an IP literal. `observer` outlives every transport made.
  ClientTransports(std::shared_ptr<const ClientContext> context, std::string server_name,
                   HandshakeObserver* observer);
  Result<std::unique_ptr<net::Transport>> connect(net::Fd fd) override;

 private:
  std::shared_ptr<const ClientContext> context_;
  std::string server_name_;
  bool server_name_is_ip_;
  HandshakeObserver* observer_;
};

// The node's upstream TLS. Outlives every route table (endpoints keep its transports, which
// report to its handshake counters).
class UpstreamTls {
 public:
  explicit UpstreamTls(telemetry::Registry& registry) : handshakes_(registry) {}
  // A new context per call: a route build re-reads the service's CA file.
  Result<std::shared_ptr<net::ClientTransportFactory>> transports_for(
      const config::Service& service, const config::Endpoint& endpoint);
  const HandshakeFailures& failures() const { return handshakes_.failures(); }

 private:
  UpstreamHandshakes handshakes_;
};

}  // namespace x0::tls
