// A node-wide allowance of one resource (open connections, buffered bytes) shared by every
// thread: one atomic counter against a limit, no lock. try_take never lets the total pass the
// limit, and counts what it refuses for the metrics.
#pragma once

#include <atomic>
#include <cstdint>

namespace x0 {

class Quota {
 public:
  explicit Quota(uint64_t limit) : limit_(limit) {}
  Quota(const Quota&) = delete;
  Quota& operator=(const Quota&) = delete;

  // Takes n; false (nothing taken, one refusal counted) when that would pass the limit.
  bool try_take(uint64_t n = 1) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      uint64_t limit = limit_.load(std::memory_order_relaxed);
      if (n > limit || used > limit - n) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give_back(uint64_t n = 1) { used_.fetch_sub(n, std::memory_order_relaxed); }
  // Applies to the next try_take; what is already taken above a lowered limit stays.
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }

  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace x0
