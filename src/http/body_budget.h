// The node-wide budget of request-body bytes held in memory ([api_gateway] memory_pool_size).
// Bodies are buffered whole before they are proxied; without a bound, a few hundred concurrent
// uploads take the node's memory. A connection takes budget as body bytes arrive and gives it
// back when its request ends; a request that cannot get it is answered 503 with Retry-After.
// Shared by every worker: one atomic, no lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace x0::http {

class BodyBudget {
 public:
  explicit BodyBudget(uint64_t bytes) : capacity_(bytes) {}

  bool try_take(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > capacity_ || used > capacity_ - bytes) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void give_back(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t capacity() const { return capacity_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  const uint64_t capacity_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace x0::http
