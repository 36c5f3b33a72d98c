// Plain TCP transport (see transport.h).
#include "net/transport.h"

#include <sys/socket.h>

#include <cerrno>

namespace x0::net {
namespace {

IoResult from_syscall(ssize_t n) {
  if (n > 0) return {IoStatus::kDone, static_cast<size_t>(n), 0};
  if (n == 0) return {IoStatus::kEof, 0, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWouldBlock, 0, 0};
  return {IoStatus::kError, 0, errno};
}

}  // namespace

IoResult PlainTransport::read(char* into, size_t capacity) {
  for (;;) {
    ssize_t n = ::recv(fd_.get(), into, capacity, 0);
    if (n < 0 && errno == EINTR) continue;
    return from_syscall(n);
  }
}

IoResult PlainTransport::write(std::string_view bytes) {
  for (;;) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return {IoStatus::kWouldBlock, 0, 0};
    return from_syscall(n);
  }
}

IoResult PlainTransport::writev(const iovec* parts, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    ssize_t n = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return {IoStatus::kWouldBlock, 0, 0};
    return from_syscall(n);
  }
}

void PlainTransport::shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }

bool PlainTransport::idle_and_open() const {
  char byte;
  ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace x0::net
