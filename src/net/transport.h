// How a connection moves bytes: the seam between a connection's protocol logic (HTTP framing,
// flow control, deadlines) and what carries its bytes. PlainTransport is a TCP socket; the TLS
// transport (tls/tls_transport.h) wraps one. A connection registers fd() with its event loop and
// calls read/write when epoll says so; a transport that buffers decrypted input says so through
// has_buffered_input(), since epoll cannot see those bytes. One connection, one thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/socket.h"

namespace x0::net {

enum class IoStatus {
  kDone,        // `bytes` moved (> 0)
  kWouldBlock,  // nothing now; wait for the fd's readiness
  kEof,         // read: the peer closed its sending side
  kError,       // `error` is the errno value; the connection is unusable
};

struct IoResult {
  IoStatus status = IoStatus::kDone;
  size_t bytes = 0;
  int error = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // The descriptor to register with the event loop.
  virtual int fd() const = 0;
  virtual IoResult read(char* into, size_t capacity) = 0;
  // May move fewer bytes than offered.
  virtual IoResult write(std::string_view bytes) = 0;
  virtual IoResult writev(const iovec* parts, int count) = 0;
  // Ends our sending side after everything written (FIN; close_notify for TLS).
  virtual void shutdown_write() = 0;
  // Input already read from the socket but not yet returned by read().
  virtual bool has_buffered_input() const { return false; }
  // An idle pooled connection may carry a new request only while nothing is waiting to be read
  // and the peer has not closed: bytes an origin sends after a response must never become the
  // next request's response.
  virtual bool idle_and_open() const = 0;
  // Readiness the transport itself waits for, beyond what the connection asks: TLS may need the
  // socket writable to go on reading (a handshake flight it could not send) or readable to go
  // on writing. The connection adds these to its interest and retries both ways when they come.
  virtual uint32_t extra_events() const { return 0; }
  // Drives the handshake a transport makes before it carries bytes (TLS, on a connection the
  // node opened); kDone at once when there is none. kWouldBlock: call again when the socket
  // shows extra_events(). kError: failure() says why.
  virtual IoResult handshake() { return {}; }
  // After EPOLLIN: whether a read would return bytes or the end of the stream. Always for a
  // plain socket; TLS may have had a record of its own to take (a session ticket), and no data.
  virtual bool peer_sent_data() { return true; }
  // The bytes are encrypted on the wire (TLS): what X-Forwarded-Proto tells an origin.
  virtual bool secure() const { return false; }
  // Why the transport failed, when it knows more than an errno (TLS: OpenSSL's reason).
  virtual std::string failure() const { return {}; }
  // The peer's authenticated node identity (a mesh link, once both identity checks passed);
  // "" for any other transport.
  virtual std::string peer_identity() const { return {}; }
  // An accepted connection's deadline, from accept to its first request byte, when shorter
  // than the listener's idle timeout (0: no shorter one). A mesh link's peer proves itself at
  // once or goes: an unproven connection must not sit on the listener's budget for a minute.
  virtual int64_t setup_timeout_ms() const { return 0; }
};

// Wraps an accepted socket into its listener's transport (TLS for an HTTPS listener). Shared by
// the listener's workers: accept() is called on each worker's thread.
class TransportFactory {
 public:
  virtual ~TransportFactory() = default;
  // nullptr refuses the connection (its fd closes); the factory logs why.
  virtual std::unique_ptr<Transport> accept(Fd fd) = 0;
};

// Wraps a socket the node connected to an upstream: TLS in connect state, with the endpoint's
// server name and certificate checks, for an https:// endpoint. Shared by every worker (connect()
// runs on each worker's thread); kept alive by the endpoints that use it.
class ClientTransportFactory {
 public:
  virtual ~ClientTransportFactory() = default;
  virtual Result<std::unique_ptr<Transport>> connect(Fd fd) = 0;
};

// A non-blocking TCP socket, owned.
class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(Fd fd) : fd_(std::move(fd)) {}
  int fd() const override { return fd_.get(); }
  IoResult read(char* into, size_t capacity) override;
  IoResult write(std::string_view bytes) override;
  IoResult writev(const iovec* parts, int count) override;
  void shutdown_write() override;
  bool idle_and_open() const override;

 private:
  Fd fd_;
};

}  // namespace x0::net
