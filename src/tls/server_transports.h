// An HTTPS listener's side of TLS: wraps each accepted socket in a TlsTransport on the
// listener's current ServerContext, and counts every handshake when it ends:
//   tls_handshakes_total{listener,group,result}   tls_handshake_duration_seconds{listener}
//   pqc_client_handshakes_total{listener,kex="hybrid"|"classical"}
// A failure is logged by HandshakeFailures (handshake_failures.h).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "net/transport.h"
#include "telemetry/metrics.h"
#include "tls/handshake_failures.h"
#include "tls/server_context.h"
#include "tls/tls_transport.h"

namespace x0::tls {

// What /security/pqc/status shows of a listener's clients.
struct ClientHandshakes {
  uint64_t hybrid = 0, classical = 0, failed = 0;
  std::string last_failure_reason, last_failure_peer;
};

class ServerTransports final : public net::TransportFactory, public HandshakeObserver {
 public:
  ServerTransports(std::string listener, std::shared_ptr<const ServerContext> context,
                   telemetry::Registry& registry);

  std::unique_ptr<net::Transport> accept(net::Fd fd) override;
  void on_handshake(const HandshakeOutcome& outcome, int fd) override;

  // Any thread: new connections use `context` from now on (SIGHUP's certificate reload).
  void replace_context(std::shared_ptr<const ServerContext> context);
  std::shared_ptr<const ServerContext> context() const { return context_.load(); }
  ClientHandshakes client_handshakes() const;

 private:
  const std::string listener_;
  std::atomic<std::shared_ptr<const ServerContext>> context_;
  telemetry::Counter* hybrid_ok_;
  telemetry::Counter* x25519_ok_;
  telemetry::Counter* other_ok_;
  telemetry::Counter* failed_;
  telemetry::Counter* kex_hybrid_;
  telemetry::Counter* kex_classical_;
  telemetry::Histogram* duration_;
  std::atomic<uint64_t> hybrid_{0}, classical_{0};
  HandshakeFailures failures_;
};

}  // namespace x0::tls
