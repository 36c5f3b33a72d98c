// Sharded metric types and the Prometheus text renderer behind metrics.h.
// Shards are summed only at scrape time; families live in a sorted map so render() is stable.
#include "telemetry/metrics.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace x0::telemetry {

namespace {
enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };
const char* type_name(int t) {
  return t == kCounter ? "counter" : t == kGauge ? "gauge" : "histogram";
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::vector<double> checked_bounds(std::span<const double> in) {
  std::vector<double> b(in.begin(), in.end());
  if (!b.empty() && std::isinf(b.back()) && b.back() > 0) b.pop_back();  // +Inf is implied
  for (size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && !(b[i - 1] < b[i])))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
  return b;
}

// Sorted by label name, validated; the sorted form is the series' identity.
Labels normalized(const Labels& labels, bool histogram) {
  Labels out = labels;
  std::sort(out.begin(), out.end());
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& n = out[i].first;
    if (!valid_label_name(n)) throw std::invalid_argument("bad label name: " + n);
    if (histogram && n == "le") throw std::invalid_argument("label 'le' is reserved");
    if (i > 0 && out[i - 1].first == n) throw std::invalid_argument("duplicate label: " + n);
  }
  return out;
}

std::string label_text(const Labels& labels, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) s += ',';
    first = false;
    s += k + "=\"" + escape_label_value(v) + '"';
  }
  if (!extra_name.empty()) {
    if (!first) s += ',';
    s.append(extra_name).append("=\"").append(extra_value).append("\"");
  }
  return s + "}";
}

int64_t coarse_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec;
}
}  // namespace

void set_thread_shard(size_t index) { detail::t_shard = index % kMaxShards; }

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.starts_with("__")) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  // Shortest form may be "1e-04"; prefer plain decimals (as other clients print le="0.0001")
  // while they stay short. Both parse back to the same double.
  if (s.find('e') != std::string::npos && std::fabs(v) >= 1e-6 && std::fabs(v) < 1e15) {
    auto f = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (f.ec == std::errc()) s.assign(buf, f.ptr);
  }
  return s;
}

// ---- Counter, Histogram ----

uint64_t Counter::value() const {
  uint64_t total = 0;
  for (const auto& l : slots_) total += l.v[0].load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(checked_bounds(upper_bounds)),
      stride_(detail::lines_for(bounds_.size() + 2)),
      lines_(std::make_unique<detail::Line[]>(kMaxShards * stride_)) {}

void Histogram::observe(double v) {
  // First bucket whose bound is >= v; NaN lands in +Inf, as in the reference Go client.
  size_t i = 0;
  while (i < bounds_.size() && !(v <= bounds_[i])) ++i;
  detail::Line* shard = &lines_[thread_shard() * stride_];
  detail::word(shard, i).fetch_add(1, std::memory_order_relaxed);
  std::atomic<uint64_t>& sum = detail::word(shard, bounds_.size() + 1);
  uint64_t old = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
                                    std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1, 0);
  for (size_t s = 0; s < kMaxShards; ++s) {
    const detail::Line* shard = &lines_[s * stride_];
    for (size_t i = 0; i < out.size(); ++i)
      out[i] += detail::word(shard, i).load(std::memory_order_relaxed);
  }
  return out;
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (uint64_t c : bucket_counts()) total += c;
  return total;
}

double Histogram::sum() const {
  double total = 0;
  for (size_t s = 0; s < kMaxShards; ++s) {
    total += std::bit_cast<double>(
        detail::word(&lines_[s * stride_], bounds_.size() + 1).load(std::memory_order_relaxed));
  }
  return total;
}

// ---- SlidingWindow ----
// Each shard holds window_ slot words; slot (t % window_) packs the second t it counts (low 32
// bits of t, as the high half) with the event count (low half). A slot whose tag is outside the
// last window_ seconds is stale and is reset by the first record() of its new second.

SlidingWindow::SlidingWindow(int window_seconds) : SlidingWindow(window_seconds, nullptr) {}

SlidingWindow::SlidingWindow(int window_seconds, std::function<int64_t()> now_seconds)
    : window_(window_seconds), clock_(std::move(now_seconds)) {
  if (window_ < 1) throw std::invalid_argument("window_seconds must be >= 1");
  start_ = now();
  stride_ = detail::lines_for(static_cast<size_t>(window_));
  lines_ = std::make_unique<detail::Line[]>(kMaxShards * stride_);
  // Tag every slot with a second long before the start so it reads as stale.
  for (size_t i = 0; i < kMaxShards * stride_; ++i)
    for (auto& w : lines_[i].v)
      w.store(static_cast<uint64_t>(static_cast<uint32_t>(start_ - window_ - 1)) << 32,
              std::memory_order_relaxed);
}

int64_t SlidingWindow::now() const { return clock_ ? clock_() : coarse_seconds(); }

void SlidingWindow::record(uint64_t n) {
  const int64_t t = now();
  const uint64_t tag = static_cast<uint64_t>(static_cast<uint32_t>(t)) << 32;
  std::atomic<uint64_t>& w = detail::word(&lines_[thread_shard() * stride_],
                                          static_cast<size_t>(((t % window_) + window_) % window_));
  uint64_t cur = w.load(std::memory_order_relaxed);
  for (;;) {
    if ((cur & ~0xffffffffull) == tag) {
      w.fetch_add(n, std::memory_order_relaxed);  // 2^32 events per shard-second cannot happen
      return;
    }
    if (w.compare_exchange_weak(cur, tag | (n & 0xffffffffull), std::memory_order_relaxed)) return;
  }
}

uint64_t SlidingWindow::total_in_window() const {
  const int64_t t = now();
  uint64_t total = 0;
  for (size_t s = 0; s < kMaxShards; ++s) {
    const detail::Line* shard = &lines_[s * stride_];
    for (size_t i = 0; i < static_cast<size_t>(window_); ++i) {
      uint64_t w = detail::word(shard, i).load(std::memory_order_relaxed);
      uint32_t age = static_cast<uint32_t>(t) - static_cast<uint32_t>(w >> 32);
      if (age < static_cast<uint32_t>(window_)) total += w & 0xffffffffull;
    }
  }
  return total;
}

double SlidingWindow::rate_per_second() const {
  int64_t age = now() - start_ + 1;
  int64_t span = std::clamp<int64_t>(age, 1, window_);
  return static_cast<double>(total_in_window()) / static_cast<double>(span);
}

double window_ratio(const SlidingWindow& num, const SlidingWindow& den) {
  uint64_t d = den.total_in_window();
  return d == 0 ? 0.0 : static_cast<double>(num.total_in_window()) / static_cast<double>(d);
}

// ---- Registry ----

struct Registry::Family {
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> fn;  // callback series
  };
  int type = kGauge;
  std::string help;
  std::vector<double> bounds;  // histograms only
  std::map<Labels, Series> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, int type) {
  if (!valid_metric_name(name))
    throw std::invalid_argument("bad metric name: " + std::string(name));
  if (type == kCounter && !name.ends_with("_total"))
    throw std::invalid_argument("counter name must end in _total: " + std::string(name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->type = type;
    f->help = std::string(help);
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second->type != type) {
    throw std::invalid_argument("metric " + std::string(name) + " already registered as " +
                                type_name(it->second->type));
  }
  return *it->second;
}

Counter* Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = normalized(labels, false);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kCounter);
  auto& s = f.series[key];
  if (s.fn) throw std::invalid_argument("series is a callback: " + std::string(name));
  if (!s.counter) {
    s.labels = key;
    s.counter = std::make_unique<Counter>();
  }
  return s.counter.get();
}

Gauge* Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = normalized(labels, false);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kGauge);
  auto& s = f.series[key];
  if (s.fn) throw std::invalid_argument("series is a callback: " + std::string(name));
  if (!s.gauge) {
    s.labels = key;
    s.gauge = std::make_unique<Gauge>();
  }
  return s.gauge.get();
}

Histogram* Registry::histogram(std::string_view name, std::string_view help,
                               std::span<const double> upper_bounds, const Labels& labels) {
  Labels key = normalized(labels, true);
  std::vector<double> bounds = checked_bounds(upper_bounds);
  std::lock_guard lock(mu_);
  bool fresh = families_.find(name) == families_.end();
  Family& f = family(name, help, kHistogram);
  if (fresh) f.bounds = bounds;
  if (f.bounds != bounds)
    throw std::invalid_argument("histogram " + std::string(name) +
                                " registered with other buckets");
  auto& s = f.series[key];
  if (!s.histogram) {
    s.labels = key;
    s.histogram = std::make_unique<Histogram>(bounds);
  }
  return s.histogram.get();
}

void Registry::gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                              std::function<double()> fn) {
  Labels key = normalized(labels, false);
  std::lock_guard lock(mu_);
  auto& s = family(name, help, kGauge).series[key];
  if (s.gauge) throw std::invalid_argument("series is a plain gauge: " + std::string(name));
  s.labels = key;
  s.fn = std::move(fn);
}

void Registry::counter_callback(std::string_view name, std::string_view help, const Labels& labels,
                                std::function<double()> fn) {
  Labels key = normalized(labels, false);
  std::lock_guard lock(mu_);
  auto& s = family(name, help, kCounter).series[key];
  if (s.counter) throw std::invalid_argument("series is a plain counter: " + std::string(name));
  s.labels = key;
  s.fn = std::move(fn);
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escape_help(f->help) + "\n";
    out += "# TYPE " + name + " " + type_name(f->type) + "\n";
    for (const auto& [key, s] : f->series) {
      if (s.histogram) {
        std::vector<uint64_t> counts = s.histogram->bucket_counts();
        uint64_t cum = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cum += counts[i];
          std::string le = i < f->bounds.size() ? format_value(f->bounds[i]) : "+Inf";
          out += name + "_bucket" + label_text(key, "le", le) + " " + std::to_string(cum) + "\n";
        }
        out += name + "_sum" + label_text(key) + " " + format_value(s.histogram->sum()) + "\n";
        out += name + "_count" + label_text(key) + " " + std::to_string(cum) + "\n";
        continue;
      }
      std::string value;
      if (s.counter)
        value = std::to_string(s.counter->value());
      else if (s.gauge)
        value = format_value(s.gauge->value());
      else if (s.fn)
        value = format_value(s.fn());
      else
        continue;
      out += name + label_text(key) + " " + value + "\n";
    }
  }
  return out;
}

Registry& default_registry() {
  static Registry r;
  return r;
}

std::span<const double> latency_buckets() {
  static constexpr double kBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return kBounds;
}

}  // namespace x0::telemetry
