// The restart hand-over protocol, both sides (see takeover.h).
#include "app/takeover.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "net/event_loop.h"
#include "net/fd_passing.h"

namespace x0::app {
namespace {

constexpr std::string_view kHello = "x0tta6bl4 takeover 1";
constexpr std::string_view kListener = "listener ";
constexpr std::string_view kAccepted = "accepted";
constexpr std::string_view kReady = "ready ";
constexpr std::string_view kRefused = "refused ";
constexpr std::string_view kDrain = "drain";
constexpr std::string_view kDraining = "draining";
// A node has a handful of listeners per worker; more than this is not a node of ours.
constexpr size_t kMaxSockets = 4096;

int64_t now_ms() { return net::EventLoop::monotonic_ms(); }

// A passed fd must be a listening TCP socket: anything else (a file, a connected socket) is
// refused rather than served. Its bound address, as SocketAddress::to_string() prints it.
Result<std::string> listening_tcp_address(int fd) {
  int type = 0, accepting = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
    return fail(Errc::kBadResponse, "a passed fd is not a stream socket");
  len = sizeof accepting;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || accepting != 1)
    return fail(Errc::kBadResponse, "a passed socket is not listening");
  net::SocketAddress address;
  address.length = sizeof address.storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0)
    return fail(Errc::kBadResponse, std::string("getsockname: ") + std::strerror(errno));
  if (address.storage.ss_family != AF_INET && address.storage.ss_family != AF_INET6)
    return fail(Errc::kBadResponse, "a passed socket is not TCP over IP");
  return address.to_string();
}

}  // namespace

// --- The new process ---------------------------------------------------------------------

std::vector<net::Fd> InheritedListeners::share(const std::string& address, int index, int count) {
  std::vector<net::Fd> out;
  int position = 0;
  for (Socket& s : sockets_) {
    if (s.address != address) continue;
    // Positions count taken sockets too: every worker sees the same numbering.
    if (position++ % count == index && s.fd.valid()) {
      out.push_back(std::move(s.fd));
      ++taken_;
    }
  }
  return out;
}

std::vector<std::string> InheritedListeners::close_unclaimed() {
  std::vector<std::string> out;
  for (Socket& s : sockets_) {
    if (!s.fd.valid()) continue;
    out.push_back(s.listener + " " + s.address);
    s.fd.reset();
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<Takeover> Takeover::request(const std::string& socket_path, int64_t timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  Takeover t;
  auto peer = net::connect_unix_seqpacket(socket_path, deadline);
  if (!peer) return std::unexpected(peer.error());
  t.peer_ = std::move(*peer);
  // Both ways: sockets from a process of another user are not served (nor is it told anything).
  auto cred = net::peer_credentials(t.peer_.get());
  if (!cred) return std::unexpected(cred.error());
  if (cred->uid != ::geteuid())
    return fail(Errc::kConflict, "the hand-over socket " + socket_path + " is served by uid " +
                                     std::to_string(cred->uid) + ", not this user");
  if (auto sent = net::send_message(t.peer_.get(), kHello, {}, deadline); !sent)
    return std::unexpected(sent.error());
  // A node that takes the request says so at once; only then is the longer wait (for its
  // control thread and its last snapshot) worth it.
  auto accepted = net::receive_message(t.peer_.get(), std::min(deadline, now_ms() + kAnswerMs));
  if (!accepted) return std::unexpected(accepted.error());
  if (accepted->text.starts_with(kRefused))
    return fail(Errc::kConflict,
                "the running node refused: " + accepted->text.substr(kRefused.size()));
  if (accepted->text != kAccepted || !accepted->fds.empty())
    return fail(Errc::kBadResponse,
                "unexpected answer to the hand-over request: " + accepted->text.substr(0, 80));
  std::vector<InheritedListeners::Socket> sockets;
  for (;;) {
    auto message = net::receive_message(t.peer_.get(), deadline);
    if (!message) return std::unexpected(message.error());
    const std::string& text = message->text;
    if (text.starts_with(kRefused))
      return fail(Errc::kConflict, "the running node refused: " + text.substr(kRefused.size()));
    if (text.starts_with(kReady) && message->fds.empty()) {
      t.old_pid_ = static_cast<pid_t>(std::atoi(text.c_str() + kReady.size()));
      break;
    }
    if (!text.starts_with(kListener) || message->fds.empty() ||
        sockets.size() + message->fds.size() > kMaxSockets)
      return fail(Errc::kBadResponse, "unexpected hand-over message: " + text.substr(0, 80));
    for (net::Fd& fd : message->fds) {
      auto address = listening_tcp_address(fd.get());
      if (!address) return std::unexpected(address.error());
      sockets.push_back({text.substr(kListener.size()), *address, std::move(fd)});
    }
  }
  t.listeners_ = InheritedListeners(std::move(sockets));
  return t;
}

Result<void> Takeover::finish(int64_t timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  if (auto sent = net::send_message(peer_.get(), kDrain, {}, deadline); !sent) return sent;
  auto reply = net::receive_message(peer_.get(), deadline);
  if (!reply) return std::unexpected(reply.error());
  if (reply->text != kDraining)
    return fail(Errc::kBadResponse, "unexpected answer to drain: " + reply->text.substr(0, 80));
  peer_.reset();
  return {};
}

// --- The running node --------------------------------------------------------------------

Result<std::unique_ptr<TakeoverSocket>> TakeoverSocket::start(const std::string& path,
                                                              Hooks hooks) {
  auto listener = net::listen_unix_seqpacket(path);
  if (!listener) return std::unexpected(listener.error());
  std::unique_ptr<TakeoverSocket> socket(
      new TakeoverSocket(path, std::move(*listener), std::move(hooks)));
  socket->thread_ = std::thread([raw = socket.get()] { raw->serve(); });
  return socket;
}

TakeoverSocket::TakeoverSocket(std::string path, net::Fd listener, Hooks hooks)
    : path_(std::move(path)), listener_(std::move(listener)), hooks_(std::move(hooks)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
}

TakeoverSocket::~TakeoverSocket() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  // Once the sockets are on their way the path is the new process's (it binds its own there,
  // at a moment this process cannot know): leave it. Otherwise remove it if it is still ours.
  struct stat st {};
  if (!handing_over_ && ::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_)
    ::unlink(path_.c_str());
}

void TakeoverSocket::serve() {
  while (!stop_.load()) {
    if (!net::poll_until(listener_.get(), POLLIN, now_ms() + 100)) continue;
    auto peer = net::accept_unix(listener_.get());
    if (!peer) continue;
    if (handle(std::move(*peer))) return;
  }
}

Result<std::string> TakeoverSocket::receive_text(int fd, int64_t deadline_ms) {
  while (!stop_.load()) {
    int64_t slice = std::min(deadline_ms, now_ms() + 100);
    auto message = net::receive_message(fd, slice);
    if (message) {
      if (!message->fds.empty()) return fail(Errc::kBadRequest, "fds sent to the old node");
      return std::move(message->text);
    }
    if (message.error().code != Errc::kTimedOut || now_ms() >= deadline_ms)
      return std::unexpected(message.error());
  }
  return fail(Errc::kTimedOut, "the node is stopping");
}

bool TakeoverSocket::handle(net::Fd peer) {
  auto cred = net::peer_credentials(peer.get());
  if (!cred || cred->uid != ::geteuid()) {
    // The socket's mode already keeps other users out; this holds even against root.
    log::warn("SECURITY", "takeover refused: the peer is not this node's user",
              {{"peer_uid", cred ? static_cast<int64_t>(cred->uid) : -1},
               {"peer_pid", cred ? static_cast<int64_t>(cred->pid) : -1}});
    return false;
  }
  auto hello = receive_text(peer.get(), now_ms() + kHelloTimeoutMs);
  if (!hello || *hello != kHello) {
    log::warn(
        "NODE", "takeover refused: not a hand-over request",
        {{"peer_pid", cred->pid}, {"detail", hello ? "unexpected hello" : hello.error().detail}});
    (void)net::send_message(peer.get(), std::string(kRefused) + "bad request", {}, now_ms() + 100);
    return false;
  }
  log::info("NODE", "takeover requested: handing the listeners over", {{"peer_pid", cred->pid}});
  if (auto said = net::send_message(peer.get(), kAccepted, {}, now_ms() + 1000); !said)
    return false;
  auto sockets = hooks_.prepare();
  if (!sockets) {
    log::warn("NODE", "takeover refused",
              {{"peer_pid", cred->pid}, {"detail", sockets.error().detail}});
    (void)net::send_message(peer.get(), std::string(kRefused) + sockets.error().detail, {},
                            now_ms() + 1000);
    return false;
  }
  handing_over_ = true;
  // One record per listener and per kMaxFdsPerMessage of its sockets.
  int64_t deadline = now_ms() + kHelloTimeoutMs;
  Result<void> sent;
  for (size_t i = 0; i < sockets->size() && sent;) {
    const std::string& name = (*sockets)[i].listener;
    std::vector<int> fds;
    while (i < sockets->size() && (*sockets)[i].listener == name &&
           fds.size() < net::kMaxFdsPerMessage)
      fds.push_back((*sockets)[i++].fd);
    sent = net::send_message(peer.get(), std::string(kListener) + name, fds, deadline);
  }
  if (sent)
    sent = net::send_message(peer.get(), std::string(kReady) + std::to_string(::getpid()), {},
                             deadline);
  Result<std::string> reply =
      sent ? receive_text(peer.get(), now_ms() + kStartTimeoutMs) : std::unexpected(sent.error());
  if (stop_.load()) return false;  // stopping: the caller drains, the hand-over as it stands
  if (!reply || *reply != kDrain) {
    log::error("NODE", "takeover failed: the new process did not take over; this node serves on",
               {{"peer_pid", cred->pid},
                {"detail", reply ? "unexpected: " + reply->substr(0, 80) : reply.error().detail}});
    handing_over_ = false;
    hooks_.resume();
    return false;
  }
  (void)net::send_message(peer.get(), kDraining, {}, now_ms() + 1000);
  hooks_.drain(cred->pid);
  return true;
}

}  // namespace x0::app
