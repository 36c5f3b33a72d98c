// The router behind its ConnectionPool seam: a counting pool around the real TCP pool, real
// loopback upstreams run by a thread of the test (one that answers every request on a kept-alive
// connection, one that accepts and never answers), and the outlier and forwarding filters in front.
#include "gateway/filters/router.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/filters/filters.h"
#include "loopback_listener.h"
#include "stream_harness.h"

namespace x0::gateway {
namespace {

using testing::StreamHarness;

// Answers every request head on every connection with `answer` (keep-alive), recording the
// requests. Or, silent: accepts and reads, never answers.
class Upstream {
 public:
  explicit Upstream(std::string answer, bool silent = false)
      : answer_(std::move(answer)), silent_(silent) {
    x0::testing::LoopbackListener listener = x0::testing::listen_on_loopback(16);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { serve(); });
  }
  ~Upstream() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    {
      std::lock_guard lock(mu_);
      for (int c : conns_) ::shutdown(c, SHUT_RDWR);
    }
    thread_.join();
    for (std::thread& t : handlers_) t.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0 || stop_) return;
      ++accepted_;
      std::lock_guard lock(mu_);
      conns_.push_back(c);
      handlers_.emplace_back([this, c] { answer_all(c); });
    }
  }
  void answer_all(int c) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        {
          std::lock_guard lock(mu_);
          requests_.push_back(in.substr(0, end + 4));
        }
        in.erase(0, end + 4);
        if (!silent_) ::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        continue;
      }
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
  }

  std::string answer_;
  bool silent_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic_bool stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::string> requests_;
  std::vector<std::thread> handlers_;
  std::thread thread_;
};

// The seam: counts what the router asks of its pool, and lets the real pool do it.
class CountingPool final : public ConnectionPool {
 public:
  explicit CountingPool(ConnectionPool& real) : real_(real) {}
  std::unique_ptr<UpstreamConnection> take(const EndpointState* endpoint) override {
    auto c = real_.take(endpoint);
    if (c) ++reused;
    return c;
  }
  Result<std::unique_ptr<UpstreamConnection>> connect(
      const std::shared_ptr<EndpointState>& endpoint) override {
    ++connects;
    return real_.connect(endpoint);
  }
  void give_back(std::unique_ptr<UpstreamConnection> connection, size_t max_idle) override {
    ++given_back;
    real_.give_back(std::move(connection), max_idle);
  }
  void begin_request(const EndpointState* endpoint) override {
    ++in_flight;
    real_.begin_request(endpoint);
  }
  void end_request(const EndpointState* endpoint) override {
    --in_flight;
    real_.end_request(endpoint);
  }
  int reused = 0, connects = 0, given_back = 0, in_flight = 0;

 private:
  ConnectionPool& real_;
};

struct RouterChain {
  std::unique_ptr<CountingPool> pool;
  FilterChain factories() {
    return {make_outlier_filter, make_forwarding_filter, [this](WorkerContext& worker) {
              pool = std::make_unique<CountingPool>(worker.pool);
              return std::make_unique<Router>(worker, *pool);
            }};
  }
};

// A closed port: nothing listens there.
uint16_t refused_port() {
  x0::testing::LoopbackListener listener = x0::testing::listen_on_loopback(1);
  ::close(listener.fd);
  return listener.port;
}

constexpr std::string_view kGet = "GET /x HTTP/1.1\r\nHost: svc.test\r\n\r\n";

TEST(Router, ForwardsWithTheFiltersEditsAndReusesTheKeptAliveConnection) {
  Upstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nVia: 1.1 origin\r\n\r\nhello");
  RouterChain chain;
  StreamHarness h(chain.factories(), testing::service_at(upstream.port()));
  h.send(kGet);
  h.loop().add_timer(100, [&] { h.send(kGet); });  // after the first answer: the pool is ready
  h.loop().add_timer(300, [&] { h.stop(); });
  h.run();
  std::string out = h.received();
  EXPECT_EQ(testing::count_of(out, "HTTP/1.1 200 OK"), 2u) << out;
  EXPECT_EQ(testing::count_of(out, "Via: 1.1 origin, 1.1 x0tta6bl4\r\n"), 2u) << out;
  EXPECT_EQ(chain.pool->connects, 1);
  EXPECT_EQ(chain.pool->reused, 1);
  EXPECT_EQ(chain.pool->given_back, 2);
  EXPECT_EQ(chain.pool->in_flight, 0);
  EXPECT_EQ(upstream.accepted(), 1);
  std::vector<std::string> requests = upstream.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].starts_with("GET /x HTTP/1.1\r\nHost: svc.test\r\n")) << requests[0];
  EXPECT_NE(requests[0].find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << requests[0];
  EXPECT_NE(requests[0].find("Via: 1.1 x0tta6bl4\r\n"), std::string::npos) << requests[0];
}

TEST(Router, AnUpstreamThatNeverAnswersIsA504AfterTheRouteTimeout) {
  Upstream upstream("", /*silent=*/true);
  RouterChain chain;
  config::Service service = testing::service_at(upstream.port());
  service.request_timeout_ms = 50;
  service.retries = 0;
  StreamHarness h(chain.factories(), service);
  std::string out = h.exchange(kGet, 1000);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 504")) << out;
  EXPECT_NE(out.find(R"("error":"gateway_timeout")"), std::string::npos) << out;
  EXPECT_EQ(chain.pool->given_back, 0);  // a timed-out connection is never reused
  EXPECT_EQ(chain.pool->in_flight, 0);
}

TEST(Router, ARefusedConnectIsRetriedOnTheNextEndpoint) {
  Upstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  RouterChain chain;
  // Round robin starts at the first endpoint: the refused one.
  StreamHarness h(chain.factories(), testing::service_at(refused_port(), upstream.port()));
  std::string out = h.exchange(kGet, 300);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
  EXPECT_GE(chain.pool->connects, 1);
  EXPECT_EQ(upstream.requests().size(), 1u);
}

TEST(Router, AnUpstreamSendingInterimAnswersForeverIsCutOffEarly) {
  std::string flood;
  for (int i = 0; i < 40; ++i) flood += "HTTP/1.1 100 Continue\r\n\r\n";
  Upstream upstream(flood);
  RouterChain chain;
  config::Service service = testing::service_at(upstream.port());
  service.retries = 0;
  StreamHarness h(chain.factories(), service);
  h.send(kGet);
  h.loop().add_timer(300, [&] { h.stop(); });  // well before the 15 s route timeout
  h.run();
  std::string out = h.received();
  EXPECT_TRUE(out.starts_with("HTTP/1.1 502")) << out;
  EXPECT_NE(out.find("interim"), std::string::npos) << out;
}

// Success counts only once the body is through: an endpoint whose answers start and then stall
// is ejected after passive_eject_failures of them.
TEST(Router, AnEndpointThatStallsMidBodyIsEjected) {
  Upstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
  RouterChain chain;
  config::Service service = testing::service_at(upstream.port());
  service.read_timeout_ms = 30;
  service.passive_eject_failures = 2;
  StreamHarness h(chain.factories(), service);
  EndpointState& endpoint = *h.service().primary[0];
  // One stalled answer already (the harness has one client connection).
  endpoint.consecutive_failures.store(1);
  h.send(kGet);
  h.loop().add_timer(150, [&] { h.stop(); });
  h.run();
  // Counting a success at the head would have reset the run to 0 and this stall made it 1.
  EXPECT_EQ(endpoint.consecutive_failures.load(), 2);
  EXPECT_EQ(endpoint.failures.load(), 1u);  // one attempt, counted once
  EXPECT_GT(endpoint.ejected_until_ms.load(), 0);
}

// A client that stops reading pauses the upstream: its socket, full of unread bytes, must not
// wake the loop while paused (level-triggered epoll would report it on every wait), and the
// response goes on where it stopped once the client reads again.
TEST(Router, APausedUpstreamDoesNotWakeTheLoopAndResumesWhenTheClientReads) {
  constexpr size_t kBody = 4 << 20;
  Upstream upstream("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n" +
                    std::string(kBody, 'b'));
  RouterChain chain;
  StreamHarness h(chain.factories(), testing::service_at(upstream.port()));
  h.send(kGet);
  h.loop().add_timer(100, [&] { h.stop(); });  // long enough to fill the client and pause
  h.run();
  const uint64_t paused_at = h.loop().iterations();
  h.loop().add_timer(200, [&] { h.stop(); });
  h.run();
  // The safety timer and the stop timer: a few wake-ups, not one per epoll_wait of a spin.
  EXPECT_LT(h.loop().iterations() - paused_at, 20u);
  // The client reads: the rest comes, byte for byte.
  std::string out;
  for (int i = 0; i < 500 && out.size() < kBody; ++i) {
    h.loop().add_timer(5, [&] { h.stop(); });
    h.run();
    out = h.received();
    size_t head = out.find("\r\n\r\n");
    if (head != std::string::npos && out.size() - head - 4 == kBody) break;
  }
  size_t head = out.find("\r\n\r\n");
  ASSERT_NE(head, std::string::npos);
  EXPECT_EQ(out.size() - head - 4, kBody);
  EXPECT_EQ(out.find_first_not_of('b', head + 4), std::string::npos);
}

TEST(Router, NoEndpointLeftIsA502NamingTheService) {
  RouterChain chain;
  config::Service service = testing::service_at(refused_port());
  service.retries = 0;
  StreamHarness h(chain.factories(), service);
  std::string out = h.exchange(kGet, 300);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 502")) << out;
  EXPECT_NE(out.find(R"("error":"bad_gateway")"), std::string::npos) << out;
  EXPECT_EQ(chain.pool->in_flight, 0);
}

}  // namespace
}  // namespace x0::gateway
