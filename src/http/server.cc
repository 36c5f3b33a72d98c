// Listening sockets, accept loop, node-wide connection budgets and the connection sweep (see
// server.h).
#include "http/server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/log.h"

namespace x0::http {

namespace {
constexpr int64_t kSweepIntervalMs = 250;

// A connection over its listener's budget is accepted, answered and closed at once rather than
// left in the kernel's backlog (nginx and HAProxy stop accepting): the backlog would keep the
// level-triggered listener readable and spin the loop, and a client would hang until its own
// timeout instead of learning why. The answer is sent before any request is read and without
// waiting for the socket to be writable (a fresh socket's send buffer is empty), best effort.
void refuse(int fd, const ConnectionBudget& budget) {
  std::string body = "{\"error\":\"connection_limit\",\"detail\":\"the " + budget.listener() +
                     " listener has its node-wide limit of " + std::to_string(budget.limit()) +
                     " connections open\"}";
  std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  // Unread request bytes at close() would turn the FIN into a reset, which can discard the 503
  // before the client reads it; drop what has already arrived.
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
}
}  // namespace

bool ConnectionBudget::log_due(int64_t now_ms) {
  int64_t last = last_refusal_log_ms_.load(std::memory_order_relaxed);
  return now_ms - last >= kRefusalLogIntervalMs &&
         last_refusal_log_ms_.compare_exchange_strong(last, now_ms, std::memory_order_relaxed);
}

class Server::Acceptor final : public net::IoHandler {
 public:
  Acceptor(Server& server, net::Fd fd, RequestHandler& handler, ConnectionBudget* budget,
           net::TransportFactory* transports)
      : server_(server),
        fd_(std::move(fd)),
        handler_(handler),
        budget_(budget),
        transports_(transports) {}
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
      net::Fd connection(fd);
      if (budget_ != nullptr && !budget_->try_take()) {
        // A TLS client could not read a plain answer: it only sees the connection close.
        if (transports_ == nullptr) refuse(connection.get(), *budget_);
        connection.reset();
        log_refusal();
        continue;
      }
      server_.adopt(std::move(connection), peer, handler_, budget_, transports_);
    }
  }

 private:
  // Counted after the connection is closed, so a refusal the metric shows has been answered.
  void log_refusal() {
    if (!budget_->log_due(net::EventLoop::monotonic_ms())) return;
    log::warn("NET", "connection limit reached: new connections answered 503 and closed",
              {{"listener", budget_->listener()}, {"limit", budget_->limit()},
               {"open", budget_->used()}, {"refused_total", budget_->refused()}});
  }

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
  // nullptr: no cap
  ConnectionBudget* budget_;
  net::TransportFactory* transports_;  // nullptr: plain TCP
  net::Fd reserve_{::open("/dev/null", O_RDONLY | O_CLOEXEC)};  // taken while fds are available
  int64_t last_shed_log_ms_ = 0;
};

Server::Server(net::EventLoop& loop, const ServerLimits& limits) : loop_(loop), limits_(limits) {
  sweep_timer_ = loop_.add_timer(kSweepIntervalMs, [this] { sweep(); });
}

Server::~Server() {
  loop_.cancel_timer(sweep_timer_);
  for (auto& acceptor : acceptors_) loop_.remove(acceptor->fd(), acceptor.get());
  // Connections destroyed with the Server never run on_closed: give their budget back here.
  for (auto& [raw, owned] : connections_) {
    if (owned.budget != nullptr) owned.budget->give_back();
  }
}

Result<void> Server::listen(const net::SocketAddress& address, RequestHandler& handler,
                            bool reuse_port, ConnectionBudget& budget,
                            net::TransportFactory* transports) {
  return add_listener(address, handler, reuse_port, &budget, transports);
}

Result<void> Server::listen(const net::SocketAddress& address, RequestHandler& handler,
                            bool reuse_port) {
  return add_listener(address, handler, reuse_port, nullptr, nullptr);
}

Result<void> Server::add_listener(const net::SocketAddress& address, RequestHandler& handler,
                                  bool reuse_port, ConnectionBudget* budget,
                                  net::TransportFactory* transports) {
  auto fd = net::listen_tcp(address, reuse_port);
  if (!fd) return std::unexpected(fd.error());
  auto acceptor = std::make_unique<Acceptor>(*this, std::move(*fd), handler, budget, transports);
  loop_.add(acceptor->fd(), EPOLLIN, acceptor.get());
  acceptors_.push_back(std::move(acceptor));
  return {};
}

void Server::adopt_listener(net::Fd listening, RequestHandler& handler, ConnectionBudget& budget,
                            net::TransportFactory* transports) {
  auto acceptor =
      std::make_unique<Acceptor>(*this, std::move(listening), handler, &budget, transports);
  loop_.add(acceptor->fd(), EPOLLIN, acceptor.get());
  acceptors_.push_back(std::move(acceptor));
}

std::vector<int> Server::listener_fds() const {
  std::vector<int> out;
  for (const auto& acceptor : acceptors_) out.push_back(acceptor->fd());
  return out;
}

// `budget` (when not null) has already been taken for this connection; it is given back when
// the connection closes.
void Server::adopt(net::Fd fd, const sockaddr_storage& peer, RequestHandler& handler,
                   ConnectionBudget* budget, net::TransportFactory* transports) {
  std::unique_ptr<net::Transport> transport;
  if (!draining_) {
    transport = transports != nullptr ? transports->accept(std::move(fd))
                                      : std::make_unique<net::PlainTransport>(std::move(fd));
  }
  if (!transport) {  // draining, or the factory refused it: the fd is closed by now
    if (budget != nullptr) budget->give_back();
    return;
  }
  auto connection = std::make_unique<ServerConnection>(
      loop_, std::move(transport), peer, handler, limits_,
      [this, budget](ServerConnection* closed) {
        connections_.erase(closed);
        if (budget != nullptr) budget->give_back();
        count_.store(connections_.size(), std::memory_order_relaxed);
      });
  accepted_.fetch_add(1, std::memory_order_relaxed);
  ServerConnection* raw = connection.get();
  connections_.emplace(raw, Owned{std::move(connection), budget});
  count_.store(connections_.size(), std::memory_order_relaxed);
  raw->start();
}

void Server::stop_accepting() {
  draining_ = true;
  for (auto& acceptor : acceptors_) {
    loop_.remove(acceptor->fd(), acceptor.get());
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
