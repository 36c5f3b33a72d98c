// One epoll event loop per thread (shared-nothing). Once a loop runs, everything registered on it
// (file descriptors, timers, deferred work) is touched only by the thread running it, and the
// loop checks that on every call: a registration from another thread aborts the process with
// the caller named, instead of corrupting the loop's structures. Other threads talk to a loop
// only through post() (an eventfd-woken queue) or through immutable snapshots they publish.
// Before run() and after it returns, the thread that set the loop up may use it freely.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

struct epoll_event;

namespace x0::net {

class Timer;

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
  // Events of the batch being dispatched that were not yet delivered to `handler` are dropped
  // too, so the handler may be destroyed right after (an upstream connection freed because its
  // client's event, earlier in the same batch, ended the request).
  void remove(int fd, IoHandler* handler);

  // A one-shot timer the loop owns, for work that is not per request (ticks, sweeps). Objects
  // that wait on a peer own a net::Timer instead (timer.h): no allocation per arm. Cancel is a
  // no-op for fired or unknown ids.
  TimerId add_timer(int64_t delay_ms, std::function<void()> fn);
  void cancel_timer(TimerId id);

  // Runs fn after the current batch of events: the way to destroy or recycle an object while
  // other events of the same epoll_wait batch, or frames further up the stack, may still name it.
  void defer(std::function<void()> fn);

  // Thread-safe: runs fn on the loop thread soon.
  void post(std::function<void()> fn);

  // Runs until stop() (a stop() before run() is kept), and can be run again after it returns.
  // stop() is thread-safe.
  void run();
  void stop();

  // Monotonic milliseconds, refreshed once per loop iteration (cheap to read on the hot path).
  int64_t now_ms() const { return now_ms_; }
  // Cross-thread posts (each takes the queue's mutex once): the node's only lock shared by
  // threads on a worker loop; exported as lock_acquisitions_total. Readable from any thread.
  uint64_t posts() const { return posts_.load(std::memory_order_relaxed); }
  // Bumped every iteration; a watchdog on another thread compares it to detect a stuck loop.
  uint64_t iterations() const { return iterations_.load(std::memory_order_relaxed); }

  // True on the thread running the loop, and on any thread while the loop does not run.
  bool on_owner_thread() const {
    std::thread::id runner = runner_.load(std::memory_order_relaxed);
    return runner == std::thread::id() || runner == std::this_thread::get_id();
  }
  // Aborts with `what` named when called off the owner thread (see on_owner_thread()).
  void assert_owner(const char* what) const {
    if (!on_owner_thread()) owner_violation(what);
  }

  static int64_t monotonic_ms();

 private:
  friend class Timer;
  class Waker;
  struct OneShot;
  [[noreturn]] static void owner_violation(const char* what);
  // The timer heap (timer.h): a binary min-heap of armed timers by (deadline, arm order), each
  // timer knowing its own slot, so arming, re-arming and cancelling cost no allocation.
  void schedule(Timer& timer);
  void unschedule(Timer& timer);
  void sift_up(size_t slot);
  void sift_down(size_t slot);
  void place(size_t slot, Timer* timer);
  void run_timers();
  void run_posted();
  void run_deferred();
  int next_timeout_ms() const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int64_t now_ms_ = 0;
  std::atomic<std::thread::id> runner_{};
  std::atomic<uint64_t> iterations_{0};
  std::vector<Timer*> timer_heap_;
  uint64_t timer_sequence_ = 0;
  TimerId next_one_shot_id_ = 1;
  std::unordered_map<TimerId, std::unique_ptr<OneShot>> one_shots_;
  std::vector<std::function<void()>> deferred_;
  // The epoll batch being dispatched, so remove() can drop what is not yet delivered.
  static constexpr int kMaxEvents = 256;
  ::epoll_event* batch_ = nullptr;
  int batch_size_ = 0, batch_next_ = 0;
  std::vector<std::function<void()>> running_deferred_;  // the batch run_deferred() is running
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
  std::atomic_bool stop_requested_{false};
  std::atomic<uint64_t> posts_{0};
};

}  // namespace x0::net
