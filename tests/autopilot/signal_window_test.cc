// Windows over cumulative counters: rates, P95 and where a fault began.
#include "autopilot/signal_window.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "telemetry/latency_sketch.h"

namespace x0::autopilot {
namespace {

const std::vector<double> kBounds = {0.01, 0.1, 1.0};  // 10 ms, 100 ms, 1 s, +Inf

CounterSample at(int64_t t, uint64_t requests, uint64_t errors, std::vector<uint64_t> buckets) {
  return CounterSample{t, requests, errors, std::move(buckets)};
}

TEST(QuantileMs, InterpolatesInsideTheBucket) {
  std::vector<uint64_t> counts = {0, 100, 0, 0};  // all between 10 and 100 ms
  EXPECT_NEAR(quantile_ms(kBounds, counts, 0.95), 10 + 0.95 * 90, 1e-9);
  std::vector<uint64_t> split = {90, 0, 10, 0};  // 90 fast, 10 between 100 ms and 1 s
  EXPECT_NEAR(quantile_ms(kBounds, split, 0.95), 100 + 0.5 * 900, 1e-9);
  std::vector<uint64_t> overflow = {0, 0, 0, 5};
  EXPECT_DOUBLE_EQ(quantile_ms(kBounds, overflow, 0.5), 1000);
  std::vector<uint64_t> none = {0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(quantile_ms(kBounds, none, 0.95), 0);
}

TEST(SignalWindow, DifferencesTheSampleAtTheWindowStart) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 0, 0, {0, 0, 0, 0}));
  w.add(at(1000, 100, 0, {100, 0, 0, 0}));
  w.add(at(2000, 200, 50, {150, 0, 50, 0}));
  WindowStats last_second = w.over(1000);
  EXPECT_EQ(last_second.requests, 100u);
  EXPECT_EQ(last_second.errors, 50u);
  EXPECT_DOUBLE_EQ(last_second.error_rate, 0.5);
  EXPECT_EQ(last_second.span_ms, 1000);
  EXPECT_GT(last_second.p95_ms, 100);  // half the window's requests were slow
  WindowStats both = w.over(2000);
  EXPECT_EQ(both.requests, 200u);
  EXPECT_DOUBLE_EQ(both.error_rate, 0.25);
}

TEST(SignalWindow, ShortHistoryCoversWhatThereIs) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 0, 0, {0, 0, 0, 0}));
  w.add(at(500, 10, 1, {10, 0, 0, 0}));
  WindowStats s = w.over(300000);
  EXPECT_EQ(s.span_ms, 500);
  EXPECT_EQ(s.requests, 10u);
}

TEST(SignalWindow, FindsTheTickWhereTheFaultBegan) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 0, 0, {0, 0, 0, 0}));
  w.add(at(100, 50, 0, {50, 0, 0, 0}));
  w.add(at(200, 100, 25, {100, 0, 0, 0}));  // 50 % of this tick failed
  w.add(at(300, 150, 50, {150, 0, 0, 0}));
  WindowStats s = w.over(1000, BadTick{.error_rate_above = 0.10});
  EXPECT_EQ(s.first_bad_ms, 100);
}

TEST(SignalWindow, FindsTheTickWhereLatencyJumped) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 0, 0, {0, 0, 0, 0}));
  w.add(at(100, 50, 0, {50, 0, 0, 0}));  // all in the fastest bucket
  w.add(at(200, 100, 0, {100, 0, 0, 0}));
  w.add(at(300, 150, 0, {100, 0, 0, 50}));  // this tick: all in the slowest bucket
  w.add(at(400, 200, 0, {150, 0, 0, 50}));
  EXPECT_EQ(w.over(1000).first_bad_ms, 0);  // no threshold, no anomaly
  double slow_ms = 500;  // the fast ticks are under 10 ms, the slow one at 1 s or more
  EXPECT_EQ(w.over(1000, BadTick{.p95_ms_above = slow_ms}).first_bad_ms, 200);
  // A window that starts after the slow tick does not see it.
  EXPECT_EQ(w.over(100, BadTick{.p95_ms_above = slow_ms}).first_bad_ms, 0);
}

// MTTD: a failure that began before the window is dated from where its run of bad ticks began,
// not from the window's edge; empty ticks inside the run do not break it.
TEST(SignalWindow, TheFirstAnomalousSampleIsLookedForPastTheWindowStart) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 0, 0, {0, 0, 0, 0}));
  w.add(at(100, 50, 0, {50, 0, 0, 0}));     // good
  w.add(at(200, 100, 25, {100, 0, 0, 0}));  // bad from here on
  w.add(at(300, 100, 25, {100, 0, 0, 0}));  // no requests
  w.add(at(400, 150, 50, {150, 0, 0, 0}));
  w.add(at(500, 200, 75, {200, 0, 0, 0}));
  WindowStats s = w.over(100, BadTick{.error_rate_above = 0.10});
  EXPECT_EQ(s.span_ms, 100);
  EXPECT_EQ(s.first_bad_ms, 100);
  EXPECT_EQ(s.last_bad_end_ms, 500);
}

// MTTR: the end of the last bad tick is where the clean run up to now began.
TEST(SignalWindow, TheLastBadTickEndsWhereTheRecoveryBegan) {
  SignalWindow w(kBounds, 60000);
  w.add(at(1000, 0, 0, {0, 0, 0, 0}));
  w.add(at(1100, 50, 25, {50, 0, 0, 0}));    // bad
  w.add(at(1200, 100, 50, {100, 0, 0, 0}));  // bad
  w.add(at(1300, 150, 50, {150, 0, 0, 0}));  // good
  w.add(at(1400, 200, 50, {200, 0, 0, 0}));  // good
  WindowStats s = w.over(1000, BadTick{.error_rate_above = 0.10});
  EXPECT_EQ(s.first_bad_ms, 1000);
  EXPECT_EQ(s.last_bad_end_ms, 1200);
  EXPECT_EQ(w.over(150, BadTick{.error_rate_above = 0.10}).last_bad_end_ms, 0);
}

TEST(SignalWindow, CounterResetStartsOver) {
  SignalWindow w(kBounds, 60000);
  w.add(at(0, 1000, 10, {1000, 0, 0, 0}));
  w.add(at(100, 5, 0, {5, 0, 0, 0}));  // counters recreated
  EXPECT_TRUE(w.empty());
  w.add(at(200, 15, 0, {15, 0, 0, 0}));
  EXPECT_EQ(w.over(1000).requests, 10u);
}

TEST(SignalWindow, KeepsOnlyWhatTheLongestWindowNeeds) {
  SignalWindow w(kBounds, 1000);
  for (int t = 0; t <= 10000; t += 100) {
    w.add(at(t, static_cast<uint64_t>(t), 0, {static_cast<uint64_t>(t), 0, 0, 0}));
  }
  EXPECT_EQ(w.over(60000).span_ms, 1000);  // older samples were dropped
}

// ---- Over the latency sketch's ~700 buckets, as the node samples them ----

using telemetry::LatencyLayout;
using telemetry::LatencySketch;

// A side of a service answering `latency_ms()` at `rps`, sampled every 100 ms.
struct SketchedSide {
  LatencySketch sketch;
  uint64_t requests = 0;
  CounterSample sample(int64_t t_ms) const {
    return CounterSample{t_ms, requests, 0, sketch.bucket_counts()};
  }
  template <typename Latency>
  void serve(int n, Latency latency_ms) {
    for (int k = 0; k < n; ++k, ++requests) sketch.observe(latency_ms() / 1000.0);
  }
};

TEST(SignalWindow, SteadyLatencyReadsWithinThreePercentNotAtTheBucketEdge) {
  // The coarse histogram read 150 ms as 242.5 and anything in 250-500 ms as 487.5.
  for (double ms : {150.0, 199.0, 201.0, 260.0, 480.0, 520.0}) {
    SignalWindow w(LatencyLayout::upper_bounds_s(), 60000);
    SketchedSide side;
    std::mt19937_64 rng(1);
    std::normal_distribution<> jitter(ms, ms * 0.01);
    for (int64_t t = 0; t <= 70000; t += 100) {
      side.serve(10, [&] { return jitter(rng); });
      w.add(side.sample(t));
    }
    WindowStats s = w.over(60000);
    EXPECT_NEAR(s.p95_ms, ms * 1.016, ms * 0.03) << ms;  // the true P95 is ~1.6 % above
    // Ticks older than kThinning are merged: the window may start up to 1/kThinning early.
    EXPECT_GE(s.requests, 6000u);
    EXPECT_LE(s.requests, 6000u + 6000u / SignalWindow::kThinning + 10);
  }
}

TEST(SignalWindow, ThinnedHistoryGivesExactDifferencesOverASlightlyLongerSpan) {
  // Every window equals the exact difference between the newest sample and the one at its
  // start; old samples are merged, so a long window may start up to 1/kThinning of its
  // length early, while the last kThinning ticks keep their resolution.
  SignalWindow w(LatencyLayout::upper_bounds_s(), 15 * 60 * 1000);
  SketchedSide side;
  std::map<int64_t, CounterSample> all;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<> spread(std::log(150), 0.5);
  for (int64_t t = 0; t <= 20 * 60 * 1000; t += 100) {
    side.serve(static_cast<int>(rng() % 20), [&] { return spread(rng); });
    all[t] = side.sample(t);
    w.add(all[t]);
  }
  EXPECT_LT(w.samples_kept(), 300u);  // instead of 9000
  const CounterSample& last = all.rbegin()->second;
  for (int64_t window : {100, 1000, 6000, 30000, 60000, 120000, 600000, 900000}) {
    WindowStats s = w.over(window);
    ASSERT_GE(s.span_ms, window);
    if (window <= SignalWindow::kThinning * 100) EXPECT_EQ(s.span_ms, window);
    EXPECT_LE(s.span_ms, window + window / SignalWindow::kThinning + 100) << window;
    const CounterSample& first = all.at(last.t_ms - s.span_ms);
    EXPECT_EQ(s.requests, last.requests - first.requests);
    std::vector<uint64_t> counts(last.buckets.size());
    for (size_t b = 0; b < counts.size(); ++b) counts[b] = last.buckets[b] - first.buckets[b];
    EXPECT_DOUBLE_EQ(s.p95_ms, quantile_ms(LatencyLayout::upper_bounds_s(), counts, 0.95));
  }
}

TEST(SignalWindow, FifteenMinutesOfABusySpreadServiceStayInTheHundredsOfKilobytes) {
  // The memory the docs state: 15 minutes of 100 ms ticks, 1000 req/s with a wide log-normal
  // spread (the worst case: every tick touches many buckets), and a steady service.
  auto kept = [](double sigma) {
    SignalWindow w(LatencyLayout::upper_bounds_s(), 15 * 60 * 1000);
    SketchedSide side;
    std::mt19937_64 rng(3);
    std::lognormal_distribution<> d(std::log(150), sigma);
    for (int64_t t = 0; t <= 16 * 60 * 1000; t += 100) {
      side.serve(100, [&] { return d(rng); });
      w.add(side.sample(t));
    }
    return w.memory_bytes();
  };
  size_t spread = kept(0.5);
  size_t steady = kept(0.005);
  std::printf("15 min of samples: spread (sigma 0.5) %zu bytes, steady %zu bytes\n", spread,
              steady);
  EXPECT_LT(spread, 400u * 1024);
  EXPECT_LT(steady, 64u * 1024);
}

TEST(SignalWindow, FindsTheSlowTickInSketchBuckets) {
  SignalWindow w(LatencyLayout::upper_bounds_s(), 60000);
  SketchedSide side;
  for (int64_t t = 0; t <= 3000; t += 100) {
    side.serve(10, [&] { return t >= 2000 ? 260.0 : 150.0; });
    w.add(side.sample(t));
  }
  // The first tick served at 260 ms is the one that ends at 2000.
  EXPECT_EQ(w.over(3000, BadTick{.p95_ms_above = 200}).first_bad_ms, 1900);
  EXPECT_EQ(w.over(3000, BadTick{.p95_ms_above = 300}).first_bad_ms, 0);
}

TEST(SignalWindow, ResponseBytesAndEmptyAnswersPerRequest) {
  SignalWindow w(kBounds, 60000);
  auto sample = [](int64_t t, uint64_t requests, uint64_t bytes, uint64_t empty) {
    CounterSample s{t, requests, 0, {requests, 0, 0, 0}};
    s.response_bytes = bytes;
    s.empty_responses = empty;
    return s;
  };
  w.add(sample(0, 0, 0, 0));
  w.add(sample(1000, 100, 10000, 0));    // 100 answers of 100 bytes
  w.add(sample(2000, 200, 10000, 100));  // then 100 empty ones
  WindowStats last = w.over(1000);
  EXPECT_EQ(last.response_bytes, 0u);
  EXPECT_DOUBLE_EQ(last.mean_response_bytes, 0);
  EXPECT_DOUBLE_EQ(last.empty_rate, 1.0);
  WindowStats both = w.over(2000);
  EXPECT_DOUBLE_EQ(both.mean_response_bytes, 50);
  EXPECT_DOUBLE_EQ(both.empty_rate, 0.5);
  BadTick empty;
  empty.empty_rate_above = 0.05;
  EXPECT_EQ(w.over(2000, empty).first_bad_ms, 1000);  // the empty answers began after 1 s
  BadTick small;
  small.mean_response_bytes_below = 50;
  EXPECT_EQ(w.over(2000, small).first_bad_ms, 1000);
  // Counters sampled one after the other: an empty answer counted before its request.
  w.add(sample(2500, 250, 10000, 151));
  EXPECT_DOUBLE_EQ(w.over(500).empty_rate, 1.0);
  // Counters going backwards (a reload recreated them) start the window over.
  w.add(sample(3000, 300, 5, 100));
  EXPECT_EQ(w.over(5000).requests, 0u);
}

}  // namespace
}  // namespace x0::autopilot
