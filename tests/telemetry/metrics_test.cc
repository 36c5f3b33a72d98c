// Registry, metric types and the Prometheus text rendering: identity, exact output, escaping,
// histogram bucket math, exact sums under concurrent bumps from many shards.
#include "telemetry/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace x0::telemetry {
namespace {

TEST(Registry, GetOrCreateReturnsSameHandle) {
  Registry r;
  Counter* a = r.counter("x_requests_total", "h", {{"code", "200"}});
  Counter* b = r.counter("x_requests_total", "h", {{"code", "200"}});
  Counter* c = r.counter("x_requests_total", "h", {{"code", "500"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Label order does not make a different series.
  Gauge* g1 = r.gauge("x_g", "h", {{"a", "1"}, {"b", "2"}});
  Gauge* g2 = r.gauge("x_g", "h", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(g1, g2);
  Histogram* h1 = r.histogram("x_seconds", "h", latency_buckets());
  EXPECT_EQ(h1, r.histogram("x_seconds", "h", latency_buckets()));
}

TEST(Registry, RejectsBadNamesAndTypeClashes) {
  Registry r;
  EXPECT_THROW(r.gauge("9lives", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("has-dash", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("no_suffix", "h"), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "h", {{"bad-label", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "h", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "h", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  const double b[] = {1, 2};
  EXPECT_THROW(r.histogram("h_seconds", "h", b, {{"le", "1"}}), std::invalid_argument);
  r.gauge("ok:name_1", "h");
  EXPECT_THROW(r.counter("ok:name_1", "h"), std::invalid_argument);
  r.histogram("lat_seconds", "h", b);
  const double other[] = {1, 3};
  EXPECT_THROW(r.histogram("lat_seconds", "h", other), std::invalid_argument);
  const double unsorted[] = {2, 1};
  EXPECT_THROW(r.histogram("u_seconds", "h", unsorted), std::invalid_argument);
}

TEST(Registry, RendersExactTextFormat) {
  Registry r;
  r.counter("b_requests_total", "Requests served.", {{"code", "500"}, {"method", "GET"}})->inc(3);
  r.counter("b_requests_total", "Requests served.", {{"code", "200"}, {"method", "GET"}})->inc();
  r.gauge("a_queue_depth", "Queued items.\nSecond line \\ here.")->set(2.5);
  const double bounds[] = {0.1, 1};
  Histogram* h = r.histogram("c_duration_seconds", "Latency.", bounds, {{"route", "/x"}});
  h->observe(0.05);
  h->observe(0.5);
  h->observe(7);
  r.gauge_callback("d_ratio", "Computed.", {}, [] { return 0.25; });
  EXPECT_EQ(r.render(),
            "# HELP a_queue_depth Queued items.\\nSecond line \\\\ here.\n"
            "# TYPE a_queue_depth gauge\n"
            "a_queue_depth 2.5\n"
            "# HELP b_requests_total Requests served.\n"
            "# TYPE b_requests_total counter\n"
            "b_requests_total{code=\"200\",method=\"GET\"} 1\n"
            "b_requests_total{code=\"500\",method=\"GET\"} 3\n"
            "# HELP c_duration_seconds Latency.\n"
            "# TYPE c_duration_seconds histogram\n"
            "c_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
            "c_duration_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"
            "c_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"
            "c_duration_seconds_sum{route=\"/x\"} 7.55\n"
            "c_duration_seconds_count{route=\"/x\"} 3\n"
            "# HELP d_ratio Computed.\n"
            "# TYPE d_ratio gauge\n"
            "d_ratio 0.25\n");
}

TEST(Registry, EscapesLabelValues) {
  Registry r;
  r.gauge("g", "h", {{"path", "a\"b\\c\nd"}})->set(1);
  EXPECT_NE(r.render().find("g{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << r.render();
  EXPECT_EQ(escape_label_value("plain/ünïcode"), "plain/ünïcode");
}

TEST(Format, ValuesParseBackAndUseProminentSpellings) {
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(10), "10");
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");  // round trip, not %g
  for (double v : {1e-300, 123456789.125, 1e20, -3.5, 0.00025}) {
    EXPECT_EQ(std::stod(format_value(v)), v) << format_value(v);
  }
}

TEST(Histogram, BucketMathFollowsLessOrEqual) {
  const double bounds[] = {1, 2, 4};
  Histogram h(bounds);
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 100.0}) h.observe(v);
  h.observe(std::nan(""));  // counted in +Inf, as Prometheus clients do
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{2, 2, 2, 3}));
  EXPECT_EQ(h.count(), 9u);
  EXPECT_TRUE(std::isnan(h.sum()));
  Histogram g(latency_buckets());
  g.observe(0.0001);  // exactly on the first bound
  g.observe(0.003);
  EXPECT_EQ(g.bucket_counts()[0], 1u);
  EXPECT_EQ(g.bucket_counts()[5], 1u);  // le=0.005
  EXPECT_DOUBLE_EQ(g.sum(), 0.0031);
  EXPECT_EQ(latency_buckets().size(), 16u);
}

TEST(Histogram, TrailingInfBoundIsImplied) {
  const double bounds[] = {1, std::numeric_limits<double>::infinity()};
  Histogram h(bounds);
  EXPECT_EQ(h.upper_bounds().size(), 1u);
  h.observe(5);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{0, 1}));
}

TEST(Concurrency, EightThreadsSumExactly) {
  Registry r;
  Counter* c = r.counter("c_total", "h");
  Histogram* h = r.histogram("h_seconds", "h", latency_buckets());
  Gauge* g = r.gauge("g", "h");
  constexpr int kThreads = 8, kIters = 200000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      // Two threads share shard 0 on purpose: sharing must cost speed, never counts.
      if (t > 0) set_thread_shard(static_cast<size_t>(t));
      for (int i = 0; i < kIters; ++i) {
        c->inc();
        h->observe(0.002);
        g->add(1);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(c->value(), uint64_t{kThreads} * kIters);
  EXPECT_EQ(h->count(), uint64_t{kThreads} * kIters);
  EXPECT_EQ(h->bucket_counts()[4], uint64_t{kThreads} * kIters);  // le=0.0025
  EXPECT_NEAR(h->sum(), 0.002 * kThreads * kIters, 1e-6);
  EXPECT_EQ(g->value(), double{kThreads} * kIters);
  EXPECT_NE(r.render().find("c_total 1600000\n"), std::string::npos);
}

TEST(Shards, OutOfRangeIndexWrapsInsteadOfOverflowing) {
  Counter c;
  std::thread([&] {
    set_thread_shard(kMaxShards + 3);
    EXPECT_EQ(thread_shard(), 3u);
    c.inc(5);
  }).join();
  EXPECT_EQ(c.value(), 5u);
}

TEST(ProcessMetrics, ReportRealValues) {
  Registry r;
  register_process_metrics(r);
  std::string text = r.render();
  for (const char* name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds", "process_threads"}) {
    size_t at = text.find(std::string("\n") + name + " ");
    ASSERT_NE(at, std::string::npos) << name;
    double v = std::stod(text.substr(at + std::strlen(name) + 2));
    if (std::string(name) != "process_cpu_seconds_total") {
      EXPECT_GT(v, 0) << name;
    }
  }
  size_t at = text.find("\nprocess_start_time_seconds ");
  double start = std::stod(text.substr(at + 28));
  EXPECT_GT(start, 1.7e9);  // after 2023: read from btime, not since boot
  EXPECT_LT(start, static_cast<double>(time(nullptr)) + 1);
}

}  // namespace
}  // namespace x0::telemetry
