// Request coalescing for ONE worker: the first miss for a key becomes the leader and fetches;
// later misses for the same key on the same worker wait until the leader calls complete().
// Single-threaded by design (each worker owns one; no locks), so with N workers at most N
// upstream fetches of one key can be in flight at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/cache_key.h"
#include "cache/cached_response.h"

namespace x0::cache {

enum class JoinRole {
  kLeader,  // fetch upstream, then call complete() exactly once (also on failure/cancel)
  kWaiter,  // the callback will run from complete()
  kBypass,  // too many waiters already: fetch yourself, without coalescing
};

// Given to each waiter. response set: serve it (check vary_matches() against the waiter's own
// request first: a Vary'd response may be another variant). response null: the leader's
// response was not cacheable or the fetch failed, so fetch yourself.
struct CoalescedOutcome {
  std::shared_ptr<const CachedResponse> response;
};
using CoalescedWaiter = std::function<void(const CoalescedOutcome&)>;

class Coalescer {
 public:
  explicit Coalescer(size_t max_waiters_per_key = 1024) : max_waiters_(max_waiters_per_key) {}
  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  // Leader: waiter is not stored. Waiter: waiter is stored until complete(). kBypass also while
  // the key is marked uncacheable (now_ms: any monotonic clock, the same as mark_uncacheable's).
  JoinRole join(const CacheKey& key, CoalescedWaiter waiter, int64_t now_ms = 0);
  // Varnish's "hit-for-miss": the key's last response could not be stored, so for for_ms its
  // misses go upstream at once instead of queueing behind a fetch they cannot share (that
  // would serialise every request of an uncacheable URL behind the one in flight).
  void mark_uncacheable(const CacheKey& key, int64_t now_ms, int64_t for_ms = kUncacheableForMs);
  static constexpr int64_t kUncacheableForMs = 10000;
  static constexpr size_t kMaxUncacheableKeys = 4096;  // beyond: expired marks go, then all
  // Ends the flight: every waiter runs once with the outcome, in arrival order. A waiter may
  // call join() again (it then starts a new flight). Returns the number of waiters released.
  size_t complete(const CacheKey& key, std::shared_ptr<const CachedResponse> response);

  size_t flights() const { return flights_.size(); }
  size_t waiters(const CacheKey& key) const;

 private:
  size_t max_waiters_;
  std::unordered_map<std::string, std::vector<CoalescedWaiter>> flights_;
  std::unordered_map<std::string, int64_t> uncacheable_until_;
};

}  // namespace x0::cache
