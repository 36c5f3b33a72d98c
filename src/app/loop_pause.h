// Holds a thread's event loop inside one task, between two of its other tasks, for the restart
// hand-over (app/takeover.h): the control thread (releases, incidents, the autopilot) and the
// cache's disk thread stop writing the data dir while another process takes it over. A held
// loop runs nothing else: no timer, no queued task. resume() lets it go on (the hand-over
// failed); a pause that is never resumed parks the thread until the process ends, which is what
// a node that handed over wants: work queued behind the pause must not run here any more.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace x0::app {

class LoopPause {
 public:
  using Post = std::function<void(std::function<void()>)>;
  LoopPause() = default;
  LoopPause(const LoopPause&) = delete;
  LoopPause& operator=(const LoopPause&) = delete;
  // A held pause is let go: a thread never stays parked by accident of a destructor.
  ~LoopPause();

  // Posts the hold with `post` (the loop's own post()); `first` runs on the loop's thread once
  // it holds. True when the thread holds by the monotonic deadline; false: the hold is called
  // off (if its task runs later, it returns at once).
  bool hold(const Post& post, int64_t deadline_ms, std::function<void()> first = {});
  void resume();
  // After a hand-over: the thread stays parked, and the destructor leaves it so.
  void park_for_good();
  bool parked_for_good() const { return for_good_; }
  // Between a hold() that succeeded and resume().
  bool held() const { return shared_ != nullptr; }

 private:
  enum class Phase { kPosted, kHeld, kResumed, kCalledOff };
  struct Shared {
    std::mutex mu;
    std::condition_variable changed;
    Phase phase = Phase::kPosted;
  };
  std::shared_ptr<Shared> shared_;
  bool for_good_ = false;
};

}  // namespace x0::app
