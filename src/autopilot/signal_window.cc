// Window arithmetic over cumulative samples (see signal_window.h).
#include "autopilot/signal_window.h"

#include <cmath>

namespace x0::autopilot {

double quantile_ms(std::span<const double> upper_bounds_s, std::span<const uint64_t> counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  double rank = q * static_cast<double>(total);
  double seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double lower = i == 0 ? 0.0 : upper_bounds_s[i - 1];
    if (i >= upper_bounds_s.size()) return lower * 1000.0;  // +Inf bucket: its lower bound
    double next = seen + static_cast<double>(counts[i]);
    if (next >= rank && counts[i] > 0) {
      double inside = (rank - seen) / static_cast<double>(counts[i]);
      return (lower + inside * (upper_bounds_s[i] - lower)) * 1000.0;
    }
    seen = next;
  }
  return upper_bounds_s.empty() ? 0 : upper_bounds_s.back() * 1000.0;
}

void SignalWindow::add(CounterSample sample) {
  if (!samples_.empty() && (sample.requests < samples_.back().requests ||
                            sample.errors < samples_.back().errors)) {
    samples_.clear();  // counters went backwards: not the same series any more
  }
  samples_.push_back(std::move(sample));
  while (samples_.size() > 2 && samples_.back().t_ms - samples_[1].t_ms >= keep_ms_) {
    samples_.pop_front();
  }
}

WindowStats SignalWindow::over(int64_t window_ms, BadTick bad) const {
  WindowStats stats;
  if (samples_.size() < 2) return stats;
  const CounterSample& last = samples_.back();
  // The newest sample at or before (now - window): the window's starting point.
  size_t start = 0;
  for (size_t i = samples_.size() - 1; i-- > 0;) {
    if (last.t_ms - samples_[i].t_ms >= window_ms) {
      start = i;
      break;
    }
  }
  const CounterSample& first = samples_[start];
  stats.span_ms = last.t_ms - first.t_ms;
  stats.requests = last.requests - first.requests;
  stats.errors = last.errors - first.errors;
  stats.error_rate = stats.requests == 0 ? 0 : static_cast<double>(stats.errors) /
                                                   static_cast<double>(stats.requests);
  std::vector<uint64_t> counts(last.buckets.size(), 0);
  for (size_t b = 0; b < counts.size() && b < first.buckets.size(); ++b) {
    counts[b] = last.buckets[b] - first.buckets[b];
  }
  stats.p95_ms = quantile_ms(bounds_, counts, 0.95);
  bool check_latency = std::isfinite(bad.p95_ms_above);
  for (size_t i = start + 1; i < samples_.size(); ++i) {
    const CounterSample& a = samples_[i - 1];
    const CounterSample& b = samples_[i];
    uint64_t n = b.requests - a.requests;
    if (n == 0) continue;
    bool is_bad = static_cast<double>(b.errors - a.errors) / static_cast<double>(n) > bad.error_rate_above;
    if (!is_bad && check_latency) {
      for (size_t k = 0; k < counts.size() && k < a.buckets.size() && k < b.buckets.size(); ++k) {
        counts[k] = b.buckets[k] - a.buckets[k];
      }
      is_bad = quantile_ms(bounds_, counts, 0.95) > bad.p95_ms_above;
    }
    if (is_bad) {
      stats.first_bad_ms = a.t_ms;  // the bad tick began after the previous sample
      break;
    }
  }
  return stats;
}

}  // namespace x0::autopilot
