// A worker's keep-alive connections to upstream endpoints, and its per-endpoint load
// (in-flight requests) for least-request balancing. Owned and used by one worker thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "gateway/route_table.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "net/transport.h"

namespace x0::gateway {

class UpstreamPool;

// One TCP connection to an endpoint. While idle in the pool it watches for the upstream
// closing it; while in use, its events go to the current user.
class UpstreamConnection final : public net::IoHandler {
 public:
  UpstreamConnection(net::EventLoop& loop, std::unique_ptr<net::Transport> transport,
                     std::shared_ptr<EndpointState> endpoint);
  ~UpstreamConnection() override;

  int fd() const { return transport_->fd(); }
  net::Transport& transport() { return *transport_; }
  EndpointState& endpoint() { return *endpoint_; }
  const std::shared_ptr<EndpointState>& endpoint_ptr() const { return endpoint_; }
  // Hands events to `user` (nullptr: idle in `pool`).
  void attach(net::IoHandler* user, uint32_t events);
  void set_events(uint32_t events);
  // Off epoll altogether (set_events registers again): while its user is paused nothing, not
  // even a reset's EPOLLHUP/EPOLLERR that epoll reports whatever the mask, wakes the loop.
  void unregister();
  void on_io(uint32_t events) override;
  uint64_t requests_served = 0;
  bool reused = false;  // taken from the pool rather than freshly connected

 private:
  friend class UpstreamPool;
  net::EventLoop& loop_;
  std::unique_ptr<net::Transport> transport_;
  std::shared_ptr<EndpointState> endpoint_;
  net::IoHandler* user_ = nullptr;
  UpstreamPool* idle_in_ = nullptr;
  uint64_t parked_at_iteration_ = 0;  // loop iteration of give_back()
  uint32_t events_ = 0;
  bool registered_ = false;
};

// How the router reaches an endpoint's connections: reuse one or open one, then hand it back.
// The TCP pool below is one kind; a mesh link (over its own transport) is to be another.
class ConnectionPool {
 public:
  virtual ~ConnectionPool() = default;
  virtual std::unique_ptr<UpstreamConnection> take(const EndpointState* endpoint) = 0;
  virtual Result<std::unique_ptr<UpstreamConnection>> connect(
      const std::shared_ptr<EndpointState>& endpoint) = 0;
  virtual void give_back(std::unique_ptr<UpstreamConnection> connection, size_t max_idle) = 0;
  // Least-request bookkeeping: a request to `endpoint` starts or ends.
  virtual void begin_request(const EndpointState* endpoint) = 0;
  virtual void end_request(const EndpointState* endpoint) = 0;
};

class UpstreamPool final : public ConnectionPool {
 public:
  explicit UpstreamPool(net::EventLoop& loop) : loop_(loop) {}

  // A pooled connection to `endpoint`, or nullptr when none is ready. A connection is ready
  // only once the event loop has turned since it was given back, and only if a zero-timeout
  // peek finds nothing pending on it: bytes an origin sends after a response (a HEAD answered
  // with a body, a short Content-Length) must never become the next request's response, so
  // such a connection is closed instead (as HAProxy and nginx do).
  std::unique_ptr<UpstreamConnection> take(const EndpointState* endpoint) override;
  // Starts a new non-blocking connection (completion is signalled by EPOLLOUT to the user).
  Result<std::unique_ptr<UpstreamConnection>> connect(const std::shared_ptr<EndpointState>& endpoint) override;
  // Returns a healthy keep-alive connection; closes it if the pool for the endpoint is full.
  void give_back(std::unique_ptr<UpstreamConnection> connection, size_t max_idle) override;

  // Least-request bookkeeping (per worker; no sharing across threads).
  void begin_request(const EndpointState* endpoint) override { ++in_flight_[endpoint]; }
  void end_request(const EndpointState* endpoint) override { --in_flight_[endpoint]; }
  int in_flight(const EndpointState* endpoint) const;

  // Total idle connections; readable from any thread (scrapes).
  size_t idle_count() const { return idle_total_.load(std::memory_order_relaxed); }
  size_t idle_count(const EndpointState* endpoint) const;
  // Idle connections closed because the upstream sent bytes or closed while they sat in the
  // pool (any thread; scrapes). An upstream that keeps doing it has a framing bug.
  uint64_t discarded() const { return discarded_.load(std::memory_order_relaxed); }

 private:
  friend class UpstreamConnection;
  void drop_idle(UpstreamConnection* connection);

  net::EventLoop& loop_;
  std::unordered_map<const EndpointState*, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
  std::unordered_map<const EndpointState*, int> in_flight_;
  std::atomic<size_t> idle_total_{0};
  std::atomic<uint64_t> discarded_{0};
};

}  // namespace x0::gateway
