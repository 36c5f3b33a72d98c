// http::Client against a real loopback listener run by a thread of the test: one scripted
// answer per test (Content-Length, chunked, until close, silence, garbage), plus a refused
// connection. The client runs on an EventLoop on the test's thread until it completes.
#include "http/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "loopback_listener.h"

namespace x0::http {
namespace {

net::SocketAddress loopback(uint16_t port) {
  auto a = net::resolve("127.0.0.1", port);
  EXPECT_TRUE(a.has_value());
  return *a;
}

// Accepts one connection, reads the request head, writes `answer`, and then either closes or
// (hold_open) keeps the connection until the test ends.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string answer, bool hold_open = false)
      : answer_(std::move(answer)), hold_open_(hold_open) {
    x0::testing::LoopbackListener listener = x0::testing::listen_on_loopback(4);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (conn_ >= 0) ::shutdown(conn_, SHUT_RDWR);
    thread_.join();
    if (conn_ >= 0) ::close(conn_);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string request() const { return request_; }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    conn_ = c;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      request_.append(buf, static_cast<size_t>(n));
    }
    ::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
    if (hold_open_) {
      while (!stop_ && ::recv(c, buf, sizeof buf, 0) > 0) {
      }
      return;
    }
    ::shutdown(c, SHUT_WR);
  }

  std::string answer_;
  bool hold_open_;
  int fd_ = -1;
  std::atomic<int> conn_{-1};
  std::atomic_bool stop_{false};
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

struct Outcome {
  bool called = false;
  int calls = 0;
  Result<ClientResponse> result = fail(Errc::kNotFound, "not called");
  int64_t elapsed_ms = 0;
};

Outcome exchange(const net::SocketAddress& address, ClientOptions options = {},
                 ClientRequest request = {}) {
  net::EventLoop loop;
  Outcome out;
  auto client = std::make_unique<Client>(loop);
  if (request.host.empty()) request.host = address.to_string();
  int64_t started = net::EventLoop::monotonic_ms();
  client->start(address, request, options, [&](Result<ClientResponse> r) {
    ++out.calls;
    out.called = true;
    out.result = std::move(r);
    out.elapsed_ms = net::EventLoop::monotonic_ms() - started;
    client.reset();  // the callback may destroy its client
    loop.defer([&] { loop.stop(); });
  });
  // A safety net so a broken client fails the test instead of hanging it.
  loop.add_timer(10000, [&] { loop.stop(); });
  loop.run();
  return out;
}

TEST(HttpClientTest, ReadsAContentLengthResponse) {
  ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  ClientRequest req;
  req.target = "/health";
  req.headers = {{"X-Release", "blue"}};
  Outcome out = exchange(loopback(server.port()), {}, req);
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->status, 200);
  EXPECT_EQ(out.result->body, "hello");
  EXPECT_EQ(out.result->header("content-type"), "text/plain");
  EXPECT_NE(server.request().find("GET /health HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("X-Release: blue\r\n"), std::string::npos);
}

TEST(HttpClientTest, DecodesAChunkedResponse) {
  ScriptedServer server(
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nnot \r\n5\r\nready\r\n0\r\n\r\n");
  Outcome out = exchange(loopback(server.port()));
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->status, 503);
  EXPECT_EQ(out.result->body, "not ready");
}

TEST(HttpClientTest, ReadsABodyUntilClose) {
  ScriptedServer server("HTTP/1.0 200 OK\r\n\r\nuntil the end");
  Outcome out = exchange(loopback(server.port()));
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->body, "until the end");
}

TEST(HttpClientTest, RefusesABodyOverTheLimit) {
  ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  ClientOptions options;
  options.max_body_bytes = 10;
  Outcome out = exchange(loopback(server.port()), options);
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kBodyTooLarge);
}

TEST(HttpClientTest, CountModeReadsTheWholeBodyAndKeepsNone) {
  ScriptedServer chunked(
      "HTTP/1.1 200 OK\r\nX-Cache: MISS\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nwarm\r\n6\r\ned up!\r\n0\r\n\r\n");
  ClientOptions options;
  options.body = ClientBody::kCount;
  Outcome out = exchange(loopback(chunked.port()), options);
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->status, 200);
  EXPECT_EQ(out.result->header("X-Cache"), "MISS");
  EXPECT_EQ(out.result->body, "");
  EXPECT_EQ(out.result->body_bytes, 10u);

  ScriptedServer sized("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  out = exchange(loopback(sized.port()), options);
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->body, "");
  EXPECT_EQ(out.result->body_bytes, 5000u);

  // Counting still ends at the limit, and a body cut short is still an error.
  ScriptedServer cut("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
  out = exchange(loopback(cut.port()), options);
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kBadResponse);
}

TEST(HttpClientTest, HeadOnlyModeIsDoneAtTheHeadWithoutWaitingForTheBody) {
  // Announces a body far over the limit and never sends it: the status is all that is asked.
  ScriptedServer server("HTTP/1.1 204 No Content\r\n\r\n", /*hold_open=*/true);
  ScriptedServer big("HTTP/1.1 302 Found\r\nContent-Length: 99999999\r\n\r\nabc",
                     /*hold_open=*/true);
  ClientOptions options;
  options.body = ClientBody::kHeadOnly;
  options.max_body_bytes = 10;
  options.timeout_ms = 5000;
  Outcome out = exchange(loopback(big.port()), options);
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->status, 302);
  EXPECT_EQ(out.result->body_bytes, 0u);
  EXPECT_EQ(out.result->body, "");
  out = exchange(loopback(server.port()), options);
  ASSERT_TRUE(out.result.has_value()) << out.result.error().detail;
  EXPECT_EQ(out.result->status, 204);
}

TEST(HttpClientTest, AnUpstreamThatNeverAnswersEndsAtTheDeadline) {
  ScriptedServer server("", /*hold_open=*/true);  // accepts, reads, says nothing
  ClientOptions options;
  options.timeout_ms = 300;
  Outcome out = exchange(loopback(server.port()), options);
  ASSERT_EQ(out.calls, 1);
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kTimedOut);
  EXPECT_GE(out.elapsed_ms, 300);
}

TEST(HttpClientTest, AConnectionRefusedIsConnectFailed) {
  // Bind a port, then close it: nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  Outcome out = exchange(loopback(ntohs(a.sin_port)));
  ASSERT_EQ(out.calls, 1);
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kConnectFailed);
}

TEST(HttpClientTest, GarbageIsABadResponse) {
  ScriptedServer server("SSH-2.0-OpenSSH_9.6\r\n\r\n");
  Outcome out = exchange(loopback(server.port()));
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kBadResponse);
}

TEST(HttpClientTest, ClosingWithoutAnswerIsABadResponse) {
  ScriptedServer server("");
  Outcome out = exchange(loopback(server.port()));
  ASSERT_FALSE(out.result.has_value());
  EXPECT_EQ(out.result.error().code, Errc::kBadResponse);
}

TEST(HttpClientTest, DestroyingTheClientBeforeCompletionDropsTheCallback) {
  ScriptedServer server("", /*hold_open=*/true);
  net::EventLoop loop;
  int calls = 0;
  auto client = std::make_unique<Client>(loop);
  ClientOptions options;
  options.timeout_ms = 100;
  client->start(loopback(server.port()), ClientRequest{}, options,
                [&](Result<ClientResponse>) { ++calls; });
  loop.add_timer(20, [&] { client.reset(); });
  loop.add_timer(300, [&] { loop.stop(); });
  loop.run();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace x0::http
