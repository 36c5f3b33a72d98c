// Windows over cumulative counters: rates, P95 and where a fault began.
#include "autopilot/signal_window.h"

#include <gtest/gtest.h>

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
  w.add(at(100, 50, 0, {50, 0, 0, 0}));    // all in the fastest bucket
  w.add(at(200, 100, 0, {100, 0, 0, 0}));
  w.add(at(300, 150, 0, {100, 0, 0, 50}));  // this tick: all in the slowest bucket
  w.add(at(400, 200, 0, {150, 0, 0, 50}));
  EXPECT_EQ(w.over(1000).first_bad_ms, 0);  // no threshold, no anomaly
  double slow_ms = 500;  // the fast ticks are under 10 ms, the slow one at 1 s or more
  EXPECT_EQ(w.over(1000, BadTick{.p95_ms_above = slow_ms}).first_bad_ms, 200);
  // A window that starts after the slow tick does not see it.
  EXPECT_EQ(w.over(100, BadTick{.p95_ms_above = slow_ms}).first_bad_ms, 0);
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

}  // namespace
}  // namespace x0::autopilot
