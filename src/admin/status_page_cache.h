// The status page's last rendering, shared by the workers. The page is public and is read
// hardest during an incident, when the control thread (which builds it from the incident store,
// and also runs the autopilot) matters most: so a request within kMaxAgeMs of the last build is
// answered from here by the worker, and while one build runs, others get the copy it replaces.
// Any thread: a mutex guards the pointer swap, never the rendering.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace x0::admin {

class StatusPageCache {
 public:
  static constexpr int64_t kMaxAgeMs = 1000;
  static constexpr int64_t kBuildTimeoutMs = 5000;  // a build not published by then is retried

  struct Copy {
    std::string json;
    std::string html;
    int64_t built_ms = 0;  // unix ms
  };

  // The copy when it is fresh; otherwise nullptr, with `build` telling the caller whether to
  // build a new one (no other build in progress) and `stale` the copy to answer meanwhile.
  std::shared_ptr<const Copy> lookup(int64_t now_ms, bool* build,
                                     std::shared_ptr<const Copy>* stale) {
    std::lock_guard lock(mu_);
    if (copy_ && now_ms - copy_->built_ms < kMaxAgeMs) return copy_;
    *build = !building_ || now_ms - building_since_ms_ >= kBuildTimeoutMs;
    if (*build) {
      building_ = true;
      building_since_ms_ = now_ms;
    }
    *stale = copy_;
    return nullptr;
  }

  void publish(Copy copy) {
    auto fresh = std::make_shared<const Copy>(std::move(copy));
    std::lock_guard lock(mu_);
    copy_ = std::move(fresh);
    building_ = false;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<const Copy> copy_;
  bool building_ = false;
  int64_t building_since_ms_ = 0;
};

}  // namespace x0::admin
