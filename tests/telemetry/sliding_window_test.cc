// SlidingWindow semantics with an injected clock: slots expire after window_seconds, the
// current partial second counts, rates divide by the window (or the age while younger).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "telemetry/metrics.h"

namespace x0::telemetry {
namespace {

struct FakeClock {
  int64_t now = 1000;
  std::function<int64_t()> fn() {
    return [this] { return now; };
  }
};

TEST(SlidingWindow, CountsOnlyTheLastWindowSeconds) {
  FakeClock clock;
  SlidingWindow w(10, clock.fn());
  w.record(5);  // t=1000
  clock.now = 1003;
  w.record(2);
  EXPECT_EQ(w.total_in_window(), 7u);
  clock.now = 1009;  // 1000 is still inside (1000..1009)
  EXPECT_EQ(w.total_in_window(), 7u);
  clock.now = 1010;  // 1000 falls out
  EXPECT_EQ(w.total_in_window(), 2u);
  clock.now = 1013;
  EXPECT_EQ(w.total_in_window(), 0u);
}

TEST(SlidingWindow, ReusedSlotStartsFromZero) {
  FakeClock clock;
  SlidingWindow w(3, clock.fn());
  w.record(100);     // t=1000, slot 1000%3
  clock.now = 1003;  // same slot, new second
  w.record(1);
  EXPECT_EQ(w.total_in_window(), 1u);
}

TEST(SlidingWindow, RateDividesByWindowOnceFull) {
  FakeClock clock;
  SlidingWindow w(10, clock.fn());
  // 20 events per second for 15 seconds.
  for (int s = 0; s < 15; ++s) {
    w.record(20);
    if (s < 14) ++clock.now;
  }
  EXPECT_EQ(w.total_in_window(), 200u);
  EXPECT_DOUBLE_EQ(w.rate_per_second(), 20.0);
}

TEST(SlidingWindow, RateWhileYoungerThanWindowUsesAge) {
  FakeClock clock;
  SlidingWindow w(10, clock.fn());
  w.record(30);
  ++clock.now;
  w.record(30);
  ++clock.now;
  w.record(30);  // three seconds old, 90 events
  EXPECT_DOUBLE_EQ(w.rate_per_second(), 30.0);
}

TEST(SlidingWindow, IdleWindowDropsToZero) {
  FakeClock clock;
  SlidingWindow w(10, clock.fn());
  w.record(1000);
  clock.now += 3600;
  EXPECT_EQ(w.total_in_window(), 0u);
  EXPECT_EQ(w.rate_per_second(), 0.0);
}

TEST(SlidingWindow, ConcurrentRecordsAreExact) {
  FakeClock clock;
  SlidingWindow w(10, clock.fn());
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      if (t % 2) set_thread_shard(static_cast<size_t>(t));  // others share shard 0
      for (int i = 0; i < 100000; ++i) w.record();
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(w.total_in_window(), 800000u);
}

TEST(SlidingWindow, RatioOfTwoWindows) {
  FakeClock clock;
  SlidingWindow errors(10, clock.fn()), requests(10, clock.fn());
  EXPECT_EQ(window_ratio(errors, requests), 0.0);  // no traffic is not a 100% error rate
  requests.record(200);
  errors.record(10);
  EXPECT_DOUBLE_EQ(window_ratio(errors, requests), 0.05);
}

TEST(SlidingWindow, FeedsGaugeCallbacks) {
  FakeClock clock;
  SlidingWindow rps(10, clock.fn());
  Registry r;
  r.gauge_callback("x_requests_per_second", "h", {}, [&] { return rps.rate_per_second(); });
  rps.record(42);
  EXPECT_NE(r.render().find("x_requests_per_second 42\n"), std::string::npos) << r.render();
}

TEST(SlidingWindow, DefaultClockWorks) {
  SlidingWindow w;
  w.record(3);
  EXPECT_EQ(w.total_in_window(), 3u);
  EXPECT_EQ(w.window_seconds(), 10);
}

}  // namespace
}  // namespace x0::telemetry
