// Listening sockets, accept loop and the connection sweep (see server.h).
#include "http/server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace x0::http {

namespace {
constexpr int64_t kSweepIntervalMs = 250;
}

class Server::Acceptor final : public net::IoHandler {
 public:
  Acceptor(Server& server, net::Fd fd, RequestHandler& handler)
      : server_(server), fd_(std::move(fd)), handler_(handler) {}
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

  void on_io(uint32_t /*events*/) override {
    // Bounded batch so one busy listener cannot starve the connections of this loop.
    for (int i = 0; i < 64 && fd_.valid(); ++i) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      int fd = ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        if (errno == EMFILE || errno == ENFILE) {
          shed_one_connection();
          return;
        }
        continue;  // ECONNABORTED and friends: the next one may be fine
      }
      server_.adopt(net::Fd(fd), peer, handler_);
    }
  }

 private:
  // Out of file descriptors: the pending connection would keep the (level-triggered) listener
  // readable and spin the loop. Free the reserve fd, accept the connection and close it at once
  // (the client sees a reset rather than a hang), take the reserve back, log once a second.
  void shed_one_connection() {
    int64_t now = net::EventLoop::monotonic_ms();
    if (now - last_shed_log_ms_ >= 1000) {
      log::error("NET", "out of file descriptors: refusing new connections",
                 {{"errno", errno}, {"open_connections", server_.connection_count()}});
      last_shed_log_ms_ = now;
    }
    reserve_.reset();
    int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) ::close(fd);
    reserve_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }

  Server& server_;
  net::Fd fd_;
  RequestHandler& handler_;
  net::Fd reserve_{::open("/dev/null", O_RDONLY | O_CLOEXEC)};  // taken while fds are available
  int64_t last_shed_log_ms_ = 0;
};

Server::Server(net::EventLoop& loop, const ServerLimits& limits, size_t max_connections)
    : loop_(loop), limits_(limits), max_connections_(max_connections) {
  sweep_timer_ = loop_.add_timer(kSweepIntervalMs, [this] { sweep(); });
}

Server::~Server() {
  loop_.cancel_timer(sweep_timer_);
  for (auto& acceptor : acceptors_) loop_.remove(acceptor->fd());
}

Result<void> Server::listen(const net::SocketAddress& address, RequestHandler& handler,
                            bool reuse_port) {
  auto fd = net::listen_tcp(address, reuse_port);
  if (!fd) return std::unexpected(fd.error());
  auto acceptor = std::make_unique<Acceptor>(*this, std::move(*fd), handler);
  loop_.add(acceptor->fd(), EPOLLIN, acceptor.get());
  acceptors_.push_back(std::move(acceptor));
  return {};
}

void Server::adopt(net::Fd fd, const sockaddr_storage& peer, RequestHandler& handler) {
  if (draining_ || connections_.size() >= max_connections_) return;  // fd closes here
  auto connection = std::make_unique<ServerConnection>(
      loop_, std::move(fd), peer, handler, limits_,
      [this](ServerConnection* closed) {
        connections_.erase(closed);
        count_.store(connections_.size(), std::memory_order_relaxed);
      });
  accepted_.fetch_add(1, std::memory_order_relaxed);
  ServerConnection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  count_.store(connections_.size(), std::memory_order_relaxed);
  raw->start();
}

void Server::stop_accepting() {
  draining_ = true;
  for (auto& acceptor : acceptors_) {
    loop_.remove(acceptor->fd());
    acceptor->close();
  }
}

void Server::close_idle_connections() {
  std::vector<ServerConnection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, owned] : connections_) all.push_back(raw);
  for (ServerConnection* c : all) c->close_when_idle();
}

size_t Server::busy_connection_count() const {
  size_t busy = 0;
  for (auto& [raw, owned] : connections_) busy += raw->in_request() ? 1 : 0;
  return busy;
}

void Server::sweep() {
  int64_t now = loop_.now_ms();
  std::vector<ServerConnection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, owned] : connections_) all.push_back(raw);
  for (ServerConnection* c : all) c->check_deadline(now);
  sweep_timer_ = loop_.add_timer(kSweepIntervalMs, [this] { sweep(); });
}

}  // namespace x0::http
