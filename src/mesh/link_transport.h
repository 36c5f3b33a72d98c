// A mesh link's transport: TLS (tls::TlsTransport) and then the composite identity exchange
// (link_identity.h), as one net::Transport, so HTTP on a link (SPEC section 9: membership,
// probes and forwarded requests are HTTP/1.1 under /mesh/v1/) never sees a byte before both
// identity checks passed. The client side runs both in handshake() (http::Client calls it
// before sending); the server side in its first reads. The client sends its frame first and the
// server answers with its own only once the client's verified, so the server says nothing to a
// peer that has not proved itself (a write before that is refused), and a client whose
// handshake() is done knows it was accepted.
// Each transport reports once to its LinkObserver: up, with the peer's identity and the group,
// or refused, with the reason.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "mesh/link_identity.h"
#include "mesh/link_tls.h"
#include "mesh/unproven_links.h"
#include "net/transport.h"
#include "telemetry/metrics.h"
#include "tls/tls_transport.h"

namespace x0::mesh {

inline constexpr std::string_view kHybridGroup = "X25519MLKEM768";

struct LinkOutcome {
  bool ok = false;
  LinkRole role = LinkRole::kClient;  // ours
  std::string peer_address;           // "ip:port" of the other end
  std::string group;                  // negotiated key exchange ("" if TLS failed)
  bool pq = false;                    // hybrid group and both composite identities verified
  PeerIdentity peer;                  // when ok
  RefusalReason reason = RefusalReason::kClosed;  // when not ok
  std::string detail;
  int64_t duration_us = 0;
};

class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  // On the link's thread, once per transport that began its handshake.
  virtual void on_link(const LinkOutcome& outcome) = 0;
  // On the link's thread, once per transport that was up, when a read found it closed by the
  // peer or broken, or a write found it reset: a process that dies closes all its links at
  // once, which is a hint to probe that peer now (membership decides; a benign close costs one
  // probe).
  virtual void on_link_closed(const std::string& peer_id) = 0;
};

class LinkTransport final : public net::Transport {
 public:
  // `ssl` in connect (client) or accept (server) state; `observer` outlives the transport.
  LinkTransport(net::Fd fd, SSL* ssl, LinkRole role, std::shared_ptr<const LocalIdentity> self,
                PqcMode mode, LinkObserver* observer);
  ~LinkTransport() override;

  int fd() const override { return tls_.fd(); }
  net::IoResult read(char* into, size_t capacity) override;
  net::IoResult write(std::string_view bytes) override;
  net::IoResult writev(const iovec* parts, int count) override;
  void shutdown_write() override;
  bool has_buffered_input() const override;
  bool idle_and_open() const override;
  uint32_t extra_events() const override { return ready() ? tls_.extra_events() : extra_; }
  net::IoResult handshake() override;
  bool peer_sent_data() override;
  bool secure() const override { return true; }
  std::string failure() const override { return failure_; }
  std::string peer_identity() const override { return ready() ? peer_.node_id : std::string(); }
  // The server side: TLS, the identity exchange and the first request within this, or closed.
  int64_t setup_timeout_ms() const override {
    return role_ == LinkRole::kServer ? kServerSetupTimeoutMs : 0;
  }
  static constexpr int64_t kServerSetupTimeoutMs = 5000;

  bool ready() const { return phase_ == Phase::kReady; }
  // The listener's place for this link while it sets up, given back once it is up or refused.
  void hold_while_unproven(UnprovenLinks::Ticket ticket) { setup_ticket_ = std::move(ticket); }

 private:
  enum class Phase { kTls, kSendFrame, kReadFrame, kReady, kRefused };
  // Drives TLS and the identity exchange as far as the socket allows.
  net::IoResult advance();
  net::IoResult send_frame();
  net::IoResult read_frame();
  net::IoResult refuse(RefusalReason reason, std::string detail);
  net::IoResult closed_if(net::IoResult r);
  void report(bool ok);

  tls::TlsTransport tls_;
  LinkRole role_;
  std::shared_ptr<const LocalIdentity> self_;
  PqcMode mode_;
  LinkObserver* observer_;
  int64_t started_us_;
  Phase phase_ = Phase::kTls;
  uint32_t extra_ = 0;
  std::string frame_out_;
  size_t frame_sent_ = 0;
  std::string in_;  // the peer's frame as it arrives (never more: what follows is HTTP)
  std::string group_;
  PeerIdentity peer_;
  RefusalReason reason_ = RefusalReason::kClosed;
  std::string failure_;
  bool started_ = false;  // TLS began: the socket is connected
  bool reported_ = false;
  bool closed_reported_ = false;
  std::optional<UnprovenLinks::Ticket> setup_ticket_;
};

// The mesh listener's side: each accepted socket becomes a server LinkTransport, unless its
// address already has UnprovenLinks::kMaxPerAddress links setting up: then it is closed at
// once, counted in `over_cap` (may be null) and logged under SECURITY (at most once a second).
// Any thread.
class LinkAcceptor final : public net::TransportFactory {
 public:
  LinkAcceptor(std::shared_ptr<const LinkContexts> contexts,
               std::shared_ptr<const LocalIdentity> self, LinkObserver* observer,
               telemetry::Counter* over_cap = nullptr);
  std::unique_ptr<net::Transport> accept(net::Fd fd) override;

 private:
  void refused_over_cap(const std::string& ip);
  std::shared_ptr<const LinkContexts> contexts_;
  std::shared_ptr<const LocalIdentity> self_;
  LinkObserver* observer_;
  telemetry::Counter* over_cap_;
  std::shared_ptr<UnprovenLinks> unproven_ = std::make_shared<UnprovenLinks>();
  std::atomic<int64_t> next_log_ms_{0};
  std::atomic<uint64_t> unlogged_{0};
};

// Our side of the links we open (http::Client's ClientOptions::tls).
class LinkConnector final : public net::ClientTransportFactory {
 public:
  LinkConnector(std::shared_ptr<const LinkContexts> contexts,
                std::shared_ptr<const LocalIdentity> self, LinkObserver* observer);
  Result<std::unique_ptr<net::Transport>> connect(net::Fd fd) override;

 private:
  std::shared_ptr<const LinkContexts> contexts_;
  std::shared_ptr<const LocalIdentity> self_;
  LinkObserver* observer_;
};

}  // namespace x0::mesh
