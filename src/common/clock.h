// Wall-clock time as unix milliseconds: what incidents, releases, snapshots and cache entries
// store, so their times survive restarts. Durations use the monotonic clock: net::EventLoop's
// per-iteration milliseconds, or monotonic_ns() where a request's latency is measured.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace x0 {

inline int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Wall-clock time to the second, as certificates' validity and the mesh's views count it.
inline std::chrono::sys_seconds unix_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

inline int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace x0
