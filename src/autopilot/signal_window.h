// Windows of any length over cumulative data-plane counters. The data plane only bumps
// cumulative sharded counters (cheapest on the hot path); the autopilot samples them every
// tick, off the hot path, and differences two samples to get a window's requests, errors and
// latency distribution. History is kept as sparse per-tick bucket deltas, thinned with age
// (memory: docs/AUTOPILOT.md, "How P95 is measured").
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "telemetry/latency_sketch.h"

namespace x0::autopilot {

struct CounterSample {
  int64_t t_ms = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  // Cumulative bucket counts (each bucket's own count, not Prometheus' running sum per le):
  // upper_bounds_s.size() + 1 entries, the last the overflow bucket.
  std::vector<uint64_t> buckets;
  // Answers with a body (not HEAD, 204, 304): their payload bytes, and how many were 2xx with an
  // empty one (the silent failures the canary rules compare: docs/AUTOPILOT.md).
  uint64_t response_bytes = 0;
  uint64_t empty_responses = 0;
};

struct WindowStats {
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate = 0;  // errors / requests (0 without requests)
  double p95_ms = 0;      // bucket-interpolated (telemetry::bucket_quantile)
  int64_t span_ms = 0;    // actual span covered (shorter than asked right after start)
  uint64_t response_bytes = 0;
  uint64_t empty_responses = 0;
  double mean_response_bytes = 0;  // response_bytes / requests (0 without requests)
  double empty_rate = 0;           // empty_responses / requests (0 without requests)
  // By the BadTick given to over(), 0 if no tick in the window was bad:
  int64_t first_bad_ms = 0;     // start of the run of bad ticks that holds the window's first
                                // one, looked for past the window's start (the incident's
                                // "first anomalous sample")
  int64_t last_bad_end_ms = 0;  // end of the window's last bad tick: good ticks since (recovery)
};

// Requests between two times (the samples at or before each), for an incident's impact.
struct SpanCounts {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t slower = 0;  // requests in buckets at or above between()'s threshold
  int64_t from_ms = 0;  // the samples the counts are between (later than asked when the
  int64_t to_ms = 0;    // history kept does not reach back that far)
};

// What makes one tick (the interval between two samples) anomalous: its own error rate or its
// own P95 above these. The defaults never match.
struct BadTick {
  double error_rate_above = 1.0;
  double p95_ms_above = INFINITY;
  double empty_rate_above = 1.0;
  double mean_response_bytes_below = 0;
};

// Quantile q of a histogram given per-bucket counts and upper bounds (seconds); linear
// interpolation inside the bucket; the +Inf bucket reports its lower bound. Milliseconds.
// (telemetry::bucket_quantile in milliseconds.)
double quantile_ms(std::span<const double> upper_bounds_s, std::span<const uint64_t> counts,
                   double q);

// One owner thread (the autopilot's): over() caches what it summed until the next add().
class SignalWindow {
 public:
  // upper_bounds_s: the buckets' upper bounds, as in CounterSample (at most 65535 of them).
  SignalWindow(std::vector<double> upper_bounds_s, int64_t keep_ms)
      : bounds_(std::move(upper_bounds_s)), keep_ms_(keep_ms) {}

  // Samples must come in time order; counters are cumulative (a reset, e.g. a reload that
  // recreated them, starts the window over).
  void add(const CounterSample& sample);
  // Stats over the last window_ms; first_bad_ms by `bad`. Older history is thinned (see
  // kThinning), so a window that reaches back further than kThinning ticks may start up to
  // 1/kThinning of its length early; span_ms says what it covers.
  WindowStats over(int64_t window_ms, BadTick bad = {}) const;
  // Counts from from_ms to to_ms; `slower_than_ms` (INFINITY: none) counts the requests whose
  // bucket lies wholly at or above it.
  SpanCounts between(int64_t from_ms, int64_t to_ms, double slower_than_ms = INFINITY) const;
  bool empty() const { return ticks_.size() < 2; }
  // How much history to keep from now on (a new policy's longest window): a longer one keeps
  // every sample held now and grows, a shorter one trims at the next add().
  void set_keep_ms(int64_t keep_ms) { keep_ms_ = keep_ms; }
  // Bytes held (samples kept, their deltas, the newest cumulative counts), for the docs' figures.
  size_t memory_bytes() const;
  size_t samples_kept() const { return ticks_.size(); }

  // Two neighbouring samples merge once their span is at most 1/kThinning of their age (the
  // newest sample's time minus the later one's): a tick's resolution is kept for the last
  // kThinning ticks, and a window's start is within 1/kThinning of its length of the asked one.
  // 15 min of 100 ms ticks keep about 260 samples instead of 9000.
  static constexpr int64_t kThinning = 32;

 private:
  // A sample: cumulative requests and errors at t_ms, and the bucket counts that grew since the
  // sample before (sparse; latencies cluster, so a tick touches few buckets).
  struct Tick {
    int64_t t_ms = 0;
    uint64_t requests = 0;
    uint64_t errors = 0;
    uint64_t response_bytes = 0;
    uint64_t empty_responses = 0;
    std::vector<telemetry::BucketCount> delta;
  };
  void thin();
  const std::vector<uint64_t>& window_counts(size_t start) const;
  // The tick from sample i-1 to sample i (i >= 1): no requests, or its own figures against `bad`.
  enum class Badness { kEmpty, kGood, kBad };
  Badness tick_is_bad(size_t i, const BadTick& bad) const;

  std::vector<double> bounds_;
  int64_t keep_ms_;
  std::deque<Tick> ticks_;
  std::vector<uint64_t> newest_;  // the newest sample's cumulative buckets, to difference the next
  // over()'s sums since the last add(), by window start (rules share windows within a tick).
  mutable std::vector<std::pair<size_t, std::vector<uint64_t>>> sums_;
};

}  // namespace x0::autopilot
