// A data-plane slice for stream and router tests: a real event loop, a real ServerConnection on
// one end of a socket pair (the test holds the other end as the client), and a stream pool with
// the filter chain under test. Requests are written to the client end; the loop runs until the
// test stops it (with a safety stop so a broken stream fails the test instead of hanging it).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gateway/data_plane.h"
#include "gateway/route_table.h"
#include "gateway/stream.h"
#include "gateway/worker_context.h"
#include "http/server_connection.h"
#include "net/event_loop.h"
#include "net/transport.h"

namespace x0::gateway::testing {

inline config::Service service_at(uint16_t port, uint16_t second_port = 0) {
  config::Service s;
  s.name = "svc";
  s.path_prefixes = {"/"};
  s.endpoints = {config::Endpoint{"127.0.0.1", port}};
  if (second_port != 0) s.endpoints.push_back(config::Endpoint{"127.0.0.1", second_port});
  s.health_check.enabled = false;
  return s;
}

class StreamHarness final : public http::RequestHandler {
 public:
  // `peer_ip`: the client's address as the connection sees it (loopback or not).
  StreamHarness(FilterChain chain, config::Service service, const char* peer_ip = "127.0.0.1")
      : worker_(loop_, publisher_, 0), pool_(worker_, std::move(chain)) {
    config::Config config;
    config.services = {std::move(service)};
    auto table = RouteTable::build(config, {}, nullptr, 1);
    EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().detail);
    table_ = *table;
    publisher_.publish(table_);
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    client_fd_ = fds[0];
    sockaddr_storage peer{};
    auto* in = reinterpret_cast<sockaddr_in*>(&peer);
    in->sin_family = AF_INET;
    ::inet_pton(AF_INET, peer_ip, &in->sin_addr);
    connection_ = std::make_unique<http::ServerConnection>(
        loop_, std::make_unique<net::PlainTransport>(net::Fd(fds[1])), peer, *this, limits_,
        [this](http::ServerConnection*) { connection_closed_ = true; });
    connection_->start();
  }
  ~StreamHarness() override {
    connection_.reset();  // tells a running stream before the pools go
    ::close(client_fd_);
  }

  void handle(http::ServerConnection& conn, const http::Request& request) override {
    if (data_plane_) return data_plane_->handle(conn, request);
    RequestTarget target{request.head.path, "svc.test", false, 0, {}};
    pool_.acquire().start(conn, request, target, table_, *table_->services()[0],
                          EndpointRole::kStable);
  }

  void send(std::string_view bytes) {
    ASSERT_EQ(::write(client_fd_, bytes.data(), bytes.size()), ssize_t(bytes.size()));
  }
  // Runs the loop until stop() (or 5 s, a failure).
  void run() {
    net::TimerId safety = loop_.add_timer(5000, [this] {
      ADD_FAILURE() << "the loop was not stopped within 5 s";
      loop_.stop();
    });
    loop_.run();
    loop_.cancel_timer(safety);
  }
  void stop() { loop_.stop(); }
  // Sends `bytes`, runs the loop until the batch they cause is done (or for `ms`), and returns
  // what the client end received.
  std::string exchange(std::string_view bytes, int64_t ms = 0) {
    send(bytes);
    if (ms == 0) {
      loop_.defer([this] { stop(); });
    } else {
      loop_.add_timer(ms, [this] { stop(); });
    }
    run();
    return received();
  }
  // Everything the client end has received so far.
  std::string received() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(client_fd_, buf, sizeof buf);
      if (n <= 0) break;
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }

  // From now on requests go through a DataPlane (with the default chain) instead of the pool.
  void use_data_plane() { data_plane_ = std::make_unique<DataPlane>(worker_, nullptr); }

  net::EventLoop& loop() { return loop_; }
  WorkerContext& worker() { return worker_; }
  StreamPool& pool() { return pool_; }
  const ServiceState& service() const { return *table_->services()[0]; }
  http::ServerConnection& connection() { return *connection_; }
  bool connection_closed() const { return connection_closed_; }

 private:
  net::EventLoop loop_;
  RouteTablePublisher publisher_;
  std::shared_ptr<const RouteTable> table_;
  WorkerContext worker_;
  StreamPool pool_;
  std::unique_ptr<DataPlane> data_plane_;
  http::ServerLimits limits_;
  std::unique_ptr<http::ServerConnection> connection_;
  bool connection_closed_ = false;
  int client_fd_ = -1;
  std::string received_;
};

// How many times `needle` occurs in `text`.
inline size_t count_of(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace x0::gateway::testing
