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

#include "common/result.h"
#include "http/server_connection.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace x0::http {

// The open client connections of one listener, node-wide, against a limit. Every worker's
// Server takes from the same budget on accept and gives back on close: one atomic, no lock.
// Owned by the node; outlives the Servers that use it. All members are safe from any thread.
class ConnectionBudget {
 public:
  ConnectionBudget(std::string listener, size_t limit)
      : listener_(std::move(listener)), limit_(limit) {}
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  // Takes one connection; false when `limit` connections are open (nothing taken).
  bool try_take();
  void give_back() { open_.fetch_sub(1, std::memory_order_relaxed); }
  // Counts a refused connection; true at most once a second node-wide: the caller logs it.
  bool note_refusal(int64_t now_ms);
  // Takes effect for the next accept; connections already open above a lowered limit stay.
  void set_limit(size_t limit) { limit_.store(limit, std::memory_order_relaxed); }

  const std::string& listener() const { return listener_; }
  size_t limit() const { return limit_.load(std::memory_order_relaxed); }
  size_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  static constexpr int64_t kRefusalLogIntervalMs = 1000;
  const std::string listener_;
  std::atomic<size_t> limit_;
  std::atomic<size_t> open_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<int64_t> last_refusal_log_ms_{-kRefusalLogIntervalMs};
};

class Server {
 public:
  Server(net::EventLoop& loop, const ServerLimits& limits);
  ~Server();

  // New connections beyond the budget are answered 503 and closed at once (see server.cc).
  Result<void> listen(const net::SocketAddress& address, RequestHandler& handler, bool reuse_port,
                      ConnectionBudget& budget);
  // No cap (the test origin): only file descriptors limit the connections.
  Result<void> listen(const net::SocketAddress& address, RequestHandler& handler, bool reuse_port);
  // Drain: stop accepting, close idle keep-alive connections, let busy ones finish.
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
                            bool reuse_port, ConnectionBudget* budget);
  void adopt(net::Fd fd, const sockaddr_storage& peer, RequestHandler& handler,
             ConnectionBudget* budget);
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
