// One epoll event loop per worker thread (shared-nothing). Everything registered on a loop is
// touched only by that loop's thread; other threads talk to it through post() (an eventfd-woken
// queue) or through immutable snapshots they publish.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace x0::net {

// Implemented by whatever owns a file descriptor registered with the loop.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void on_io(uint32_t epoll_events) = 0;
};

using TimerId = uint64_t;

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registration; events are EPOLLIN/EPOLLOUT/... (level-triggered unless EPOLLET is given).
  bool add(int fd, uint32_t events, IoHandler* handler);
  bool modify(int fd, uint32_t events, IoHandler* handler);
  void remove(int fd);

  // One-shot timer on this loop's thread. Cancel is a no-op for fired or unknown ids.
  TimerId add_timer(int64_t delay_ms, std::function<void()> fn);
  void cancel_timer(TimerId id);

  // Runs fn after the current batch of events: used to destroy a handler safely while other
  // events of the same epoll_wait batch may still name it.
  void defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

  // Thread-safe: runs fn on the loop thread soon.
  void post(std::function<void()> fn);

  // Runs until stop(). stop() is thread-safe.
  void run();
  void stop();

  // Monotonic milliseconds, refreshed once per loop iteration (cheap to read on the hot path).
  int64_t now_ms() const { return now_ms_; }
  // Cross-thread posts (each takes the queue's mutex once): the node's only lock shared by
  // threads on a worker loop; exported as lock_acquisitions_total. Readable from any thread.
  uint64_t posts() const { return posts_.load(std::memory_order_relaxed); }
  // Bumped every iteration; a watchdog compares it to detect a stuck loop.
  uint64_t iterations() const { return iterations_; }

  static int64_t monotonic_ms();

 private:
  class Waker;
  void run_timers();
  void run_posted();
  void run_deferred();
  int next_timeout_ms() const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool running_ = false;
  int64_t now_ms_ = 0;
  volatile uint64_t iterations_ = 0;
  TimerId next_timer_id_ = 1;
  std::map<std::pair<int64_t, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, int64_t> timer_deadlines_;
  std::vector<std::function<void()>> deferred_;
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
  std::atomic_bool stop_requested_{false};
  std::atomic<uint64_t> posts_{0};
};

}  // namespace x0::net
