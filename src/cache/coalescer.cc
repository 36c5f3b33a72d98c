// Flight bookkeeping for coalescer.h.
#include "cache/coalescer.h"

namespace x0::cache {

JoinRole Coalescer::join(const CacheKey& key, CoalescedWaiter waiter, int64_t now_ms) {
  if (!uncacheable_until_.empty()) {
    auto marked = uncacheable_until_.find(key.text());
    if (marked != uncacheable_until_.end()) {
      if (now_ms < marked->second) return JoinRole::kBypass;
      uncacheable_until_.erase(marked);
    }
  }
  auto [it, inserted] = flights_.try_emplace(key.text());
  if (inserted) return JoinRole::kLeader;
  if (it->second.size() >= max_waiters_) return JoinRole::kBypass;
  it->second.push_back(std::move(waiter));
  return JoinRole::kWaiter;
}

size_t Coalescer::complete(const CacheKey& key, std::shared_ptr<const CachedResponse> response) {
  auto it = flights_.find(key.text());
  if (it == flights_.end()) return 0;
  std::vector<CoalescedWaiter> waiters = std::move(it->second);
  flights_.erase(it);  // before the callbacks: they may join() the same key again
  const CoalescedOutcome outcome{std::move(response)};
  for (auto& w : waiters)
    if (w) w(outcome);
  return waiters.size();
}

void Coalescer::mark_uncacheable(const CacheKey& key, int64_t now_ms, int64_t for_ms) {
  if (uncacheable_until_.size() >= kMaxUncacheableKeys) {
    std::erase_if(uncacheable_until_, [now_ms](const auto& kv) { return kv.second <= now_ms; });
    if (uncacheable_until_.size() >= kMaxUncacheableKeys) uncacheable_until_.clear();
  }
  uncacheable_until_[key.text()] = now_ms + for_ms;
}

size_t Coalescer::waiters(const CacheKey& key) const {
  auto it = flights_.find(key.text());
  return it == flights_.end() ? 0 : it->second.size();
}

}  // namespace x0::cache
