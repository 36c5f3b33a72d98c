// Mesh link transport (see link_transport.h).
#include "mesh/link_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "tls/handshake_failures.h"

namespace x0::mesh {
namespace {

int64_t now_us() { return monotonic_ns() / 1000; }

// "ip:port" of the other end (tls::peer_of gives the IP only; links are known by ip:port).
std::string address_of(int fd) {
  net::SocketAddress address;
  address.length = sizeof address.storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0)
    return "unknown";
  return address.to_string();
}

// What the per-address cap counts a connection under: its IPv4 address, or its IPv6 /64 (one
// host commonly holds a whole /64, so single IPv6 addresses would be no cap at all).
std::string cap_key(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return "unknown";
  if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
    if (!IN6_IS_ADDR_V4MAPPED(&in6)) {
      in6_addr prefix{};
      std::memcpy(&prefix, &in6, 8);
      char text[INET6_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET6, &prefix, text, sizeof text);
      return std::string(text) + "/64";
    }
  }
  return tls::peer_of(fd);
}

SSL* new_ssl(SSL_CTX* ctx, bool server) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  return ssl;
}

}  // namespace

LinkTransport::LinkTransport(net::Fd fd, SSL* ssl, LinkRole role,
                             std::shared_ptr<const LocalIdentity> self, PqcMode mode,
                             LinkObserver* observer)
    : tls_(std::move(fd), ssl, nullptr),
      role_(role),
      self_(std::move(self)),
      mode_(mode),
      observer_(observer),
      started_us_(now_us()) {
  tls_.answer_nothing_to_plain_http();
}

LinkTransport::~LinkTransport() {
  // A connection that never reached TLS (refused, timed out) is a dead peer, not a refusal.
  if (!reported_ && started_) {
    reason_ = RefusalReason::kClosed;
    failure_ = "the connection closed before the identity exchange ended";
    report(false);
  }
}

void LinkTransport::report(bool ok) {
  if (reported_) return;
  reported_ = true;
  setup_ticket_.reset();
  if (observer_ == nullptr) return;
  LinkOutcome outcome;
  outcome.ok = ok;
  outcome.role = role_;
  outcome.peer_address = address_of(tls_.fd());
  outcome.group = group_;
  outcome.pq = ok && group_ == kHybridGroup;
  outcome.peer = peer_;
  outcome.reason = reason_;
  outcome.detail = failure_;
  outcome.duration_us = now_us() - started_us_;
  observer_->on_link(outcome);
}

net::IoResult LinkTransport::refuse(RefusalReason reason, std::string detail) {
  phase_ = Phase::kRefused;
  reason_ = reason;
  failure_ = std::move(detail);
  extra_ = 0;
  report(false);
  return {net::IoStatus::kError, 0, EPROTO};
}

net::IoResult LinkTransport::advance() {
  started_ = true;
  if (phase_ == Phase::kTls) {
    net::IoResult r = tls_.handshake();
    if (r.status == net::IoStatus::kWouldBlock) {
      extra_ = tls_.extra_events() != 0 ? tls_.extra_events() : uint32_t{EPOLLIN};
      return r;
    }
    if (r.status != net::IoStatus::kDone) {
      // Closed before any TLS record (a port scan, a TCP health check, a peer that died): a
      // dead connection, not a refusal; nothing is counted or logged.
      std::string why = tls_.failure();
      bool closed = why.empty() || why.find("closed") != std::string::npos;
      if (closed && SSL_get_state(tls_.ssl()) == TLS_ST_BEFORE) {
        started_ = false;
        phase_ = Phase::kRefused;
        reported_ = true;
        return {net::IoStatus::kError, 0, ECONNRESET};
      }
      return refuse(closed ? RefusalReason::kClosed : RefusalReason::kTls,
                    closed ? "the peer closed during the TLS handshake" : "TLS handshake: " + why);
    }
    group_ = tls::negotiated_group(tls_.ssl());
    if (mode_ == PqcMode::kRequired && group_ != kHybridGroup)
      return refuse(RefusalReason::kClassicalRefused,
                    "key exchange " + group_ + " is not X25519MLKEM768 ([pqc] mode = required)");
    // The client proves itself first; the server answers with its own frame only once the
    // client's verified, so a client whose handshake() is done knows it was accepted.
    phase_ = role_ == LinkRole::kClient ? Phase::kSendFrame : Phase::kReadFrame;
  }
  if (phase_ == Phase::kReadFrame) {
    if (net::IoResult r = read_frame(); r.status != net::IoStatus::kDone) return r;
    phase_ = role_ == LinkRole::kClient ? Phase::kReady : Phase::kSendFrame;
  }
  if (phase_ == Phase::kSendFrame) {
    if (frame_out_.empty() && frame_sent_ == 0) {
      auto frame = make_identity_frame(tls_.ssl(), *self_, role_);
      if (!frame) return refuse(RefusalReason::kTls, "our identity frame: " + frame.error().detail);
      frame_out_ = *std::move(frame);
    }
    if (net::IoResult r = send_frame(); r.status != net::IoStatus::kDone) return r;
    phase_ = role_ == LinkRole::kClient ? Phase::kReadFrame : Phase::kReady;
    if (phase_ == Phase::kReadFrame) return advance();
  }
  if (phase_ == Phase::kRefused) return {net::IoStatus::kError, 0, EPROTO};
  if (phase_ == Phase::kReady && !reported_) {
    extra_ = 0;
    report(true);
  }
  return {};
}

net::IoResult LinkTransport::send_frame() {
  while (frame_sent_ < frame_out_.size()) {
    net::IoResult r = tls_.write(std::string_view(frame_out_).substr(frame_sent_));
    if (r.status == net::IoStatus::kWouldBlock) {
      extra_ = tls_.extra_events() != 0 ? tls_.extra_events() : uint32_t{EPOLLOUT};
      return r;
    }
    if (r.status != net::IoStatus::kDone)
      return refuse(RefusalReason::kClosed,
                    "sending our identity: " + std::string(std::strerror(r.error)));
    frame_sent_ += r.bytes;
  }
  frame_out_.clear();
  frame_out_.shrink_to_fit();
  return {};
}

net::IoResult LinkTransport::read_frame() {
  char buf[4096];
  for (;;) {
    auto span = std::span(reinterpret_cast<const uint8_t*>(in_.data()), in_.size());
    auto size = identity_frame_size(span);
    if (!size) return refuse(RefusalReason::kMalformedFrame, size.error().detail);
    if (*size != 0 && in_.size() >= *size) {
      auto peer =
          verify_identity_frame(tls_.ssl(), *self_, role_, span.first(*size), unix_seconds());
      if (!peer) return refuse(peer.error().reason, peer.error().detail);
      peer_ = *std::move(peer);
      in_.clear();
      return {};
    }
    // Read no further than the frame: what follows it is HTTP, returned by read().
    size_t want = *size == 0 ? kIdentityFrameHeaderSize - in_.size() : *size - in_.size();
    net::IoResult r = tls_.read(buf, std::min(want, sizeof buf));
    if (r.status == net::IoStatus::kWouldBlock) {
      extra_ = EPOLLIN | tls_.extra_events();
      return r;
    }
    if (r.status == net::IoStatus::kEof)
      return refuse(RefusalReason::kClosed, "the peer closed before sending its identity");
    if (r.status != net::IoStatus::kDone)
      return refuse(RefusalReason::kClosed,
                    "reading the peer's identity: " + std::string(std::strerror(r.error)));
    in_.append(buf, r.bytes);
  }
}

net::IoResult LinkTransport::handshake() { return ready() ? net::IoResult{} : advance(); }

net::IoResult LinkTransport::read(char* into, size_t capacity) {
  if (!ready()) {
    net::IoResult r = advance();
    if (r.status != net::IoStatus::kDone) return r;
  }
  return closed_if(tls_.read(into, capacity));
}

net::IoResult LinkTransport::write(std::string_view bytes) {
  if (!ready()) return {net::IoStatus::kError, 0, EPERM};  // nothing for an unproven peer
  return closed_if(tls_.write(bytes));
}

net::IoResult LinkTransport::writev(const iovec* parts, int count) {
  if (!ready()) return {net::IoStatus::kError, 0, EPERM};
  return closed_if(tls_.writev(parts, count));
}

// A proven link found closed by its peer or broken, by a read (end of file, an error) or by a
// write (a reset: the peer died while we answered it, and no read will come): reported once.
net::IoResult LinkTransport::closed_if(net::IoResult r) {
  if ((r.status == net::IoStatus::kEof || r.status == net::IoStatus::kError) && !closed_reported_) {
    closed_reported_ = true;
    if (observer_ != nullptr) observer_->on_link_closed(peer_.node_id);
  }
  return r;
}

void LinkTransport::shutdown_write() { tls_.shutdown_write(); }

bool LinkTransport::has_buffered_input() const { return tls_.has_buffered_input(); }

bool LinkTransport::idle_and_open() const { return ready() && tls_.idle_and_open(); }

bool LinkTransport::peer_sent_data() { return !ready() || tls_.peer_sent_data(); }

LinkAcceptor::LinkAcceptor(std::shared_ptr<const LinkContexts> contexts,
                           std::shared_ptr<const LocalIdentity> self, LinkObserver* observer,
                           telemetry::Counter* over_cap)
    : contexts_(std::move(contexts)),
      self_(std::move(self)),
      observer_(observer),
      over_cap_(over_cap) {}

std::unique_ptr<net::Transport> LinkAcceptor::accept(net::Fd fd) {
  std::string ip = cap_key(fd.get());
  auto ticket = unproven_->take(ip);
  if (!ticket) {
    refused_over_cap(ip);
    return nullptr;  // closes the socket
  }
  SSL* ssl = new_ssl(contexts_->server(), true);
  if (ssl == nullptr) return nullptr;
  auto link = std::make_unique<LinkTransport>(std::move(fd), ssl, LinkRole::kServer, self_,
                                              contexts_->mode(), observer_);
  link->hold_while_unproven(*std::move(ticket));
  return link;
}

void LinkAcceptor::refused_over_cap(const std::string& ip) {
  if (over_cap_ != nullptr) over_cap_->inc();
  int64_t now = now_us() / 1000;
  int64_t due = next_log_ms_.load(std::memory_order_relaxed);
  if (now < due || !next_log_ms_.compare_exchange_strong(due, now + 1000)) {
    unlogged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  log::warn("SECURITY",
            "mesh listener: too many connections from one address still proving themselves; "
            "closed at once",
            {{"peer", ip},
             {"in_setup", UnprovenLinks::kMaxPerAddress},
             {"refused_since_last_line", unlogged_.exchange(0)}});
}

LinkConnector::LinkConnector(std::shared_ptr<const LinkContexts> contexts,
                             std::shared_ptr<const LocalIdentity> self, LinkObserver* observer)
    : contexts_(std::move(contexts)), self_(std::move(self)), observer_(observer) {}

Result<std::unique_ptr<net::Transport>> LinkConnector::connect(net::Fd fd) {
  SSL* ssl = new_ssl(contexts_->client(), false);
  if (ssl == nullptr) return fail(Errc::kCryptoError, "SSL_new failed");
  return std::unique_ptr<net::Transport>(std::make_unique<LinkTransport>(
      std::move(fd), ssl, LinkRole::kClient, self_, contexts_->mode(), observer_));
}

}  // namespace x0::mesh
