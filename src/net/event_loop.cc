// epoll loop, timer heap, owner-thread checks and cross-thread posting (see event_loop.h).
#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "common/log.h"
#include "net/timer.h"

namespace x0::net {

// A timer the loop owns for add_timer(): the function runs once, then the entry is gone.
struct EventLoop::OneShot {
  OneShot(EventLoop& loop, TimerId timer_id, std::function<void()> function)
      : owner(loop), id(timer_id), fn(std::move(function)), timer(loop, Timer::call<&OneShot::fire>(this)) {}
  void fire() {
    std::function<void()> run = std::move(fn);
    owner.one_shots_.erase(id);  // destroys this (the loop no longer touches the timer)
    run();
  }
  EventLoop& owner;
  TimerId id;
  std::function<void()> fn;
  Timer timer;
};

int64_t EventLoop::monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void EventLoop::owner_violation(const char* what) {
  // A loop's structures are single-threaded: going on would corrupt them. Say who did it.
  std::fprintf(stderr, "FATAL net: %s called off the event loop's own thread (use post())\n", what);
  std::fflush(stderr);
  std::abort();
}

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("epoll/eventfd creation failed");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake fd
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  now_ms_ = monotonic_ms();
}

EventLoop::~EventLoop() {
  one_shots_.clear();
  // Timers still armed belong to objects that outlive the loop only by mistake; unlink them so
  // their destructors do not touch a freed heap.
  for (Timer* timer : timer_heap_) timer->slot_ = Timer::kNotArmed;
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  assert_owner("EventLoop::add");
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
  assert_owner("EventLoop::modify");
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

namespace {
// Stands in for a removed handler in the batch being dispatched.
class Dropped final : public IoHandler {
 public:
  void on_io(uint32_t) override {}
};
Dropped dropped;
}  // namespace

void EventLoop::remove(int fd, IoHandler* handler) {
  assert_owner("EventLoop::remove");
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  for (int i = batch_next_; i < batch_size_; ++i) {
    if (batch_[i].data.ptr == handler) batch_[i].data.ptr = &dropped;
  }
}

TimerId EventLoop::add_timer(int64_t delay_ms, std::function<void()> fn) {
  assert_owner("EventLoop::add_timer");
  TimerId id = next_one_shot_id_++;
  auto entry = std::make_unique<OneShot>(*this, id, std::move(fn));
  entry->timer.arm(delay_ms);
  one_shots_.emplace(id, std::move(entry));
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  assert_owner("EventLoop::cancel_timer");
  one_shots_.erase(id);
}

void EventLoop::defer(std::function<void()> fn) {
  assert_owner("EventLoop::defer");
  deferred_.push_back(std::move(fn));
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  posts_.fetch_add(1, std::memory_order_relaxed);
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;  // EAGAIN means a wake-up is already pending
}

void EventLoop::stop() {
  stop_requested_.store(true);
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
}

// --- Timer heap -----------------------------------------------------------------------------

void Timer::arm_at(int64_t deadline_ms) {
  loop_.assert_owner("Timer::arm");
  if (armed()) loop_.unschedule(*this);
  deadline_ms_ = deadline_ms;
  loop_.schedule(*this);
}

void Timer::cancel() {
  if (!armed()) return;
  loop_.assert_owner("Timer::cancel");
  loop_.unschedule(*this);
}

void EventLoop::place(size_t slot, Timer* timer) {
  timer_heap_[slot] = timer;
  timer->slot_ = slot;
}

void EventLoop::sift_up(size_t slot) {
  Timer* timer = timer_heap_[slot];
  while (slot > 0) {
    size_t parent = (slot - 1) / 2;
    if (!timer->before(*timer_heap_[parent])) break;
    place(slot, timer_heap_[parent]);
    slot = parent;
  }
  place(slot, timer);
}

void EventLoop::sift_down(size_t slot) {
  Timer* timer = timer_heap_[slot];
  size_t size = timer_heap_.size();
  for (;;) {
    size_t child = 2 * slot + 1;
    if (child >= size) break;
    if (child + 1 < size && timer_heap_[child + 1]->before(*timer_heap_[child])) ++child;
    if (!timer_heap_[child]->before(*timer)) break;
    place(slot, timer_heap_[child]);
    slot = child;
  }
  place(slot, timer);
}

void EventLoop::schedule(Timer& timer) {
  timer.sequence_ = timer_sequence_++;
  timer_heap_.push_back(&timer);
  sift_up(timer_heap_.size() - 1);
}

void EventLoop::unschedule(Timer& timer) {
  size_t slot = timer.slot_;
  timer.slot_ = Timer::kNotArmed;
  Timer* last = timer_heap_.back();
  timer_heap_.pop_back();
  if (slot == timer_heap_.size()) return;  // it was the last one
  timer_heap_[slot] = last;
  last->slot_ = slot;
  if (slot > 0 && last->before(*timer_heap_[(slot - 1) / 2])) {
    sift_up(slot);
  } else {
    sift_down(slot);
  }
}

int EventLoop::next_timeout_ms() const {
  if (timer_heap_.empty()) return 1000;  // wake at least once a second so the watchdog sees progress
  int64_t wait = timer_heap_.front()->deadline_ms_ - monotonic_ms();
  if (wait < 0) return 0;
  return wait > 1000 ? 1000 : static_cast<int>(wait);
}

void EventLoop::run_timers() {
  now_ms_ = monotonic_ms();
  while (!timer_heap_.empty() && timer_heap_.front()->deadline_ms_ <= now_ms_) {
    Timer* timer = timer_heap_.front();
    unschedule(*timer);
    Timer::Callback callback = timer->callback_;
    callback.fn(callback.object);  // may re-arm, cancel or destroy the timer
  }
}

// --- Running --------------------------------------------------------------------------------

void EventLoop::run_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(posted_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run_deferred() {
  // Two vectors swapped, so their capacity is kept: deferring allocates nothing in steady state.
  while (!deferred_.empty()) {
    running_deferred_.swap(deferred_);
    for (auto& fn : running_deferred_) fn();
    running_deferred_.clear();
  }
}

void EventLoop::run() {
  std::thread::id unowned{};
  if (!runner_.compare_exchange_strong(unowned, std::this_thread::get_id())) {
    owner_violation("EventLoop::run (the loop already runs on another thread)");
  }
  epoll_event events[kMaxEvents];
  while (!stop_requested_.load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, next_timeout_ms());
    now_ms_ = monotonic_ms();
    iterations_.store(iterations_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("NET", "epoll_wait failed", {{"errno", errno}});
      break;
    }
    batch_ = events;
    batch_size_ = n;
    for (batch_next_ = 0; batch_next_ < n;) {
      const epoll_event& event = events[batch_next_++];
      auto* handler = static_cast<IoHandler*>(event.data.ptr);
      if (handler == nullptr) {
        uint64_t value;
        ssize_t r = read(wake_fd_, &value, sizeof value);
        (void)r;
        run_posted();
        continue;
      }
      handler->on_io(event.events);
    }
    batch_size_ = batch_next_ = 0;
    if (!timer_heap_.empty()) run_timers();
    run_deferred();
  }
  run_posted();
  run_deferred();
  stop_requested_.store(false);
  runner_.store(std::thread::id(), std::memory_order_release);
}

}  // namespace x0::net
