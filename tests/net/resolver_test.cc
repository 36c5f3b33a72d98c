// net::Resolver's contract: names are looked up on its worker and answered on the requesting
// loop's thread, once; IP literals need no lookup; a request whose lookup outlives its deadline
// ends "timed_out" and its late answer is dropped; destroying the resolver with lookups pending
// calls nothing and leaves a stuck worker to finish alone. The slow lookups are a fake at the
// LookupFn seam (gated, so no test waits on a clock for them).
#include "net/resolver.h"
#include "run_loop.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace x0::net {
namespace {

using x0::testing::run_until_stopped;

// A lookup that blocks until opened, and counts its calls. Owned by shared_ptr: the resolver's
// worker may still hold it after the test body left.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int calls = 0;
  int returned = 0;
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  int call_count() {
    std::lock_guard lock(mu);
    return calls;
  }
  void wait_for_calls(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return calls >= n; });
  }
  void wait_for_returns(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return returned >= n; });
  }
};

Resolver::LookupFn gated(std::shared_ptr<Gate> gate) {
  return [gate](const std::string& host, uint16_t port) -> Result<SocketAddress> {
    std::unique_lock lock(gate->mu);
    ++gate->calls;
    gate->cv.notify_all();
    gate->cv.wait(lock, [&] { return gate->open; });
    ++gate->returned;
    gate->cv.notify_all();
    if (host == "fails.test") return fail(Errc::kResolveFailed, "cannot resolve " + host);
    auto a = numeric_address("127.0.0.1", port);
    return *a;
  };
}

struct Answer {
  bool called = false;
  int calls = 0;
  std::thread::id thread;
  Result<SocketAddress> result = fail(Errc::kNotFound, "not answered");
};

Resolver::Done record(Answer& answer) {
  return [&answer](Result<SocketAddress> r) {
    answer.called = true;
    ++answer.calls;
    answer.thread = std::this_thread::get_id();
    answer.result = std::move(r);
  };
}

TEST(ResolverTest, LoopbackNamesAreAnsweredOnTheLoopThread) {
  EventLoop loop;
  Resolver resolver(loop);  // the real getaddrinfo: "localhost" comes from /etc/hosts
  Answer a;
  std::thread::id loop_thread;
  loop.post([&] {
    loop_thread = std::this_thread::get_id();
    resolver.resolve("localhost", 8080, 5000, [&](Result<SocketAddress> r) {
      record(a)(std::move(r));
      loop.stop();
    });
    EXPECT_FALSE(a.called) << "answered inside resolve()";
  });
  run_until_stopped(loop);
  ASSERT_TRUE(a.called);
  ASSERT_TRUE(a.result.has_value()) << a.result.error().detail;
  EXPECT_TRUE(is_loopback(a.result->storage)) << a.result->to_string();
  EXPECT_TRUE(a.result->to_string().ends_with(":8080")) << a.result->to_string();
  EXPECT_EQ(a.thread, loop_thread);
  EXPECT_EQ(resolver.pending(), 0u);
}

TEST(ResolverTest, IpLiteralsNeedNoLookup) {
  EventLoop loop;
  auto gate = std::make_shared<Gate>();  // never opened: a lookup would hang the test
  Resolver resolver(loop, gated(gate));
  Answer v4, v6;
  loop.post([&] {
    resolver.resolve("10.1.2.3", 81, 1000, record(v4));
    resolver.resolve("[::1]", 82, 1000, [&](Result<SocketAddress> r) {
      record(v6)(std::move(r));
      loop.stop();
    });
    EXPECT_FALSE(v4.called);  // never inside resolve()
    EXPECT_EQ(resolver.pending(), 2u);
  });
  run_until_stopped(loop);
  ASSERT_TRUE(v4.result.has_value());
  EXPECT_EQ(v4.result->to_string(), "10.1.2.3:81");
  ASSERT_TRUE(v6.result.has_value());
  EXPECT_EQ(v6.result->storage.ss_family, AF_INET6);
  EXPECT_TRUE(is_loopback(v6.result->storage));
  EXPECT_EQ(gate->call_count(), 0);
  gate->release();
}

TEST(ResolverTest, NumericAddressRefusesNames) {
  EXPECT_FALSE(numeric_address("localhost", 80).has_value());
  EXPECT_FALSE(numeric_address("10.0.0", 80).has_value());
  EXPECT_EQ(numeric_address("192.168.1.9", 443)->to_string(), "192.168.1.9:443");
}

TEST(ResolverTest, LookupErrorsArePassedOn) {
  EventLoop loop;
  auto gate = std::make_shared<Gate>();
  gate->release();
  Resolver resolver(loop, gated(gate));
  Answer a;
  resolver.resolve("fails.test", 80, 5000, [&](Result<SocketAddress> r) {
    record(a)(std::move(r));
    loop.stop();
  });
  run_until_stopped(loop);
  ASSERT_TRUE(a.called);
  ASSERT_FALSE(a.result.has_value());
  EXPECT_EQ(a.result.error().code, Errc::kResolveFailed);
}

// The lookup hangs; the request's deadline answers it on the loop, and the lookup's late answer,
// when the gate opens, is dropped: the callback ran once. A request behind the stuck one is
// answered after it (one worker, in order), which also proves the late answer was delivered to
// the loop and ignored before the test ends.
TEST(ResolverTest, DeadlineAnswersASlowLookupOnceOnTheLoopThread) {
  EventLoop loop;
  auto gate = std::make_shared<Gate>();
  Resolver resolver(loop, gated(gate));
  Answer slow, next;
  std::thread::id loop_thread;
  std::thread runner([&] { run_until_stopped(loop); });
  loop.post([&] {
    loop_thread = std::this_thread::get_id();
    resolver.resolve("slow.test", 80, 30, [&](Result<SocketAddress> r) {
      record(slow)(std::move(r));
      resolver.resolve("next.test", 81, 5000, [&](Result<SocketAddress> r2) {
        record(next)(std::move(r2));
        loop.stop();
      });
      gate->release();
    });
  });
  runner.join();
  ASSERT_TRUE(slow.called);
  EXPECT_EQ(slow.calls, 1);
  ASSERT_FALSE(slow.result.has_value());
  EXPECT_EQ(slow.result.error().code, Errc::kTimedOut);
  EXPECT_NE(slow.result.error().detail.find("slow.test:80"), std::string::npos);
  EXPECT_EQ(slow.thread, loop_thread);
  EXPECT_NE(slow.thread, std::this_thread::get_id());
  ASSERT_TRUE(next.called);
  EXPECT_EQ(next.calls, 1);
  ASSERT_TRUE(next.result.has_value()) << next.result.error().detail;
  EXPECT_EQ(next.result->to_string(), "127.0.0.1:81");
  EXPECT_EQ(next.thread, loop_thread);
  EXPECT_EQ(resolver.pending(), 0u);
}

TEST(ResolverTest, CancelledRequestsAreNotAnswered) {
  EventLoop loop;
  auto gate = std::make_shared<Gate>();
  gate->release();
  Resolver resolver(loop, gated(gate));
  Answer cancelled, kept;
  auto id = resolver.resolve("a.test", 80, 5000, record(cancelled));
  resolver.resolve("b.test", 80, 5000, [&](Result<SocketAddress> r) {
    record(kept)(std::move(r));
    loop.stop();
  });
  resolver.cancel(id);
  run_until_stopped(loop);
  EXPECT_FALSE(cancelled.called);
  EXPECT_TRUE(kept.called);
}

// Destroyed with one lookup stuck in the worker and one queued: nothing is called, the
// destructor does not wait for the stuck lookup, and the worker, once it returns, posts nothing
// to the loop (which still exists and runs below).
TEST(ResolverTest, DestroyingWithLookupsPendingIsSafe) {
  EventLoop loop;
  auto gate = std::make_shared<Gate>();
  Answer stuck, queued;
  {
    Resolver resolver(loop, gated(gate));
    resolver.resolve("stuck.test", 80, 5000, record(stuck));
    resolver.resolve("queued.test", 80, 5000, record(queued));
    gate->wait_for_calls(1);
  }
  gate->release();
  gate->wait_for_returns(1);
  // Whatever the worker could have posted would run now.
  loop.post([&] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_FALSE(stuck.called);
  EXPECT_FALSE(queued.called);
  EXPECT_EQ(gate->call_count(), 1);
}

}  // namespace
}  // namespace x0::net
