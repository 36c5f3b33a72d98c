// Metrics registry and Prometheus text exposition (format 0.0.4) for the whole daemon.
// Hot path: Counter/Histogram/SlidingWindow bumps are relaxed atomic adds on a cache line owned by
// the calling worker (its shard, see set_thread_shard); no lock, no allocation. The scrape (rare)
// sums the shards under the registry mutex. Registration validates names and throws at start-up.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace x0::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;
inline constexpr size_t kMaxShards = 64;
inline constexpr size_t kCacheLine = 64;

// Each thread that bumps metrics calls this once with a distinct small index (worker i -> i+1;
// every other thread uses shard 0). Indices >= kMaxShards wrap (still correct, only shared).
void set_thread_shard(size_t index);

namespace detail {
inline thread_local size_t t_shard = 0;  // constant-initialised: a plain TLS load, no init guard
}  // namespace detail
inline size_t thread_shard() { return detail::t_shard; }

namespace detail {
// One cache line of counters; a shard's data is a run of whole lines, so two shards never share.
struct alignas(kCacheLine) Line {
  std::atomic<uint64_t> v[kCacheLine / sizeof(uint64_t)]{};
};
inline constexpr size_t kPerLine = kCacheLine / sizeof(uint64_t);
inline size_t lines_for(size_t words) { return (words + kPerLine - 1) / kPerLine; }
// Word i of a shard that starts at `shard` and spans several lines.
inline std::atomic<uint64_t>& word(Line* shard, size_t i) {
  return shard[i / kPerLine].v[i % kPerLine];
}
inline const std::atomic<uint64_t>& word(const Line* shard, size_t i) {
  return shard[i / kPerLine].v[i % kPerLine];
}
}  // namespace detail

// Monotonic counter, one cache line per shard.
class Counter {
 public:
  void inc(uint64_t n = 1) { slots_[thread_shard()].v[0].fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const;

 private:
  detail::Line slots_[kMaxShards];
};

// A value that goes up and down; one atomic double (gauges are set rarely, not per request).
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0.0};
};

// Prometheus histogram with cumulative buckets (values in seconds by convention), sharded like
// Counter. upper_bounds must be finite and strictly increasing; a trailing +Inf is implied.
class Histogram {
 public:
  explicit Histogram(std::span<const double> upper_bounds);
  void observe(double v);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Non-cumulative per-bucket counts; size upper_bounds().size() + 1 (last is the +Inf bucket).
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const;
  double sum() const;

 private:
  std::vector<double> bounds_;
  size_t stride_;                          // lines per shard: buckets + 1 word for the sum bits
  std::unique_ptr<detail::Line[]> lines_;  // kMaxShards * stride_
};

// Counts events in 1-second slots over the last `window_seconds` (the current, partial second
// included). record() is a relaxed CAS/add on the caller's shard. now_seconds is injectable for
// tests; by default CLOCK_MONOTONIC_COARSE seconds.
class SlidingWindow {
 public:
  explicit SlidingWindow(int window_seconds = 10);
  SlidingWindow(int window_seconds, std::function<int64_t()> now_seconds);
  void record(uint64_t n = 1);
  // Events in the window divided by the window length; while the window is younger than
  // window_seconds, divided by its age in seconds instead (no start-up underestimate).
  double rate_per_second() const;
  uint64_t total_in_window() const;
  int window_seconds() const { return window_; }

 private:
  int64_t now() const;
  int window_;
  std::function<int64_t()> clock_;  // empty: the fast built-in clock
  int64_t start_;
  size_t stride_;                          // lines per shard
  std::unique_ptr<detail::Line[]> lines_;  // slot word = (uint32 second tag << 32) | count
};

// num/den over their windows, 0 when den is empty (error_rate = errors/requests, hit rates).
double window_ratio(const SlidingWindow& num, const SlidingWindow& den);

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Get-or-create; the pointer is stable for the registry's lifetime; thread-safe (mutex):
  // resolve handles once at start-up or first use, never per request. Throws
  // std::invalid_argument on a bad metric or label name, a counter not named *_total, or a name
  // already registered with another type (or, for histograms, other buckets).
  Counter* counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge* gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram* histogram(std::string_view name, std::string_view help,
                       std::span<const double> upper_bounds, const Labels& labels = {});
  // Computed at scrape time on the scraping thread, under the registry mutex: fn must not call
  // back into this registry. Registering the same name+labels again replaces fn.
  void gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                      std::function<double()> fn);
  void counter_callback(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> fn);

  // Text format 0.0.4: one HELP/TYPE per family, families sorted by name, series sorted by
  // labels (label names sorted within a series), label values escaped.
  std::string render() const;

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int type);
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

Registry& default_registry();

// 0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 (seconds).
std::span<const double> latency_buckets();

// process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
// process_open_fds, process_max_fds, process_start_time_seconds, process_threads; read from
// /proc/self at scrape time.
void register_process_metrics(Registry& r);

// Prometheus spelling of a sample value: shortest round trip, +Inf, -Inf, NaN.
std::string format_value(double v);
// Label value escaping per the text format: backslash, double quote, newline.
std::string escape_label_value(std::string_view v);
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace x0::telemetry
