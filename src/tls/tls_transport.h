// TLS over one of the node's non-blocking sockets, as a net::Transport: OpenSSL's record layer
// and handshake, driven by the connection's own reads and writes (the handshake runs inside the
// first ones). WANT_READ / WANT_WRITE become kWouldBlock, and a read that needs the socket
// writable (or a write that needs it readable) says so through extra_events(). The transport
// reports its handshake once, when it ends, to the HandshakeObserver it was made with.
// OpenSSL writes to the socket with write(2): the process must ignore SIGPIPE (the node does, at
// start), or an alert sent to a peer that has gone would kill it.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "net/transport.h"

namespace x0::tls {

// How a handshake ended, for metrics and logs.
struct HandshakeOutcome {
  bool ok = false;
  std::string group;        // the negotiated key-exchange group (e.g. "X25519MLKEM768"); "" if none
  std::string reason;       // why it failed: OpenSSL's reason, or "closed" for a peer that left
  bool suspicious = false;  // a bad key share or certificate: what an attacker would send
  int64_t duration_us = 0;
};

class HandshakeObserver {
 public:
  virtual ~HandshakeObserver() = default;
  // On the connection's thread, once per connection whose handshake started.
  virtual void on_handshake(const HandshakeOutcome& outcome, int fd) = 0;
};

class TlsTransport final : public net::Transport {
 public:
  // `ssl` is in accept (server) or connect (client) state; the transport owns it and the fd.
  TlsTransport(net::Fd fd, SSL* ssl, HandshakeObserver* observer);
  ~TlsTransport() override;

  int fd() const override { return fd_.get(); }
  net::IoResult read(char* into, size_t capacity) override;
  net::IoResult write(std::string_view bytes) override;
  net::IoResult writev(const iovec* parts, int count) override;
  void shutdown_write() override;
  bool has_buffered_input() const override;
  bool idle_and_open() const override;
  uint32_t extra_events() const override { return extra_events_; }
  net::IoResult handshake() override;
  bool peer_sent_data() override;
  bool secure() const override { return true; }
  std::string failure() const override { return failure_; }

  bool handshake_done() const { return handshake_reported_ && handshake_ok_; }
  // An HTTPS listener tells a plain-HTTP client to use https:// (once, in plain HTTP); a mesh
  // listener answers nothing at all to a peer that has not proved itself.
  void answer_nothing_to_plain_http() { answer_plain_http_ = false; }
  SSL* ssl() const { return ssl_; }

 private:
  // After an SSL call: the status it maps to, and the handshake's end when this call ended it.
  net::IoResult after(int rc, size_t moved, bool reading);
  void report_handshake(bool ok, std::string reason, bool suspicious);

  net::Fd fd_;
  SSL* ssl_;
  HandshakeObserver* observer_;
  int64_t started_us_;
  uint32_t extra_events_ = 0;
  bool handshake_reported_ = false;
  bool handshake_ok_ = false;
  bool answer_plain_http_ = true;
  std::string failure_;  // the handshake's failure reason
};

// The group a finished handshake agreed on, by name ("X25519MLKEM768", "X25519", "P-256"...).
std::string negotiated_group(SSL* ssl);

}  // namespace x0::tls
