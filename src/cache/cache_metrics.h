// The cache's Prometheus series (names from issue 4). Counters are sharded per worker by the
// telemetry registry, so bumping them on the hot path takes no lock. One CacheMetrics per
// registry; default_cache_metrics() is the one on telemetry::default_registry().
#pragma once

#include <cstdint>

#include "telemetry/metrics.h"

namespace x0::cache {

class CacheMetrics {
 public:
  // Registers: cache_hits_total, cache_misses_total, cache_hit_rate (hits / lookups over a
  // sliding window of window_s seconds), cache_evictions_total, cache_entries, cache_bytes,
  // cache_corrupt_entries_total, cache_stale_served_total, cache_warming_in_progress,
  // cache_warming_progress. Throws at start-up if a name clashes (registry rule).
  explicit CacheMetrics(telemetry::Registry& registry, int window_s = 60);
  CacheMetrics(const CacheMetrics&) = delete;
  CacheMetrics& operator=(const CacheMetrics&) = delete;

  void hit() {
    hits_->inc();
    window_hits_.record();
    window_lookups_.record();
  }
  void miss() {
    misses_->inc();
    window_lookups_.record();
  }
  void evicted(uint64_t n) { evictions_->inc(n); }
  void corrupt(uint64_t n) { corrupt_->inc(n); }
  void stale_served() { stale_served_->inc(); }
  void set_size(uint64_t entries, uint64_t bytes) {
    entries_->set(static_cast<double>(entries));
    bytes_->set(static_cast<double>(bytes));
  }
  // For the lead's warm code: in_progress 0/1, progress 0..1.
  telemetry::Gauge& warming_in_progress() { return *warming_in_progress_; }
  telemetry::Gauge& warming_progress() { return *warming_progress_; }
  double hit_rate() const { return telemetry::window_ratio(window_hits_, window_lookups_); }

 private:
  telemetry::Counter *hits_, *misses_, *evictions_, *corrupt_, *stale_served_;
  telemetry::Gauge *entries_, *bytes_, *warming_in_progress_, *warming_progress_;
  telemetry::SlidingWindow window_hits_, window_lookups_;
};

CacheMetrics& default_cache_metrics();

}  // namespace x0::cache
