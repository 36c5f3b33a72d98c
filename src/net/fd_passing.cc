// Unix seqpacket sockets and SCM_RIGHTS (see fd_passing.h).
#include "net/fd_passing.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/event_loop.h"

namespace x0::net {
namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path)
    return fail(Errc::kBadRequest, "unix socket path must be 1.." +
                                       std::to_string(sizeof address.sun_path - 1) +
                                       " bytes: " + path);
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// Waits for `events` on fd until the deadline; kTimedOut when it passes.
Result<void> wait_for(int fd, short events, int64_t deadline_ms, const char* what) {
  for (;;) {
    int64_t left = deadline_ms - EventLoop::monotonic_ms();
    if (left <= 0) return fail(Errc::kTimedOut, std::string("timed out waiting to ") + what);
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return fail(Errc::kIoError, std::strerror(errno));
  }
}

}  // namespace

Result<Fd> listen_unix_seqpacket(const std::string& path) {
  auto address = unix_address(path);
  if (!address) return std::unexpected(address.error());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return fail(Errc::kBindFailed, path + " exists and is not a socket: not replaced");
    ::unlink(path.c_str());
  }
  Fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(Errc::kSocketFailed, std::strerror(errno));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0)
    return fail(Errc::kBindFailed, "cannot bind " + path + ": " + std::strerror(errno));
  // Before listen(): until then a connect is refused, so nobody connects under a looser mode.
  if (::chmod(path.c_str(), 0600) != 0) {
    int saved = errno;
    ::unlink(path.c_str());
    return fail(Errc::kBindFailed, "cannot chmod 0600 " + path + ": " + std::strerror(saved));
  }
  if (::listen(fd.get(), 4) != 0)
    return fail(Errc::kListenFailed, "cannot listen on " + path + ": " + std::strerror(errno));
  return fd;
}

Result<Fd> connect_unix_seqpacket(const std::string& path, int64_t deadline_ms) {
  auto address = unix_address(path);
  if (!address) return std::unexpected(address.error());
  Fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(Errc::kSocketFailed, std::strerror(errno));
  // A Unix connect either completes at once or fails with EAGAIN while the listener's backlog
  // is full (it is not EINPROGRESS: it has to be tried again).
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) == 0)
      return fd;
    if (errno != EAGAIN && errno != EINTR)
      return fail(Errc::kConnectFailed, "connect " + path + ": " + std::strerror(errno));
    if (EventLoop::monotonic_ms() >= deadline_ms)
      return fail(Errc::kTimedOut, "connect " + path + ": the listener's backlog stays full");
    ::usleep(10 * 1000);
  }
}

Result<Fd> accept_unix(int listener) {
  Fd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd.valid()) return fail(Errc::kIoError, std::string("accept: ") + std::strerror(errno));
  return fd;
}

Result<PeerCredentials> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return fail(Errc::kIoError, std::string("SO_PEERCRED: ") + std::strerror(errno));
  return PeerCredentials{cred.pid, cred.uid};
}

Result<void> send_message(int fd, std::string_view text, std::span<const int> fds,
                          int64_t deadline_ms) {
  if (text.empty() || text.size() > kMaxMessageBytes || fds.size() > kMaxFdsPerMessage)
    return fail(Errc::kBadRequest, "message of " + std::to_string(text.size()) + " bytes and " +
                                       std::to_string(fds.size()) + " fds is out of bounds");
  iovec iov{const_cast<char*>(text.data()), text.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(text.size())) return {};
    if (n >= 0) return fail(Errc::kIoError, "short send on a seqpacket socket");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return fail(Errc::kIoError, std::string("send: ") + std::strerror(errno));
    if (auto ready = wait_for(fd, POLLOUT, deadline_ms, "send"); !ready) return ready;
  }
}

Result<FdMessage> receive_message(int fd, int64_t deadline_ms) {
  char data[kMaxMessageBytes + 1];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
  for (;;) {
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto ready = wait_for(fd, POLLIN, deadline_ms, "receive"); !ready)
        return std::unexpected(ready.error());
      continue;
    }
    if (n < 0) return fail(Errc::kIoError, std::string("receive: ") + std::strerror(errno));
    FdMessage out;
    // Owned before anything is checked: a refused record closes what it carried.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int received = -1;
        std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        out.fds.emplace_back(received);
      }
    }
    if (n == 0 && out.fds.empty()) return fail(Errc::kIoError, "peer closed the connection");
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
        static_cast<size_t>(n) > kMaxMessageBytes || out.fds.size() > kMaxFdsPerMessage)
      return fail(Errc::kBadResponse, "record too long or with too many fds");
    out.text.assign(data, static_cast<size_t>(n));
    return out;
  }
}

}  // namespace x0::net
