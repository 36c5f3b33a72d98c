// The in-memory response cache: sharded by key hash, each shard a mutex + hash map + intrusive
// eviction list, bounded by entries (capacity) and bytes (max_bytes), both split evenly across
// shards. A lookup takes one shard lock just long enough to copy a shared_ptr; the caller then
// serves the immutable entry with no lock held. Thread-safe: every worker may call every method.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"
#include "cache/cached_response.h"

namespace x0::cache {

class CacheMetrics;

// kSieve (default): FIFO queue + "visited" bit, evicts the first unvisited entry from the tail
// (Zhang et al., NSDI'24). A hit only sets a bit (no list relinking under the lock) and one-hit
// scans do not flush the hot set. kLru: classic move-to-front. Hit ratios: docs/CACHE.md.
enum class Eviction { kLru, kSieve };

struct StoreConfig {
  size_t capacity = 10000;                // entries, whole store ([cache] capacity)
  size_t max_bytes = 256u * 1024 * 1024;  // charged bytes, whole store ([cache] max_bytes)
  size_t shard_count = 16;                // [cache] shard_count
  Eviction eviction = Eviction::kSieve;
  double verify_sample_rate = 0.0;  // 0..1: share of hits whose checksum is recomputed
  size_t max_variants = 8;          // per primary key (Vary); the oldest variant goes first
};

enum class LookupStatus { kMiss, kHit, kStale };

struct LookupResult {
  LookupStatus status = LookupStatus::kMiss;
  std::shared_ptr<const CachedResponse> response;  // set for kHit and kStale
  int64_t age_s = 0;                               // value for the Age header
  // kStale only: the lead may serve it if the upstream fails (then call record_stale_served()).
  bool within_stale_if_error = false;
};

enum class InsertStatus { kStored, kReplaced, kTooLarge };

struct VerifyReport {
  uint64_t checked = 0, corrupt = 0;
};

struct StoreStats {
  uint64_t entries = 0, bytes = 0, evictions = 0, hits = 0, misses = 0, stale = 0, stale_served = 0,
           corrupt = 0;
};

class ResponseStore {
 public:
  explicit ResponseStore(StoreConfig config, CacheMetrics* metrics = nullptr);
  ~ResponseStore();
  ResponseStore(const ResponseStore&) = delete;
  ResponseStore& operator=(const ResponseStore&) = delete;

  // kHit: fresh. kStale: past its lifetime but within stale-if-error (counted as a miss).
  // Entries past lifetime + stale-if-error are dropped here. now_ms: unix ms.
  LookupResult lookup(const CacheKey& key, Headers request_headers, int64_t now_ms);
  // Takes a sealed entry (make_cached_response or a snapshot). Replaces the variant with the
  // same Vary values; evicts until within bounds. Does not recompute the checksum.
  InsertStatus insert(std::shared_ptr<const CachedResponse> entry);
  // Drops this exact entry if it is still stored (e.g. after a failed sampled check).
  bool erase(const std::shared_ptr<const CachedResponse>& entry);
  // /admin/cache/clear?prefix=: entries whose target (path?query) starts with prefix, any host.
  size_t erase_prefix(std::string_view target_prefix);
  size_t clear();
  // All entries, copied shard by shard (one lock at a time); fn runs with no lock held.
  std::vector<std::shared_ptr<const CachedResponse>> entries() const;
  void for_each(const std::function<void(const std::shared_ptr<const CachedResponse>&)>& fn) const;
  // Recomputes every checksum (outside the locks) and drops the entries that do not match.
  VerifyReport verify_all();
  void record_stale_served();
  StoreStats stats() const;
  // Shard mutex acquisitions so far (lookups, inserts, admin walks): lock_acquisitions_total.
  uint64_t lock_acquisitions() const;
  const StoreConfig& config() const { return config_; }
  // Larger entries are refused (kTooLarge): a proxy stops buffering a body beyond this.
  size_t max_entry_bytes() const { return shard_bytes_; }

 public:
  struct Shard;  // defined in response_store.cc

 private:
  Shard& shard_for(uint64_t hash) const;
  void publish_size(int64_t d_entries, int64_t d_bytes);
  void record_corrupt(uint64_t n);

  StoreConfig config_;
  size_t shard_capacity_, shard_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  CacheMetrics* metrics_;
  std::atomic<int64_t> entries_{0}, bytes_{0};
  std::atomic<uint64_t> stale_served_{0}, corrupt_{0};
};

}  // namespace x0::cache
