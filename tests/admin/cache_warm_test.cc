// Cache warming against a tiny real HTTP server on a loopback port: the URL forms, the Host
// header, ok/failed counts, the warming gauges, one warm at a time, and a stop that does not
// wait for the rest of the list.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_listener.h"

#include "admin/cache_admin.h"
#include "admin/cache_warmer.h"
#include "cache/cache_metrics.h"
#include "cache/response_store.h"

namespace x0::admin {
namespace {

// Answers one request per connection: /bad -> 500, /slow waits for release(), else 200.
class TinyServer {
 public:
  TinyServer() {
    x0::testing::LoopbackListener listener = x0::testing::listen_on_loopback(16);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    release();
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  std::string listener() const { return "127.0.0.1:" + std::to_string(port_); }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Request lines and Host values seen so far ("GET /a HTTP/1.1|localhost").
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  void wait_for_requests(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return seen_.size() >= n; });
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req = x0::testing::read_request_head(c);
      std::string line = req.substr(0, req.find("\r\n"));
      size_t h = req.find("\r\nHost: ");
      std::string host = h == std::string::npos ? "" : req.substr(h + 8, req.find("\r\n", h + 2) - h - 8);
      std::unique_lock lock(mu_);
      seen_.push_back(line + "|" + host);
      cv_.notify_all();
      if (line.find(" /slow ") != std::string::npos) cv_.wait(lock, [&] { return released_; });
      lock.unlock();
      std::string resp = line.find(" /bad ") != std::string::npos
          ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
          : "HTTP/1.1 200 OK\r\nX-Cache: MISS\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> seen_;
  bool released_ = false;
};

// Polls until the warm thread is done (a hang guard, not a timing assertion).
void wait_idle(const CacheAdmin& admin) {
  for (int i = 0; i < 6000 && admin.warming(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(admin.warming());
}

class CacheWarmTest : public ::testing::Test {
 protected:
  CacheAdminOptions options() {
    CacheAdminOptions o;
    o.snapshot_dir = "/nonexistent";
    o.data_listener = server_.listener();
    return o;
  }
  TinyServer server_;
  telemetry::Registry registry_;
  cache::CacheMetrics metrics_{registry_};
  cache::ResponseStore store_{cache::StoreConfig{}, &metrics_};
};

TEST(WarmUrl, Forms) {
  auto a = parse_warm_url("/a?b=1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->target, "/a?b=1");
  auto b = parse_warm_url("http://Example.com:8080/x/y?z");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "Example.com:8080");
  EXPECT_EQ(b->target, "/x/y?z");
  auto c = parse_warm_url("http://example.com");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->target, "/");
  for (const char* bad : {"", "ftp://x/", "https://x/", "a/b", "/a b", "http:///p", "http://u@h/"}) {
    auto r = parse_warm_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
  }
}

TEST(WarmUrl, Listener) {
  auto a = resolve_listener("0.0.0.0:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");
  EXPECT_TRUE(resolve_listener("[::1]:81"));
  EXPECT_FALSE(resolve_listener("127.0.0.1"));
  EXPECT_FALSE(resolve_listener("127.0.0.1:99999"));
}

TEST_F(CacheWarmTest, FetchesThroughTheListenerAndCounts) {
  CacheAdmin admin(store_, options(), &metrics_);
  auto started = admin.start_warm({"/one?x=1", "http://example.com:81/two", "/bad"});
  ASSERT_TRUE(started) << started.error().detail;
  EXPECT_EQ((*started)["started"], true);
  EXPECT_EQ((*started)["urls"], 3);
  wait_idle(admin);
  EXPECT_EQ(server_.seen(), (std::vector<std::string>{"GET /one?x=1 HTTP/1.1|localhost",
                                                      "GET /two HTTP/1.1|example.com:81",
                                                      "GET /bad HTTP/1.1|localhost"}));
  auto w = admin.status()["warming"];
  EXPECT_EQ(w["in_progress"], false);
  EXPECT_EQ(w["done"], 3);
  EXPECT_EQ(w["total"], 3);
  EXPECT_EQ(w["ok"], 2);
  EXPECT_EQ(w["failed"], 1);
  EXPECT_EQ(w["last_error"], "/bad: answered 500");
  EXPECT_EQ(w["results"][0]["x_cache"], "MISS");
  EXPECT_EQ(metrics_.warming_in_progress().value(), 0.0);
  EXPECT_EQ(metrics_.warming_progress().value(), 1.0);
}

TEST_F(CacheWarmTest, OneWarmAtATimeAndGaugesWhileRunning) {
  CacheAdmin admin(store_, options(), &metrics_);
  ASSERT_TRUE(admin.start_warm({"/first", "/slow", "/after"}));
  server_.wait_for_requests(2);  // /first answered, /slow held
  EXPECT_TRUE(admin.warming());
  EXPECT_EQ(metrics_.warming_in_progress().value(), 1.0);
  EXPECT_NEAR(metrics_.warming_progress().value(), 1.0 / 3, 1e-9);
  auto again = admin.start_warm({"/x"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
  server_.release();
  wait_idle(admin);
  EXPECT_EQ(admin.status()["warming"]["ok"], 3);
  // A finished warm does not block the next one.
  ASSERT_TRUE(admin.start_warm({"/x"}));
  wait_idle(admin);
  EXPECT_EQ(admin.status()["warming"]["total"], 1);
}

TEST_F(CacheWarmTest, EmptyListUsesPreloadUrlsOrIsRefused) {
  CacheAdmin none(store_, options(), &metrics_);
  auto refused = none.start_warm({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kBadRequest);
  auto bad_url = none.start_warm({"/ok", "ftp://x/"});
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().code, Errc::kBadRequest);
  EXPECT_TRUE(server_.seen().empty()) << "nothing is fetched when one URL is bad";

  auto o = options();
  o.preload_urls = {"/p1", "/p2"};
  CacheAdmin preload(store_, o, &metrics_);
  auto started = preload.start_warm({});
  ASSERT_TRUE(started);
  EXPECT_EQ((*started)["urls"], 2);
  wait_idle(preload);
  EXPECT_EQ(server_.seen().size(), 2u);
}

TEST_F(CacheWarmTest, AListenerThatIsNotHostPortIsRefusedAtOnce) {
  auto o = options();
  o.data_listener = "127.0.0.1";
  CacheAdmin admin(store_, o, &metrics_);
  auto refused = admin.start_warm({"/a"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kBadRequest);
  EXPECT_FALSE(admin.warming());
}

TEST(WarmListener, ParsesWithoutALookup) {
  auto a = parse_listener("[::]:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_listener("node.example:81");
  ASSERT_TRUE(b) << "a name is kept for the warm thread to resolve";
  EXPECT_EQ(b->host, "node.example");
  EXPECT_FALSE(parse_listener("node.example"));
  EXPECT_FALSE(parse_listener("x:0"));
}

TEST_F(CacheWarmTest, UnreachableListenerCountsFailures) {
  auto o = options();
  o.data_listener = "127.0.0.1:1";  // nothing listens on port 1
  CacheAdmin admin(store_, o, &metrics_);
  ASSERT_TRUE(admin.start_warm({"/a", "/b"}));
  wait_idle(admin);
  auto w = admin.status()["warming"];
  EXPECT_EQ(w["failed"], 2);
  EXPECT_NE(w["last_error"].get<std::string>().find("connect"), std::string::npos) << w.dump();
}

TEST_F(CacheWarmTest, DestructionStopsTheWarmWithoutWaitingForTheGetInFlight) {
  auto o = options();
  o.warm_timeout_ms = 600'000;  // the destructor must not wait for this deadline
  {
    CacheAdmin admin(store_, o, &metrics_);
    ASSERT_TRUE(admin.start_warm({"/slow", "/a", "/b"}));
    server_.wait_for_requests(1);
  }  // stops the warm loop and joins: /slow is dropped, /a and /b are never asked for
  EXPECT_EQ(server_.seen().size(), 1u);
  EXPECT_EQ(metrics_.warming_in_progress().value(), 0.0);
}

}  // namespace
}  // namespace x0::admin
