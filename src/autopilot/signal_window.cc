// Window arithmetic over cumulative samples (see signal_window.h): each sample keeps only the
// buckets that grew since the one before, and old samples are merged with their neighbours, so
// a window over ~700 latency buckets and 15 minutes of 100 ms ticks stays in the kilobytes.
#include "autopilot/signal_window.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace x0::autopilot {
namespace {

using telemetry::BucketCount;

void push_count(std::vector<BucketCount>& out, size_t bucket, uint64_t n) {
  while (n > 0) {  // a count above 2^32 takes several entries (sparse_bucket_quantile adds them)
    auto part = static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
    out.push_back({static_cast<uint32_t>(bucket), part});
    n -= part;
  }
}

// a + b, both in bucket order.
std::vector<BucketCount> merged(const std::vector<BucketCount>& a,
                                const std::vector<BucketCount>& b) {
  std::vector<BucketCount> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    uint32_t bucket =
        j == b.size() || (i < a.size() && a[i].bucket < b[j].bucket) ? a[i].bucket : b[j].bucket;
    uint64_t n = 0;
    for (; i < a.size() && a[i].bucket == bucket; ++i) n += a[i].count;
    for (; j < b.size() && b[j].bucket == bucket; ++j) n += b[j].count;
    push_count(out, bucket, n);
  }
  out.shrink_to_fit();  // kept for minutes: no slack from the reserve above
  return out;
}

}  // namespace

double quantile_ms(std::span<const double> upper_bounds_s, std::span<const uint64_t> counts,
                   double q) {
  return telemetry::bucket_quantile(upper_bounds_s, counts, q) * 1000.0;
}

void SignalWindow::add(const CounterSample& sample) {
  bool reset = !ticks_.empty() &&
               (sample.requests < ticks_.back().requests || sample.errors < ticks_.back().errors ||
                sample.response_bytes < ticks_.back().response_bytes ||
                sample.empty_responses < ticks_.back().empty_responses ||
                sample.buckets.size() != newest_.size());
  Tick tick{sample.t_ms,           sample.requests,        sample.errors,
            sample.response_bytes, sample.empty_responses, {}};
  for (size_t b = 0; !reset && !ticks_.empty() && b < sample.buckets.size(); ++b) {
    if (sample.buckets[b] < newest_[b]) reset = true;
    if (sample.buckets[b] > newest_[b]) push_count(tick.delta, b, sample.buckets[b] - newest_[b]);
  }
  if (reset) {
    ticks_.clear();  // counters went backwards: not the same series any more
    tick.delta.clear();
  }
  tick.delta.shrink_to_fit();
  newest_ = sample.buckets;
  ticks_.push_back(std::move(tick));
  while (ticks_.size() > 2 && ticks_.back().t_ms - ticks_[1].t_ms >= keep_ms_) {
    ticks_.pop_front();
  }
  // The oldest sample is only a window's starting point: what grew before it is not needed.
  std::vector<BucketCount>().swap(ticks_.front().delta);
  thin();
  sums_.clear();
}

// A sample i whose neighbours are close enough for their age is merged into the next one (its
// delta added to the next one's), which then spans from sample i-1. The first and the newest
// samples stay.
void SignalWindow::thin() {
  int64_t now = ticks_.back().t_ms;
  for (size_t i = 1; i + 1 < ticks_.size();) {
    Tick& next = ticks_[i + 1];
    if ((next.t_ms - ticks_[i - 1].t_ms) * kThinning <= now - next.t_ms) {
      next.delta = merged(ticks_[i].delta, next.delta);
      ticks_.erase(ticks_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

// The bucket counts of the window (start, newest]: the sum of the deltas after `start`.
const std::vector<uint64_t>& SignalWindow::window_counts(size_t start) const {
  for (const auto& [from, counts] : sums_) {
    if (from == start) return counts;
  }
  std::vector<uint64_t> counts(newest_.size(), 0);
  for (size_t i = start + 1; i < ticks_.size(); ++i) {
    for (const BucketCount& c : ticks_[i].delta) counts[c.bucket] += c.count;
  }
  sums_.emplace_back(start, std::move(counts));
  return sums_.back().second;
}

WindowStats SignalWindow::over(int64_t window_ms, BadTick bad) const {
  WindowStats stats;
  if (ticks_.size() < 2) return stats;
  const Tick& last = ticks_.back();
  // The newest sample at or before (now - window): the window's starting point.
  size_t start = 0;
  for (size_t i = ticks_.size() - 1; i-- > 0;) {
    if (last.t_ms - ticks_[i].t_ms >= window_ms) {
      start = i;
      break;
    }
  }
  const Tick& first = ticks_[start];
  stats.span_ms = last.t_ms - first.t_ms;
  stats.requests = last.requests - first.requests;
  stats.errors = last.errors - first.errors;
  stats.response_bytes = last.response_bytes - first.response_bytes;
  // The data plane's counters are read one after the other, not at one instant: an empty answer
  // may be counted in a sample before its request is (a difference of the requests in flight).
  // A share above 1 would make the z-test's pooled rate meaningless, so it is capped.
  stats.empty_responses = std::min(last.empty_responses - first.empty_responses, stats.requests);
  auto per_request = [&](uint64_t n) {
    return stats.requests == 0 ? 0 : static_cast<double>(n) / static_cast<double>(stats.requests);
  };
  stats.error_rate = per_request(stats.errors);
  stats.mean_response_bytes = per_request(stats.response_bytes);
  stats.empty_rate = per_request(stats.empty_responses);
  stats.p95_ms = quantile_ms(bounds_, window_counts(start), 0.95);
  // First anomalous sample: the first bad tick in the window, and from there back past the
  // window's start through the run of bad (or empty) ticks it belongs to, so a failure that grew
  // for longer than the window is dated from where it began (MTTD), not from the window's edge.
  // Recovery: the end of the last bad tick, where the run of good ticks up to now began (MTTR).
  size_t first_bad = 0;
  for (size_t i = start + 1; i < ticks_.size(); ++i) {
    if (tick_is_bad(i, bad) != Badness::kBad) continue;
    if (first_bad == 0) first_bad = i;
    stats.last_bad_end_ms = ticks_[i].t_ms;
  }
  if (first_bad != 0) {
    size_t run = first_bad;
    while (run > 1 && tick_is_bad(run - 1, bad) != Badness::kGood) --run;
    while (run < first_bad && tick_is_bad(run, bad) == Badness::kEmpty) ++run;  // no empty head
    stats.first_bad_ms = ticks_[run - 1].t_ms;  // the bad tick began after the previous sample
  }
  return stats;
}

SpanCounts SignalWindow::between(int64_t from_ms, int64_t to_ms, double slower_than_ms) const {
  SpanCounts out;
  if (ticks_.size() < 2 || to_ms < from_ms) return out;
  auto at_or_before = [&](int64_t t) {
    size_t i = 0;
    while (i + 1 < ticks_.size() && ticks_[i + 1].t_ms <= t) ++i;
    return i;
  };
  size_t from = at_or_before(from_ms);
  size_t to = std::max(from, at_or_before(to_ms));
  out.from_ms = ticks_[from].t_ms;
  out.to_ms = ticks_[to].t_ms;
  out.requests = ticks_[to].requests - ticks_[from].requests;
  out.errors = ticks_[to].errors - ticks_[from].errors;
  if (!std::isfinite(slower_than_ms)) return out;
  // Bucket b holds (bounds_[b-1], bounds_[b]]: it counts when its lower bound is at the threshold
  // or above (the sketch's buckets are 1/32 wide, so the one straddling it is a small error).
  for (size_t i = from + 1; i <= to; ++i) {
    for (const BucketCount& c : ticks_[i].delta) {
      double lower_ms = c.bucket == 0 ? 0.0 : bounds_[c.bucket - 1] * 1000.0;
      if (lower_ms >= slower_than_ms) out.slower += c.count;
    }
  }
  return out;
}

SignalWindow::Badness SignalWindow::tick_is_bad(size_t i, const BadTick& bad) const {
  const Tick& a = ticks_[i - 1];
  const Tick& b = ticks_[i];
  uint64_t n = b.requests - a.requests;
  if (n == 0) return Badness::kEmpty;
  auto share = [&](uint64_t Tick::*field) {
    return static_cast<double>(b.*field - a.*field) / static_cast<double>(n);
  };
  if (share(&Tick::errors) > bad.error_rate_above ||
      share(&Tick::empty_responses) > bad.empty_rate_above ||
      share(&Tick::response_bytes) < bad.mean_response_bytes_below)
    return Badness::kBad;
  if (std::isfinite(bad.p95_ms_above) &&
      telemetry::sparse_bucket_quantile(bounds_, b.delta, 0.95) * 1000.0 > bad.p95_ms_above)
    return Badness::kBad;
  return Badness::kGood;
}

size_t SignalWindow::memory_bytes() const {
  size_t bytes = sizeof(*this) + ticks_.size() * sizeof(Tick) +
                 (bounds_.capacity() + newest_.capacity()) * sizeof(double);
  for (const Tick& t : ticks_) bytes += t.delta.capacity() * sizeof(BucketCount);
  return bytes;
}

}  // namespace x0::autopilot
