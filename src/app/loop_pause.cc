// Holding an event loop's thread (see loop_pause.h).
#include "app/loop_pause.h"

#include <chrono>

#include "net/event_loop.h"

namespace x0::app {

LoopPause::~LoopPause() {
  if (!for_good_) resume();
}

bool LoopPause::hold(const Post& post, int64_t deadline_ms, std::function<void()> first) {
  shared_ = std::make_shared<Shared>();
  auto shared = shared_;
  post([shared, first = std::move(first)] {
    std::unique_lock lock(shared->mu);
    if (shared->phase == Phase::kCalledOff) return;
    if (first) {
      lock.unlock();  // `first` may take a while (a cache snapshot); the caller waits meanwhile
      first();
      lock.lock();
      if (shared->phase == Phase::kCalledOff) return;
    }
    shared->phase = Phase::kHeld;
    shared->changed.notify_all();
    shared->changed.wait(lock, [&] { return shared->phase == Phase::kResumed; });
  });
  std::unique_lock lock(shared->mu);
  for (;;) {
    if (shared->phase == Phase::kHeld) return true;
    int64_t left = deadline_ms - net::EventLoop::monotonic_ms();
    if (left <= 0) {
      shared->phase = Phase::kCalledOff;
      shared_.reset();
      return false;
    }
    shared->changed.wait_for(lock, std::chrono::milliseconds(left));
  }
}

void LoopPause::resume() {
  if (!shared_) return;
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->phase == Phase::kHeld)
      shared_->phase = Phase::kResumed;
    else
      shared_->phase = Phase::kCalledOff;
  }
  shared_->changed.notify_all();
  shared_.reset();
  for_good_ = false;
}

void LoopPause::park_for_good() { for_good_ = true; }

}  // namespace x0::app
