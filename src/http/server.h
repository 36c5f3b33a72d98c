// Accepts connections on one worker's listening sockets and owns their ServerConnections.
// A worker has one Server; each listening socket has its own RequestHandler (data plane,
// health port, metrics port) and its own ConnectionBudget, a node-wide cap shared with the same
// listener's sockets on the other workers. Idle and slow connections are swept on a timer.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/quota.h"
#include "common/result.h"
#include "http/server_connection.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "net/transport.h"

namespace x0::http {

// The open client connections of one listener, node-wide: every worker's Server takes one on
// accept and gives it back on close. Owned by the node; outlives the Servers that use it.
class ConnectionBudget : public Quota {
 public:
  ConnectionBudget(std::string listener, uint64_t limit) : Quota(limit), listener_(std::move(listener)) {}
  const std::string& listener() const { return listener_; }
  // True at most once a second node-wide: the caller then logs the refusals (any thread).
  bool log_due(int64_t now_ms);

 private:
  static constexpr int64_t kRefusalLogIntervalMs = 1000;
  const std::string listener_;
  std::atomic<int64_t> last_refusal_log_ms_{-kRefusalLogIntervalMs};
};

class Server {
 public:
  Server(net::EventLoop& loop, const ServerLimits& limits);
  ~Server();

  // New connections beyond the budget are answered 503 and closed at once (see server.cc).
  // `transports` (HTTPS: TLS) wraps each accepted socket; nullptr: plain TCP.
  Result<void> listen(const net::SocketAddress& address, RequestHandler& handler, bool reuse_port,
                      ConnectionBudget& budget, net::TransportFactory* transports = nullptr);
  // A listening socket bound elsewhere (a restart hand-over, app/takeover.h): served as
  // listen() serves the one it binds.
  void adopt_listener(net::Fd listening, RequestHandler& handler, ConnectionBudget& budget,
                      net::TransportFactory* transports = nullptr);
  // No cap (the test origin): only file descriptors limit the connections.
  Result<void> listen(const net::SocketAddress& address, RequestHandler& handler, bool reuse_port);
  // The listening sockets, in the order listen() and adopt_listener() added them (valid until
  // stop_accepting(); the node hands them over from another thread before that).
  std::vector<int> listener_fds() const;
  // Drain: stop accepting, close idle keep-alive connections, let busy ones finish. Closing a
  // listening socket here never shuts it down: after a hand-over the new process holds the
  // same socket, and its accept queue lives on there.
  void stop_accepting();
  void close_idle_connections();
  // Readable from any thread (scrapes).
  size_t connection_count() const { return count_.load(std::memory_order_relaxed); }
  size_t busy_connection_count() const;
  // Connections accepted since start; readable from any thread.
  uint64_t accepted_total() const { return accepted_.load(std::memory_order_relaxed); }

 private:
  class Acceptor;
  struct Owned {
    std::unique_ptr<ServerConnection> connection;
    ConnectionBudget* budget;  // taken for this connection; nullptr: uncapped listener
  };
  Result<void> add_listener(const net::SocketAddress& address, RequestHandler& handler,
                            bool reuse_port, ConnectionBudget* budget,
                            net::TransportFactory* transports);
  void adopt(net::Fd fd, const sockaddr_storage& peer, RequestHandler& handler,
             ConnectionBudget* budget, net::TransportFactory* transports);
  void sweep();

  net::EventLoop& loop_;
  const ServerLimits& limits_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unordered_map<ServerConnection*, Owned> connections_;
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> accepted_{0};
  bool draining_ = false;
  net::TimerId sweep_timer_ = 0;
};

}  // namespace x0::http
