// epoll loop, timers and cross-thread posting (see event_loop.h).
#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>

#include "common/log.h"

namespace x0::net {

int64_t EventLoop::monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
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
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

TimerId EventLoop::add_timer(int64_t delay_ms, std::function<void()> fn) {
  TimerId id = next_timer_id_++;
  int64_t deadline = monotonic_ms() + (delay_ms < 0 ? 0 : delay_ms);
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  timer_deadlines_.emplace(id, deadline);
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  timers_.erase({it->second, id});
  timer_deadlines_.erase(it);
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

int EventLoop::next_timeout_ms() const {
  if (timers_.empty()) return 1000;  // wake at least once a second so the watchdog sees progress
  int64_t wait = timers_.begin()->first.first - monotonic_ms();
  if (wait < 0) return 0;
  return wait > 1000 ? 1000 : static_cast<int>(wait);
}

void EventLoop::run_timers() {
  now_ms_ = monotonic_ms();
  while (!timers_.empty() && timers_.begin()->first.first <= now_ms_) {
    auto it = timers_.begin();
    std::function<void()> fn = std::move(it->second);
    timer_deadlines_.erase(it->first.second);
    timers_.erase(it);
    fn();
  }
}

void EventLoop::run_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(posted_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run_deferred() {
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred_);
    for (auto& fn : batch) fn();
  }
}

void EventLoop::run() {
  running_ = true;
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stop_requested_.load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, next_timeout_ms());
    now_ms_ = monotonic_ms();
    iterations_ = iterations_ + 1;
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("NET", "epoll_wait failed", {{"errno", errno}});
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
      if (handler == nullptr) {
        uint64_t value;
        ssize_t r = read(wake_fd_, &value, sizeof value);
        (void)r;
        run_posted();
        continue;
      }
      handler->on_io(events[i].events);
    }
    if (!timers_.empty()) run_timers();
    run_deferred();
  }
  run_posted();
  run_deferred();
  running_ = false;
}

}  // namespace x0::net
