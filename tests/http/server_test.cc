// Connection budgets: one node-wide cap per listener, shared by the Servers of several workers
// (two event loops on one SO_REUSEPORT port), refusals answered 503 and closed, a second
// listener's budget untouched by the first one's flood, and room again once clients leave.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace x0::http {
namespace {

TEST(ConnectionBudget, TakesUpToTheLimitAndGivesBack) {
  ConnectionBudget budget("data", 2);
  EXPECT_TRUE(budget.try_take());
  EXPECT_TRUE(budget.try_take());
  EXPECT_FALSE(budget.try_take());
  EXPECT_EQ(budget.used(), 2u);
  budget.give_back();
  EXPECT_TRUE(budget.try_take());
  budget.set_limit(1);  // lowered: the open ones stay, new ones wait for room below the limit
  budget.give_back();
  EXPECT_FALSE(budget.try_take());
  budget.give_back();
  EXPECT_TRUE(budget.try_take());
  EXPECT_EQ(budget.used(), 1u);
}

TEST(ConnectionBudget, CountsEveryRefusalButAsksForALogLineOnceASecond) {
  ConnectionBudget budget("data", 1);
  EXPECT_TRUE(budget.try_take());
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(budget.try_take());
  EXPECT_EQ(budget.refused(), 4u);
  EXPECT_TRUE(budget.log_due(5000));
  EXPECT_FALSE(budget.log_due(5001));
  EXPECT_FALSE(budget.log_due(5999));
  EXPECT_TRUE(budget.log_due(6000));
}

TEST(Quota, TakesBytesWithoutPassingTheLimit) {
  Quota q(10);
  EXPECT_TRUE(q.try_take(7));
  EXPECT_FALSE(q.try_take(4));
  EXPECT_TRUE(q.try_take(3));
  EXPECT_FALSE(q.try_take(1));
  EXPECT_FALSE(q.try_take(11));
  q.give_back(7);
  EXPECT_EQ(q.used(), 3u);
  EXPECT_EQ(q.refused(), 3u);
}

class Answer200 final : public RequestHandler {
 public:
  void handle(ServerConnection& conn, const Request& /*request*/) override {
    conn.respond(200, "text/plain", "ok");
  }
};

uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

net::SocketAddress loopback(uint16_t port) { return net::resolve("127.0.0.1", port).value(); }

// A blocking client socket (fd closed on destruction).
struct Client {
  explicit Client(uint16_t port) : fd(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  bool readable_now() const {
    pollfd p{fd.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }
  // Everything the server sends until it closes the connection (or 5 s pass).
  std::string read_to_eof() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  std::string get() const {
    std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) < 0) return "send failed";
    char buf[4096];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "closed";
  }
  net::Fd fd;
  bool connected = false;
};

// Bounded wait for a condition another thread makes true (fails the test if it never does).
bool eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Two "workers", each with its own loop, thread and Server, both listening on the data port
// (SO_REUSEPORT) with one shared budget; worker 0 also serves a probe port with its own budget.
class TwoWorkers : public ::testing::Test {
 protected:
  static constexpr size_t kDataLimit = 3;
  void SetUp() override {
    data_port_ = unused_port();
    probe_port_ = unused_port();
    for (int i = 0; i < 2; ++i) {
      servers_[i] = std::make_unique<Server>(loops_[i], limits_);
      ASSERT_TRUE(servers_[i]->listen(loopback(data_port_), handler_, true, data_));
    }
    ASSERT_TRUE(servers_[0]->listen(loopback(probe_port_), handler_, true, probe_));
    for (int i = 0; i < 2; ++i) threads_[i] = std::thread([this, i] { loops_[i].run(); });
  }
  void TearDown() override {
    for (int i = 0; i < 2; ++i) {
      loops_[i].stop();
      threads_[i].join();
      servers_[i].reset();
    }
  }

  ServerLimits limits_;
  Answer200 handler_;
  ConnectionBudget data_{"data", kDataLimit};
  ConnectionBudget probe_{"health", 2};
  net::EventLoop loops_[2];
  std::unique_ptr<Server> servers_[2];
  std::thread threads_[2];
  uint16_t data_port_ = 0, probe_port_ = 0;
};

TEST_F(TwoWorkers, DataCapIsSharedByAllWorkersAndLeavesProbesAlone) {
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 12; ++i) {
    flood.push_back(std::make_unique<Client>(data_port_));
    ASSERT_TRUE(flood.back()->connected);
  }
  ASSERT_TRUE(eventually([&] { return data_.used() + data_.refused() == flood.size(); }))
      << "open " << data_.used() << " refused " << data_.refused();
  EXPECT_EQ(data_.used(), kDataLimit) << "one cap for both workers, not one each";
  EXPECT_EQ(data_.refused(), flood.size() - kDataLimit);

  // A refusal is counted after its answer was sent: the refused clients have a 503 waiting.
  std::vector<Client*> held;
  size_t refused = 0;
  ASSERT_TRUE(eventually([&] {
    size_t readable = 0;
    for (auto& c : flood) readable += c->readable_now() ? 1 : 0;
    return readable >= flood.size() - kDataLimit;
  }));
  for (auto& c : flood) {
    if (!c->readable_now()) {
      held.push_back(c.get());
      continue;
    }
    std::string answer = c->read_to_eof();
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 ", 0), 0u) << answer;
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("{\"error\":\"connection_limit\""), std::string::npos) << answer;
    ++refused;
  }
  EXPECT_EQ(refused, flood.size() - kDataLimit);
  ASSERT_EQ(held.size(), kDataLimit);
  for (Client* c : held) {
    EXPECT_EQ(c->get().rfind("HTTP/1.1 200 ", 0), 0u) << "held ones are served";
  }

  // The probe listener has its own budget: the data flood takes none of it.
  Client probe(probe_port_);
  EXPECT_EQ(probe.get().rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_EQ(probe_.refused(), 0u);

  // A client leaves: its place goes back to the node, whichever worker takes the next one.
  flood.clear();
  ASSERT_TRUE(eventually([&] { return data_.used() == 0; })) << "open " << data_.used();
  Client again(data_port_);
  EXPECT_EQ(again.get().rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST_F(TwoWorkers, ProbeBudgetRefusesBeyondItsOwnLimit) {
  Client a(probe_port_), b(probe_port_), c(probe_port_);
  ASSERT_TRUE(eventually([&] { return probe_.used() + probe_.refused() == 3; }));
  EXPECT_EQ(probe_.used(), 2u);
  EXPECT_EQ(probe_.refused(), 1u);
  EXPECT_EQ(data_.used(), 0u) << "probes take nothing from the data budget";
}

// A drain: a connection accepted just before it, whose request is still on its way, is answered
// (with Connection: close) instead of closed as idle; one that stays idle is closed after the
// grace (ServerConnection::kDrainIdleGraceMs).
TEST_F(TwoWorkers, DrainAnswersARequestOnItsWayAndClosesTheIdleAfterTheGrace) {
  Client early(data_port_), idle(data_port_);
  ASSERT_TRUE(eventually([&] { return data_.used() == 2; }));
  for (int i = 0; i < 2; ++i)
    loops_[i].post([this, i] {
      servers_[i]->stop_accepting();
      servers_[i]->close_idle_connections();
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string answer = early.get();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 ", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(idle.read_to_eof(), "") << "closed without an answer";
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(2));
  ASSERT_TRUE(eventually([&] { return data_.used() == 0; }));
}

// A listening socket bound elsewhere (a restart hand-over) is served like one listen() binds.
TEST(Server, AdoptsAListeningSocket) {
  uint16_t port = unused_port();
  auto fd = net::listen_tcp(loopback(port), true);
  ASSERT_TRUE(fd);
  ServerLimits limits;
  Answer200 handler;
  ConnectionBudget budget("data", 10);
  net::EventLoop loop;
  Server server(loop, limits);
  int raw = fd->get();
  server.adopt_listener(std::move(*fd), handler, budget);
  EXPECT_EQ(server.listener_fds(), std::vector<int>{raw});
  std::thread runner([&] { loop.run(); });
  Client c(port);
  EXPECT_EQ(c.get().rfind("HTTP/1.1 200 ", 0), 0u);
  loop.stop();
  runner.join();
}

}  // namespace
}  // namespace x0::http
