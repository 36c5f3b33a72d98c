// Wall-clock time as unix milliseconds: what incidents, releases, snapshots and cache entries
// store, so their times survive restarts. (Durations use the monotonic clock of net::EventLoop.)
#pragma once

#include <chrono>
#include <cstdint>

namespace x0 {

inline int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace x0
