// HealthChecker against real loopback endpoints: the verdict of a 2xx, a 5xx, a status whose
// body never comes, a peer that never answers (the probe's deadline), recovery after
// healthy_threshold passes, and a passing check ending a passive ejection.
#include "gateway/health_checker.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "loopback_listener.h"

namespace x0::gateway {
namespace {

// Answers every connection with the current `answer` (read per connection), then closes.
// silent: accepts nothing (the kernel completes the connect, nobody ever answers).
class CheckedEndpoint {
 public:
  explicit CheckedEndpoint(std::string answer, bool silent = false) : answer_(std::move(answer)) {
    x0::testing::LoopbackListener listener = x0::testing::listen_on_loopback(16);
    fd_ = listener.fd;
    port_ = listener.port;
    if (!silent) thread_ = std::thread([this] { serve(); });
  }
  ~CheckedEndpoint() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  void answer(std::string a) {
    std::lock_guard lock(mu_);
    answer_ = std::move(a);
  }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return request_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req = x0::testing::read_request_head(c);
      std::string a;
      {
        std::lock_guard lock(mu_);
        request_ = req;
        a = answer_;
      }
      ::send(c, a.data(), a.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string answer_;
  std::string request_;
};

constexpr const char* kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
constexpr const char* kDown = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";

config::Config config_for(uint16_t port, int timeout_ms = 500, int healthy_threshold = 2) {
  config::Service s;
  s.name = "svc";
  s.path_prefixes = {"/"};
  s.endpoints = {config::Endpoint{"127.0.0.1", port}};
  s.health_check.path = "/ready";
  s.health_check.interval_ms = 20;
  s.health_check.timeout_ms = timeout_ms;
  s.health_check.healthy_threshold = healthy_threshold;
  s.health_check.unhealthy_threshold = 2;
  config::Config c;
  c.services = {s};
  return c;
}

// Polls until `done` holds (a hang guard of 10 s, not a timing assertion).
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class HealthCheckerTest : public ::testing::Test {
 protected:
  EndpointState& publish(const config::Config& c) {
    auto table = RouteTable::build(c, {}, publisher_.current().get(), ++version_);
    EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().detail);
    publisher_.publish(*table);
    return *(*table)->find("svc")->primary.front();
  }
  RouteTablePublisher publisher_;
  uint64_t version_ = 0;
};

TEST_F(HealthCheckerTest, APassingCheckKeepsTheEndpointAndEndsAPassiveEjection) {
  CheckedEndpoint endpoint(kOk);
  EndpointState& e = publish(config_for(endpoint.port()));
  e.ejected_until_ms.store(net::EventLoop::monotonic_ms() + 3'600'000);
  e.consecutive_failures.store(7);
  HealthChecker checker(publisher_);
  checker.start();
  ASSERT_TRUE(eventually([&] { return checker.first_round_done(); }));
  EXPECT_TRUE(e.healthy.load());
  EXPECT_EQ(e.last_check_status.load(), 200);
  EXPECT_EQ(e.ejected_until_ms.load(), 0);
  EXPECT_EQ(e.consecutive_failures.load(), 0);
  std::string request = endpoint.last_request();
  EXPECT_NE(request.find("GET /ready HTTP/1.1\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Host: 127.0.0.1:" + std::to_string(endpoint.port()) + "\r\n"),
            std::string::npos) << request;
  EXPECT_NE(request.find("User-Agent: x0tta6bl4-health\r\n"), std::string::npos) << request;
}

TEST_F(HealthCheckerTest, AFailingFirstCheckTakesTheEndpointOutThenPassesBringItBack) {
  CheckedEndpoint endpoint(kDown);
  EndpointState& e = publish(config_for(endpoint.port()));
  HealthChecker checker(publisher_);
  checker.start();
  ASSERT_TRUE(eventually([&] { return checker.first_round_done(); }));
  EXPECT_FALSE(e.healthy.load()) << "the first result decides at once";
  EXPECT_EQ(e.last_check_status.load(), 503);
  endpoint.answer("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return e.healthy.load(); })) << "3xx passes";
  EXPECT_EQ(e.last_check_status.load(), 302);
}

TEST_F(HealthCheckerTest, TheStatusIsTheVerdictEvenIfTheBodyNeverComes) {
  CheckedEndpoint endpoint("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\npartial");
  EndpointState& e = publish(config_for(endpoint.port()));
  HealthChecker checker(publisher_);
  checker.start();
  ASSERT_TRUE(eventually([&] { return checker.first_round_done(); }));
  EXPECT_TRUE(e.healthy.load());
  EXPECT_EQ(e.last_check_status.load(), 200);
}

TEST_F(HealthCheckerTest, APeerThatNeverAnswersFailsAtTheProbeTimeout) {
  CheckedEndpoint endpoint("", /*silent=*/true);
  EndpointState& e = publish(config_for(endpoint.port(), /*timeout_ms=*/100));
  HealthChecker checker(publisher_);
  checker.start();
  ASSERT_TRUE(eventually([&] { return checker.first_round_done(); }));
  EXPECT_FALSE(e.healthy.load());
  EXPECT_EQ(e.last_check_status.load(), 0);
  EXPECT_NE(e.last_check_ms.load(), 0);
}

TEST_F(HealthCheckerTest, DisabledChecksLeaveTheEndpointHealthy) {
  CheckedEndpoint endpoint(kDown);
  config::Config c = config_for(endpoint.port());
  c.services[0].health_check.enabled = false;
  EndpointState& e = publish(c);
  e.healthy.store(false);
  HealthChecker checker(publisher_);
  checker.start();
  ASSERT_TRUE(eventually([&] { return checker.first_round_done(); }));
  ASSERT_TRUE(eventually([&] { return e.healthy.load(); }));
  EXPECT_EQ(e.last_check_ms.load(), 0) << "no probe was sent";
}

}  // namespace
}  // namespace x0::gateway
