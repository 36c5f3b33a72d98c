// The latency sketch's cold paths (see latency_sketch.h): a shard's first allocation, reading
// the shards back, and the one bucket-quantile estimator the autopilot and the scrape-time
// latency gauges share.
#include "telemetry/latency_sketch.h"

#include <algorithm>
#include <cstdint>

namespace x0::telemetry {

std::vector<double> LatencyLayout::upper_bounds_s() {
  std::vector<double> out(kBuckets);
  for (size_t i = 0; i < kBuckets; ++i) out[i] = static_cast<double>(upper_us(i)) * 1e-6;
  return out;
}

LatencySketch::~LatencySketch() {
  for (auto& slot : shards_) std::unique_ptr<Shard> owned(slot.load(std::memory_order_acquire));
}

// Two threads that share a shard index (more threads than kMaxShards) may race here: one CAS
// wins, the loser frees its copy and uses the winner's, so no observation is lost.
LatencySketch::Shard* LatencySketch::allocate(size_t shard) {
  auto fresh = std::make_unique<Shard>();
  Shard* expected = nullptr;
  if (shards_[shard].compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) {
    return fresh.release();
  }
  return expected;
}

void LatencySketch::add_to(std::span<uint64_t> counts) const {
  size_t n = std::min(counts.size(), LatencyLayout::kBuckets + 1);
  for (const auto& slot : shards_) {
    const Shard* s = slot.load(std::memory_order_acquire);
    if (s == nullptr) continue;
    for (size_t i = 0; i < n; ++i) counts[i] += s->counts[i].load(std::memory_order_relaxed);
  }
}

std::vector<uint64_t> LatencySketch::bucket_counts() const {
  std::vector<uint64_t> out(LatencyLayout::kBuckets + 1, 0);
  add_to(out);
  return out;
}

uint64_t LatencySketch::count() const {
  uint64_t total = 0;
  for (uint64_t c : bucket_counts()) total += c;
  return total;
}

size_t LatencySketch::memory_bytes() const {
  size_t shards = 0;
  for (const auto& slot : shards_) shards += slot.load(std::memory_order_relaxed) != nullptr;
  return shards * sizeof(Shard);
}

double sparse_bucket_quantile(std::span<const double> upper_bounds,
                              std::span<const BucketCount> counts, double q) {
  uint64_t total = 0;
  for (const BucketCount& c : counts) total += c.count;
  if (total == 0 || upper_bounds.empty()) return 0;
  double rank = q * static_cast<double>(total);
  double seen = 0;
  for (size_t k = 0; k < counts.size();) {
    size_t i = counts[k].bucket;
    uint64_t n = 0;
    for (; k < counts.size() && counts[k].bucket == i; ++k) n += counts[k].count;
    double next = seen + static_cast<double>(n);
    if (n > 0 && next >= rank) {
      if (i >= upper_bounds.size()) break;  // overflow bucket
      double lower = i == 0 ? 0.0 : upper_bounds[i - 1];
      double inside = (rank - seen) / static_cast<double>(n);
      return lower + inside * (upper_bounds[i] - lower);
    }
    seen = next;
  }
  return upper_bounds.back();
}

double bucket_quantile(std::span<const double> upper_bounds, std::span<const uint64_t> counts,
                       double q) {
  std::vector<BucketCount> sparse;
  for (size_t i = 0; i < counts.size(); ++i) {
    for (uint64_t left = counts[i]; left > 0;) {
      auto part = static_cast<uint32_t>(std::min<uint64_t>(left, UINT32_MAX));
      sparse.push_back({static_cast<uint32_t>(i), part});
      left -= part;
    }
  }
  return sparse_bucket_quantile(upper_bounds, sparse, q);
}

}  // namespace x0::telemetry
