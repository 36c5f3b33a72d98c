// The latency sketch: its bucket layout (every value in a bucket whose bounds hold it, buckets
// contiguous and at most 1/32 wide), sharded counting and merging, and the accuracy of the P95
// the autopilot reads from it: within 3 % of the true one around every policy threshold.
#include "telemetry/latency_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace x0::telemetry {
namespace {

using L = LatencyLayout;

TEST(LatencyLayout, BucketsAreContiguousAndNarrow) {
  EXPECT_EQ(L::kBuckets, 672u);
  EXPECT_EQ(L::lower_us(0), 0u);
  for (size_t i = 0; i < L::kBuckets; ++i) {
    ASSERT_LT(L::lower_us(i), L::upper_us(i)) << i;
    ASSERT_EQ(L::index(L::lower_us(i)), i) << i;
    ASSERT_EQ(L::index(L::upper_us(i) - 1), i) << i;
    if (i + 1 < L::kBuckets) ASSERT_EQ(L::upper_us(i), L::lower_us(i + 1)) << i;
    // Exact below 64 us; above, a bucket is at most 1/32 of its lower bound wide.
    uint64_t width = L::upper_us(i) - L::lower_us(i);
    if (i >= 2 * L::kSubBuckets) ASSERT_LE(width * 32, L::lower_us(i)) << i;
  }
  EXPECT_EQ(L::upper_us(L::kBuckets - 1), L::kOverflowUs);
  std::vector<double> bounds = L::upper_bounds_s();
  ASSERT_EQ(bounds.size(), L::kBuckets);
  EXPECT_DOUBLE_EQ(bounds[100], static_cast<double>(L::upper_us(100)) * 1e-6);
}

TEST(LatencyLayout, EveryValueLandsInABucketThatHoldsIt) {
  std::mt19937_64 rng(17);
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v < 5000; ++v) values.push_back(v);
  for (unsigned b = 1; b <= L::kTopBits; ++b) {
    uint64_t p = uint64_t{1} << b;
    for (uint64_t d : {p - 1, p, p + 1}) {
      if (d < L::kOverflowUs) values.push_back(d);
    }
  }
  for (int k = 0; k < 200000; ++k) values.push_back(rng() % L::kOverflowUs);
  std::sort(values.begin(), values.end());
  size_t previous = 0;
  for (uint64_t v : values) {
    size_t i = L::index(v);
    ASSERT_LT(i, L::kBuckets) << v;
    ASSERT_LE(L::lower_us(i), v) << v;
    ASSERT_LT(v, L::upper_us(i)) << v;
    ASSERT_GE(i, previous) << v;  // monotone
    previous = i;
  }
  EXPECT_EQ(L::index(L::kOverflowUs), L::kBuckets);
  EXPECT_EQ(L::index(UINT64_MAX), L::kBuckets);
}

TEST(LatencySketch, CountsSecondsAsMicrosecondsWithOverflowAndJunkAtTheEnds) {
  LatencySketch s;
  s.observe(0.150);  // 150 ms
  s.observe(-1);
  s.observe(std::nan(""));
  s.observe(40.0);  // past 33.55 s
  s.observe(INFINITY);
  std::vector<uint64_t> c = s.bucket_counts();
  ASSERT_EQ(c.size(), L::kBuckets + 1);
  EXPECT_EQ(c[0], 2u);
  EXPECT_EQ(c[L::index(150000)], 1u);
  EXPECT_EQ(c[L::kBuckets], 2u);
  EXPECT_EQ(s.count(), 5u);
}

TEST(LatencySketch, ShardsAreAllocatedByTheThreadsThatRecordAndAddUp) {
  LatencySketch s;
  EXPECT_EQ(s.memory_bytes(), 0u);  // nothing recorded, nothing allocated
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&s, t] {
      set_thread_shard(t + 1);
      for (int k = 0; k < 10000; ++k) s.observe_us(1000 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(s.count(), 40000u);
  std::vector<uint64_t> c = s.bucket_counts();
  for (uint64_t t = 1; t <= 4; ++t) EXPECT_EQ(c[L::index(1000 * t)], 10000u);
  size_t shard_bytes = ((L::kBuckets + 1) * 8 + 63) / 64 * 64;  // whole cache lines
  EXPECT_EQ(s.memory_bytes(), 4 * shard_bytes);
}

TEST(LatencySketch, MergingIsAddingCounts) {
  LatencySketch a, b, both;
  std::mt19937_64 rng(5);
  for (int k = 0; k < 5000; ++k) {
    uint64_t v = rng() % 2'000'000;
    (k % 2 ? a : b).observe_us(v);
    both.observe_us(v);
  }
  std::vector<uint64_t> merged(L::kBuckets + 1, 0);
  a.add_to(merged);
  b.add_to(merged);
  EXPECT_EQ(merged, both.bucket_counts());
}

// The P95 as the rules read it (bucket_quantile over the sketch, in ms) against the true one
// (the nearest-rank P95 of the values).
double relative_p95_error(std::vector<double> values_ms) {
  LatencySketch s;
  for (double v : values_ms) s.observe(v / 1000.0);
  double measured = bucket_quantile(L::upper_bounds_s(), s.bucket_counts(), 0.95) * 1000.0;
  std::sort(values_ms.begin(), values_ms.end());
  auto rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(values_ms.size()))) - 1;
  double truth = values_ms[rank];
  return std::fabs(measured - truth) / truth;
}

TEST(LatencySketchAccuracy, PointMassesAroundEveryThresholdAreWithinThreePercent) {
  for (double ms : {1.0, 2.0, 150.0, 180.0, 199.0, 200.0, 201.0, 250.0, 260.0, 450.0, 480.0, 500.0,
                    520.0, 1000.0, 30000.0}) {
    EXPECT_LE(relative_p95_error(std::vector<double>(1000, ms)), 0.03) << ms << " ms";
  }
  // Every point mass from 1 ms to 30 s in 0.1 % steps: the worst one in a bucket is at its bottom.
  double worst = 0;
  for (double ms = 1.0; ms <= 30000.0; ms *= 1.001) {
    worst = std::max(worst, relative_p95_error(std::vector<double>(100, ms)));
  }
  EXPECT_LE(worst, 0.03);
}

TEST(LatencySketchAccuracy, SpreadsAndMixturesAreWithinThreePercent) {
  std::mt19937_64 rng(42);
  auto draw = [&](auto dist, size_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = dist(rng);
    return v;
  };
  struct Case {
    const char* name;
    std::vector<double> values;
  };
  std::vector<Case> cases;
  cases.push_back({"uniform 100-300 ms", draw(std::uniform_real_distribution<>(100, 300), 20000)});
  cases.push_back({"uniform 1-30000 ms", draw(std::uniform_real_distribution<>(1, 30000), 20000)});
  for (double median : {20.0, 150.0, 260.0, 480.0}) {
    for (double sigma : {0.1, 0.5, 1.0}) {
      auto d = std::lognormal_distribution<>(std::log(median), sigma);
      cases.push_back({"log-normal", draw(d, 20000)});
    }
  }
  // Bimodal: a fast majority and a slow tail, with the P95 inside the tail, at its edge, and
  // inside the fast mode.
  for (double slow_share : {0.04, 0.05, 0.06, 0.10, 0.30}) {
    std::vector<double> v;
    auto fast = std::normal_distribution<>(20, 2);
    auto slow = std::normal_distribution<>(480, 20);
    for (int k = 0; k < 20000; ++k) {
      v.push_back(std::uniform_real_distribution<>()(rng) < slow_share ? slow(rng) : fast(rng));
    }
    cases.push_back({"bimodal 20 ms / 480 ms", v});
  }
  for (const Case& c : cases) EXPECT_LE(relative_p95_error(c.values), 0.03) << c.name;
}

TEST(BucketQuantile, InterpolatesAndReportsTheLastBoundForOverflow) {
  const std::vector<double> bounds = {0.01, 0.1, 1.0};
  EXPECT_NEAR(bucket_quantile(bounds, std::vector<uint64_t>{0, 100, 0, 0}, 0.95),
              0.01 + 0.95 * 0.09, 1e-12);
  EXPECT_DOUBLE_EQ(bucket_quantile(bounds, std::vector<uint64_t>{0, 0, 0, 5}, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(bucket_quantile(bounds, std::vector<uint64_t>{0, 0, 0, 0}, 0.5), 0);
  // The sparse form gives the same answer, and a bucket split over entries adds up.
  std::vector<BucketCount> sparse = {{1, 40}, {1, 60}};
  EXPECT_DOUBLE_EQ(sparse_bucket_quantile(bounds, sparse, 0.95),
                   bucket_quantile(bounds, std::vector<uint64_t>{0, 100, 0, 0}, 0.95));
}

}  // namespace
}  // namespace x0::telemetry
