// Accepts connections on one worker's listening sockets and owns their ServerConnections.
// A worker has one Server; each listening socket has its own RequestHandler (data plane,
// health port, metrics port). Idle and slow connections are swept on a timer.
#pragma once

#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "http/server_connection.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace x0::http {

class Server {
 public:
  Server(net::EventLoop& loop, const ServerLimits& limits, size_t max_connections = 100000);
  ~Server();

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
  void adopt(net::Fd fd, const sockaddr_storage& peer, RequestHandler& handler);
  void sweep();

  net::EventLoop& loop_;
  const ServerLimits& limits_;
  size_t max_connections_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unordered_map<ServerConnection*, std::unique_ptr<ServerConnection>> connections_;
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> accepted_{0};
  bool draining_ = false;
  net::TimerId sweep_timer_ = 0;
};

}  // namespace x0::http
