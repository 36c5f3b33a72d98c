// Windows of any length over cumulative data-plane counters. The data plane only bumps
// cumulative sharded counters (cheapest on the hot path); the autopilot samples them every
// tick, off the hot path, and differences two samples to get a window's requests, errors and
// latency distribution.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace x0::autopilot {

struct CounterSample {
  int64_t t_ms = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::vector<uint64_t> buckets;  // cumulative histogram bucket counts (non-cumulative per le)
};

struct WindowStats {
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate = 0;     // errors / requests (0 without requests)
  double p95_ms = 0;         // bucket-interpolated
  int64_t span_ms = 0;       // actual span covered (shorter than asked right after start)
  int64_t first_bad_ms = 0;  // start of the first tick in the window that was bad by the
                             // BadTick given to over(), 0 if none (the incident's "first
                             // anomalous sample")
};

// What makes one tick (the interval between two samples) anomalous: its own error rate or its
// own P95 above these. The defaults never match.
struct BadTick {
  double error_rate_above = 1.0;
  double p95_ms_above = INFINITY;
};

// Quantile q of a histogram given per-bucket counts and upper bounds (seconds); linear
// interpolation inside the bucket; the +Inf bucket reports its lower bound. Milliseconds.
double quantile_ms(std::span<const double> upper_bounds_s, std::span<const uint64_t> counts, double q);

class SignalWindow {
 public:
  SignalWindow(std::vector<double> upper_bounds_s, int64_t keep_ms)
      : bounds_(std::move(upper_bounds_s)), keep_ms_(keep_ms) {}

  // Samples must come in time order; counters are cumulative (a reset, e.g. a reload that
  // recreated them, starts the window over).
  void add(CounterSample sample);
  // Stats over the last window_ms; first_bad_ms by `bad`.
  WindowStats over(int64_t window_ms, BadTick bad = {}) const;
  bool empty() const { return samples_.size() < 2; }
  // How much history to keep from now on (a new policy's longest window): a longer one keeps
  // every sample held now and grows, a shorter one trims at the next add().
  void set_keep_ms(int64_t keep_ms) { keep_ms_ = keep_ms; }

 private:
  std::vector<double> bounds_;
  int64_t keep_ms_;
  std::deque<CounterSample> samples_;
};

}  // namespace x0::autopilot
