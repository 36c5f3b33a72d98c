// Socket helpers (see socket.h).
#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/event_loop.h"

namespace x0::net {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string peer_ip(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return text;
}

bool is_loopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string SocketAddress::to_string() const {
  uint16_t port = 0;
  if (storage.ss_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  std::string ip = peer_ip(storage);
  if (storage.ss_family == AF_INET6) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(port);
}

Result<SocketAddress> resolve(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  int rc = getaddrinfo(bare.c_str(), std::to_string(port).c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return fail(Errc::kResolveFailed, "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  SocketAddress address;
  std::memcpy(&address.storage, result->ai_addr, result->ai_addrlen);
  address.length = result->ai_addrlen;
  freeaddrinfo(result);
  return address;
}

Result<Fd> listen_tcp(const SocketAddress& address, bool reuse_port, int backlog) {
  Fd fd(socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(Errc::kSocketFailed, std::strerror(errno));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return fail(Errc::kBindFailed,
                "cannot bind " + address.to_string() + ": " + std::strerror(errno));
  }
  if (listen(fd.get(), backlog) != 0) {
    return fail(Errc::kListenFailed,
                "cannot listen on " + address.to_string() + ": " + std::strerror(errno));
  }
  return fd;
}

Result<Fd> connect_tcp(const SocketAddress& address, const SocketAddress* source) {
  Fd fd(socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(Errc::kSocketFailed, std::strerror(errno));
  set_nodelay(fd.get());
  if (source != nullptr &&
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&source->storage), source->length) != 0)
    return fail(Errc::kConnectFailed, "bind to " + source->to_string() + " for " +
                                          address.to_string() + ": " + std::strerror(errno));
  int rc = connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length);
  if (rc != 0 && errno != EINPROGRESS) {
    return fail(Errc::kConnectFailed,
                "connect " + address.to_string() + ": " + std::strerror(errno));
  }
  return fd;
}

bool poll_until(int fd, short events, int64_t deadline_ms) {
  int64_t left = deadline_ms - EventLoop::monotonic_ms();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) == 1;
}

int connect_result(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace x0::net
