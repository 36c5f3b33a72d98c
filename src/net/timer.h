// A timer owned by the object that waits: a request's deadline, a connection's inactivity
// timeout, a probe's timeout. It sits in its loop's heap only while armed and knows its own
// slot there, so arming, re-arming and cancelling allocate nothing and cost O(log n); destroying
// it cancels it. The callback is a plain function and an object pointer (Timer::call<&T::m>(obj)),
// bound once at construction. It runs on the loop thread; it may re-arm, cancel or even destroy
// the timer (the loop touches nothing of a timer after calling it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/event_loop.h"

namespace x0::net {

class Timer {
 public:
  struct Callback {
    void (*fn)(void* object);
    void* object;
  };
  // Timer::call<&Stream::on_timeout>(this): calls stream->on_timeout() when the timer fires.
  template <auto Method, class T>
  static Callback call(T* object) {
    return {[](void* o) { (static_cast<T*>(o)->*Method)(); }, object};
  }

  Timer(EventLoop& loop, Callback callback) : loop_(loop), callback_(callback) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires once, delay_ms from now (re-arming moves an armed timer).
  void arm(int64_t delay_ms) { arm_at(EventLoop::monotonic_ms() + (delay_ms < 0 ? 0 : delay_ms)); }
  // Fires once at a monotonic time (EventLoop::monotonic_ms()).
  void arm_at(int64_t deadline_ms);
  void cancel();
  bool armed() const { return slot_ != kNotArmed; }
  int64_t deadline_ms() const { return deadline_ms_; }

 private:
  friend class EventLoop;
  static constexpr size_t kNotArmed = static_cast<size_t>(-1);
  bool before(const Timer& other) const {
    return deadline_ms_ != other.deadline_ms_ ? deadline_ms_ < other.deadline_ms_
                                              : sequence_ < other.sequence_;
  }

  EventLoop& loop_;
  Callback callback_;
  int64_t deadline_ms_ = 0;
  uint64_t sequence_ = 0;  // arm order: timers due at the same millisecond fire as armed
  size_t slot_ = kNotArmed;
};

}  // namespace x0::net
