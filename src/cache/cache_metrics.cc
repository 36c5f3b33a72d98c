// Registration of the cache series on a telemetry registry.
#include "cache/cache_metrics.h"

namespace x0::cache {

CacheMetrics::CacheMetrics(telemetry::Registry& r, int window_s)
    : hits_(r.counter("cache_hits_total", "Cache lookups answered from the cache")),
      misses_(r.counter("cache_misses_total", "Cache lookups not answered from the cache")),
      evictions_(r.counter("cache_evictions_total", "Entries evicted to stay within bounds")),
      corrupt_(r.counter("cache_corrupt_entries_total",
                         "Entries whose checksum did not match (dropped)")),
      stale_served_(r.counter("cache_stale_served_total",
                              "Stale entries served because the upstream failed")),
      entries_(r.gauge("cache_entries", "Entries in the response cache")),
      bytes_(r.gauge("cache_bytes", "Bytes charged to the response cache")),
      warming_in_progress_(r.gauge("cache_warming_in_progress", "1 while a cache warm is running")),
      warming_progress_(r.gauge("cache_warming_progress", "Progress of the cache warm, 0..1")),
      window_hits_(window_s),
      window_lookups_(window_s) {
  r.gauge_callback("cache_hit_rate", "Cache hits / lookups over a sliding window", {},
                   [this] { return hit_rate(); });
}

CacheMetrics& default_cache_metrics() {
  static CacheMetrics metrics(telemetry::default_registry());
  return metrics;
}

}  // namespace x0::cache
