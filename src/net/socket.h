// Thin RAII and helpers over non-blocking TCP sockets on Linux.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>

#include "common/result.h"

namespace x0::net {

// Owns a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string to_string() const;  // "127.0.0.1:8080"
};

// Resolves "host" + port (numeric IPv4/IPv6 or a name, at start-up / reload only: blocking).
Result<SocketAddress> resolve(const std::string& host, uint16_t port);

// Non-blocking listening socket with SO_REUSEADDR, and SO_REUSEPORT when reuse_port is set so
// each worker can own its own accept queue.
Result<Fd> listen_tcp(const SocketAddress& address, bool reuse_port, int backlog = 4096);

// Starts a non-blocking connect; the caller waits for EPOLLOUT and then calls connect_result().
// `source` (port 0): the local address to connect from (a mesh node's own address, so peers
// and firewalls see which node it is); null: the kernel's choice.
Result<Fd> connect_tcp(const SocketAddress& address, const SocketAddress* source = nullptr);
// 0 when the pending connect succeeded, else the errno value.
int connect_result(int fd);
// For the few blocking clients off the event loops (smoke checks, cache warming): waits until
// fd is ready for `events` (POLLIN/POLLOUT) or the monotonic deadline passes (false).
bool poll_until(int fd, short events, int64_t deadline_ms);

void set_nodelay(int fd);
// Peer IP as text ("127.0.0.1"), for X-Forwarded-For and loopback trust.
std::string peer_ip(const sockaddr_storage& address);
bool is_loopback(const sockaddr_storage& address);

}  // namespace x0::net
