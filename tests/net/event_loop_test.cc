// The event loop's contract: timers fire in deadline order and may re-arm, cancel or destroy
// themselves; deferred work runs after the batch; post() is the only cross-thread door and any
// other call from a foreign thread aborts while the loop runs.
#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "net/timer.h"
#include "run_loop.h"

namespace x0::net {
namespace {

using x0::testing::run_until_stopped;

struct Recorder {
  EventLoop& loop;
  std::vector<int>& order;
  int id;
  int fires_left = 1;
  Timer timer{loop, Timer::call<&Recorder::fire>(this)};
  void fire() {
    order.push_back(id);
    if (--fires_left > 0) timer.arm(1);
  }
};

// A readable socket pair end, registered; `peer` is destroyed by whichever of the two runs first.
struct Readable final : IoHandler {
  EventLoop& loop;
  int fds[2];
  int& calls;
  std::unique_ptr<Readable>* peer = nullptr;
  Readable(EventLoop& l, int& c) : loop(l), calls(c) {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    EXPECT_EQ(::write(fds[1], "x", 1), 1);
    loop.add(fds[0], EPOLLIN, this);
  }
  ~Readable() override {
    loop.remove(fds[0], this);
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void on_io(uint32_t) override {
    ++calls;
    peer->reset();  // the other's event is in this same batch
    loop.defer([this] { loop.stop(); });
  }
};

TEST(EventLoopTest, AHandlerRemovedDuringABatchGetsNoMoreOfItsEvents) {
  EventLoop loop;
  int calls = 0;
  auto a = std::make_unique<Readable>(loop, calls);
  auto b = std::make_unique<Readable>(loop, calls);
  a->peer = &b;
  b->peer = &a;
  run_until_stopped(loop);
  EXPECT_EQ(calls, 1);  // without the drop, the destroyed one's on_io would run on freed memory
  EXPECT_TRUE(a == nullptr || b == nullptr);
}

TEST(TimerTest, FiresInDeadlineOrderAndFifoOnTies) {
  EventLoop loop;
  std::vector<int> order;
  std::vector<std::unique_ptr<Recorder>> timers;
  int delays[] = {30, 10, 20, 10, 0, 30};
  for (int i = 0; i < 6; ++i) {
    timers.push_back(std::unique_ptr<Recorder>(new Recorder{loop, order, i}));
  }
  // Same millisecond for the ties: arm_at with explicit deadlines.
  int64_t base = EventLoop::monotonic_ms();
  for (int i = 0; i < 6; ++i) timers[i]->timer.arm_at(base + delays[i]);
  loop.add_timer(60, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(order, (std::vector<int>{4, 1, 3, 2, 0, 5}));
}

TEST(TimerTest, CancelAndRearmMoveTheTimer) {
  EventLoop loop;
  std::vector<int> order;
  Recorder a{loop, order, 1}, b{loop, order, 2}, c{loop, order, 3};
  a.timer.arm(5);
  b.timer.arm(10);
  c.timer.arm(15);
  b.timer.cancel();
  EXPECT_FALSE(b.timer.armed());
  a.timer.arm(20);  // moved behind c
  EXPECT_TRUE(a.timer.armed());
  loop.add_timer(40, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(order, (std::vector<int>{3, 1}));
  EXPECT_FALSE(a.timer.armed());
}

TEST(TimerTest, CallbackMayRearmItself) {
  EventLoop loop;
  std::vector<int> order;
  Recorder r{loop, order, 7};
  r.fires_left = 3;
  r.timer.arm(1);
  loop.add_timer(50, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(order, (std::vector<int>{7, 7, 7}));
}

struct SelfDestroying {
  std::unique_ptr<SelfDestroying>* owner;
  Timer timer;
  int* fired;
  SelfDestroying(EventLoop& loop, std::unique_ptr<SelfDestroying>* owned_by, int* fire_count)
      : owner(owned_by), timer(loop, Timer::call<&SelfDestroying::fire>(this)), fired(fire_count) {}
  void fire() {
    ++*fired;
    owner->reset();  // destroys the timer being fired
  }
};

TEST(TimerTest, CallbackMayDestroyItsTimer) {
  EventLoop loop;
  int fired = 0;
  std::unique_ptr<SelfDestroying> victim;
  victim = std::make_unique<SelfDestroying>(loop, &victim, &fired);
  victim->timer.arm(1);
  std::vector<int> order;
  Recorder after{loop, order, 9};
  after.timer.arm(1);  // same tick: must still fire, the heap intact
  loop.add_timer(30, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(victim, nullptr);
  EXPECT_EQ(order, (std::vector<int>{9}));
}

TEST(TimerTest, ManyTimersKeepHeapOrder) {
  EventLoop loop;
  std::vector<int> order;
  std::vector<std::unique_ptr<Recorder>> timers;
  int64_t base = EventLoop::monotonic_ms();
  for (int i = 0; i < 200; ++i) {
    timers.push_back(std::unique_ptr<Recorder>(new Recorder{loop, order, i}));
    timers.back()->timer.arm_at(base + (i * 37) % 50);
  }
  for (int i = 0; i < 200; i += 3) timers[i]->timer.cancel();
  loop.add_timer(80, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  ASSERT_EQ(order.size(), 200u - 67u);
  for (size_t i = 1; i < order.size(); ++i) {
    int64_t prev = (order[i - 1] * 37) % 50, cur = (order[i] * 37) % 50;
    ASSERT_LE(prev, cur) << "at " << i;
    if (prev == cur) {
      ASSERT_LT(order[i - 1], order[i]);  // arm order on ties
    }
  }
}

TEST(EventLoopTest, OneShotTimersCanBeCancelled) {
  EventLoop loop;
  int fired = 0;
  TimerId cancelled = loop.add_timer(5, [&] { fired += 100; });
  loop.add_timer(5, [&] { fired += 1; });
  loop.cancel_timer(cancelled);
  loop.cancel_timer(cancelled);  // twice: no-op
  loop.add_timer(30, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTest, DeferRunsAfterTheCurrentCallbackAndInOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.add_timer(0, [&] {
    loop.defer([&] {
      order.push_back(2);
      loop.defer([&] { order.push_back(4); });  // deferred from deferred: same turn, later
    });
    loop.defer([&] { order.push_back(3); });
    order.push_back(1);
  });
  loop.add_timer(20, [&loop] { loop.stop(); });
  run_until_stopped(loop);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(EventLoopTest, PostFromAnotherThreadRunsOnTheLoopThread) {
  EventLoop loop;
  std::atomic<bool> ran_on_loop{false};
  std::thread::id loop_thread;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    loop.run();
  });
  // Wait until the loop runs, then post: the function runs there, and may use the loop freely.
  while (loop.iterations() == 0) std::this_thread::yield();
  loop.post([&] {
    ran_on_loop = std::this_thread::get_id() == loop_thread && loop.on_owner_thread();
    loop.add_timer(0, [&loop] { loop.stop(); });
  });
  runner.join();
  EXPECT_TRUE(ran_on_loop.load());
  EXPECT_GE(loop.posts(), 1u);
  EXPECT_TRUE(loop.on_owner_thread());  // not running any more: the set-up thread may use it
}

TEST(EventLoop, AStopBeforeRunIsKeptAndTheLoopRunsAgainAfterItStopped) {
  EventLoop loop;
  loop.stop();
  loop.run();  // returns at once: the stop was not lost
  int fired = 0;
  loop.add_timer(10, [&] {
    ++fired;
    loop.stop();
  });
  loop.run();  // runs again until the timer's stop
  EXPECT_EQ(fired, 1);
}

// Starts `loop` on another thread, waits until it runs, then does `misuse` on this thread.
template <class Misuse>
void misuse_running_loop(EventLoop& loop, Misuse misuse) {
  std::thread runner([&] { loop.run(); });
  while (loop.iterations() == 0) std::this_thread::yield();
  misuse();
  loop.stop();
  runner.join();
}

void add_timer_from_foreign_thread() {
  EventLoop loop;
  misuse_running_loop(loop, [&] { loop.add_timer(10, [] {}); });
}

void arm_timer_from_foreign_thread() {
  EventLoop loop;
  std::vector<int> order;
  Recorder r{loop, order, 1};
  misuse_running_loop(loop, [&] { r.timer.arm(10); });
}

TEST(EventLoopDeathTest, RegistrationFromAForeignThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(add_timer_from_foreign_thread(),
               "EventLoop::add_timer called off the event loop's own thread");
}

TEST(EventLoopDeathTest, ArmingAForeignLoopsTimerAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(arm_timer_from_foreign_thread(), "Timer::arm called off the event loop's own thread");
}

}  // namespace
}  // namespace x0::net
