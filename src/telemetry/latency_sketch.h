// A latency distribution fine enough for the autopilot's thresholds: log-linear (HDR-style)
// buckets on integer microseconds, each at most 1/32 (3.125 %) of its lower bound wide, so a
// quantile read from it is within a few percent anywhere from 1 ms to 30 s (the Prometheus
// histogram's 100/250/500 ms buckets are not: docs/AUTOPILOT.md, "How P95 is measured").
// Hot path: one relaxed fetch_add on the calling thread's shard; a shard's counts are allocated
// on its thread's first observation, so memory follows the threads that record, not kMaxShards.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "telemetry/metrics.h"

namespace x0::telemetry {

// The bucket layout, the same for every sketch (so sketches and their counts merge by adding).
// Values below 2 * kSubBuckets us are exact (1 us buckets); above, every power of two is split
// into kSubBuckets equal buckets; values of 2^kTopBits us (33.6 s) and more share the overflow
// bucket.
struct LatencyLayout {
  static constexpr unsigned kSubBits = 5;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;  // 32 per power of two
  static constexpr unsigned kTopBits = 25;                          // 2^25 us = 33.55 s
  static constexpr uint64_t kOverflowUs = uint64_t{1} << kTopBits;

  static constexpr size_t index(uint64_t us) {
    if (us >= kOverflowUs) return kBuckets;  // the overflow bucket
    if (us < 2 * kSubBuckets) return static_cast<size_t>(us);
    // us in [2^(b-1), 2^b): drop the bits below the top kSubBits + 1; what is left, the
    // mantissa, is in [kSubBuckets, 2 * kSubBuckets) and picks the sub-bucket.
    auto shift = static_cast<unsigned>(std::bit_width(us)) - kSubBits - 1;
    return (size_t{shift} << kSubBits) + static_cast<size_t>(us >> shift);
  }
  // Bucket i holds the integer microseconds [lower_us(i), upper_us(i)); i < kBuckets.
  static constexpr uint64_t lower_us(size_t i) {
    if (i < 2 * kSubBuckets) return i;
    unsigned shift = static_cast<unsigned>(i >> kSubBits) - 1;
    return (uint64_t{(i & (kSubBuckets - 1))} + kSubBuckets) << shift;
  }
  static constexpr uint64_t upper_us(size_t i) {
    if (i < 2 * kSubBuckets) return i + 1;
    return lower_us(i) + (uint64_t{1} << ((i >> kSubBits) - 1));
  }
  // Finite buckets; counts have kBuckets + 1 entries, the last one the overflow bucket.
  static constexpr size_t kBuckets = ((size_t{kTopBits} - kSubBits - 1) << kSubBits) +
                                     2 * kSubBuckets;  // index(kOverflowUs - 1) + 1 = 672

  // upper_us(i) in seconds for every finite bucket: the form SignalWindow and bucket_quantile()
  // take, the overflow bucket implied after the last one (as a Prometheus histogram's +Inf).
  static std::vector<double> upper_bounds_s();
};
static_assert(LatencyLayout::index(LatencyLayout::kOverflowUs - 1) + 1 == LatencyLayout::kBuckets);

class LatencySketch {
 public:
  LatencySketch() = default;
  ~LatencySketch();
  LatencySketch(const LatencySketch&) = delete;
  LatencySketch& operator=(const LatencySketch&) = delete;

  void observe_us(uint64_t us) {
    size_t shard = thread_shard();
    Shard* s = shards_[shard].load(std::memory_order_acquire);
    if (s == nullptr) [[unlikely]]
      s = allocate(shard);
    s->counts[LatencyLayout::index(us)].fetch_add(1, std::memory_order_relaxed);
  }
  // Seconds, as the data plane measures them: truncated to whole microseconds; negative and
  // NaN count as 0, anything from 33.55 s up (and +Inf) as overflow.
  void observe(double seconds) { observe_us(to_us(seconds)); }
  static uint64_t to_us(double seconds) {
    double us = seconds * 1e6;
    if (!(us > 0)) return 0;
    if (us >= static_cast<double>(LatencyLayout::kOverflowUs)) return LatencyLayout::kOverflowUs;
    return static_cast<uint64_t>(us);
  }

  // Adds this sketch's counts (summed over its shards) into `counts`, which has
  // LatencyLayout::kBuckets + 1 entries: merging sketches is adding their counts.
  void add_to(std::span<uint64_t> counts) const;
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const;
  // Heap bytes held by the shards allocated so far (the threads that recorded).
  size_t memory_bytes() const;

 private:
  // One thread's counts; cache-line aligned so two threads' shards never share a line.
  struct alignas(kCacheLine) Shard {
    std::atomic<uint64_t> counts[LatencyLayout::kBuckets + 1]{};
  };
  Shard* allocate(size_t shard);
  std::atomic<Shard*> shards_[kMaxShards]{};  // owned; freed by the destructor
};

// Quantile q (0..1) of bucketed counts given the buckets' upper bounds (any unit; counts has
// one more entry than upper_bounds, the overflow / +Inf bucket). Linear interpolation of the
// rank inside the bucket that holds it, as Prometheus' histogram_quantile() does; the first
// bucket starts at 0; a rank in the overflow bucket reports the highest finite bound (nothing
// better is known); 0 when there are no counts.
double bucket_quantile(std::span<const double> upper_bounds, std::span<const uint64_t> counts,
                       double q);

// One non-empty bucket of sparse counts. Sparse counts are in increasing bucket order; a
// bucket may appear in several consecutive entries (a count above 2^32 is split), which add up.
struct BucketCount {
  uint32_t bucket = 0;
  uint32_t count = 0;
};
// The same estimator over sparse counts (bucket_quantile() is this one over its non-zeros).
double sparse_bucket_quantile(std::span<const double> upper_bounds,
                              std::span<const BucketCount> counts, double q);

}  // namespace x0::telemetry
