// An HTTPS listener's transports and handshake accounting (see server_transports.h).
#include "tls/server_transports.h"

#include "common/log.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

constexpr double kDurationBuckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,  0.5,   1.0,  5.0};

}  // namespace

ServerTransports::ServerTransports(std::string listener,
                                   std::shared_ptr<const ServerContext> context,
                                   telemetry::Registry& registry)
    : listener_(std::move(listener)), context_(std::move(context)), failures_(listener_) {
  const char* help = "TLS handshakes by listener, key-exchange group and result";
  auto count = [&](const char* group, const char* result) {
    return registry.counter("tls_handshakes_total", help,
                            {{"listener", listener_}, {"group", group}, {"result", result}});
  };
  hybrid_ok_ = count("X25519MLKEM768", "ok");
  x25519_ok_ = count("X25519", "ok");
  other_ok_ = count("other", "ok");
  failed_ = count("none", "failed");
  const char* kex_help =
      "HTTPS client handshakes by key exchange: post-quantum hybrid or classical";
  kex_hybrid_ = registry.counter("pqc_client_handshakes_total", kex_help,
                                 {{"listener", listener_}, {"kex", "hybrid"}});
  kex_classical_ = registry.counter("pqc_client_handshakes_total", kex_help,
                                    {{"listener", listener_}, {"kex", "classical"}});
  duration_ = registry.histogram("tls_handshake_duration_seconds",
                                 "Time from accept to the end of the TLS handshake",
                                 kDurationBuckets, {{"listener", listener_}});
}

std::unique_ptr<net::Transport> ServerTransports::accept(net::Fd fd) {
  std::shared_ptr<const ServerContext> context = context_.load();
  SSL* ssl = SSL_new(context->get());
  if (ssl == nullptr) {
    log::error("PQC", "SSL_new failed: connection refused", {{"listener", listener_}});
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(std::move(fd), ssl, this);
}

void ServerTransports::on_handshake(const HandshakeOutcome& outcome, int fd) {
  duration_->observe(static_cast<double>(outcome.duration_us) / 1e6);
  if (outcome.ok) {
    if (outcome.group == kHybridGroup) {
      hybrid_ok_->inc();
      kex_hybrid_->inc();
      hybrid_.fetch_add(1, std::memory_order_relaxed);
    } else {
      (outcome.group == "X25519" ? x25519_ok_ : other_ok_)->inc();
      kex_classical_->inc();
      classical_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  failed_->inc();
  failures_.record(outcome, peer_of(fd));
}

void ServerTransports::replace_context(std::shared_ptr<const ServerContext> context) {
  context_.store(std::move(context));
}

ClientHandshakes ServerTransports::client_handshakes() const {
  ClientHandshakes out;
  out.hybrid = hybrid_.load(std::memory_order_relaxed);
  out.classical = classical_.load(std::memory_order_relaxed);
  out.failed = failures_.count();
  HandshakeFailures::Last last = failures_.last();
  out.last_failure_reason = std::move(last.reason);
  out.last_failure_peer = std::move(last.peer);
  return out;
}

}  // namespace x0::tls
