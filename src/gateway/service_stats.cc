// Per-service metric families and their scrape-time gauges (see service_stats.h).
#include "gateway/service_stats.h"

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace x0::gateway {
namespace {

// A quantile of everything a histogram observed since start, interpolated linearly inside its
// bucket as Prometheus' histogram_quantile() does; 0 while empty. Read at scrape time only.
double histogram_quantile(const telemetry::Histogram& h, double q) {
  return telemetry::bucket_quantile(h.upper_bounds(), h.bucket_counts(), q);
}

}  // namespace

telemetry::Counter* ServiceStats::requests_counter(int code) {
  if (code < 100 || code > 599) code = 599;
  auto& slot = requests_by_code[static_cast<size_t>(code)];
  // Acquire/release: a worker that finds the pointer another worker stored also sees the
  // counter that worker's registry call constructed (relaxed would publish only the pointer).
  telemetry::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = telemetry::default_registry().counter(
        "http_requests_total", "Requests answered, by service and status code.",
        {{"service", service}, {"code", std::to_string(code)}});
    slot.store(c, std::memory_order_release);
  }
  return c;
}

void ServiceStats::record(int status, double seconds, bool candidate,
                          std::optional<uint64_t> body_bytes) {
  requests_counter(status)->inc();
  requests_window.record();
  Side& side = sides[candidate ? 1 : 0];
  side.requests->inc();
  if (body_bytes) {  // two sharded adds: +24 instructions a request (docs/BENCHMARKS.md)
    side.response_bytes->inc(*body_bytes);
    if (*body_bytes == 0 && status >= 200 && status < 300) side.empty_responses->inc();
  }
  side.duration->observe(seconds);
  side.latency.observe(seconds);
  if (status >= 500) {
    errors_5xx->inc();
    errors_window.record();
    side.errors->inc();
  }
  duration->observe(seconds);
}

void ServiceStats::record_cached(int status, double seconds) {
  requests_counter(status)->inc();
  requests_window.record();
  if (status >= 500) {
    errors_5xx->inc();
    errors_window.record();
  }
  duration->observe(seconds);
}

void ServiceStats::record_masked_failure(bool candidate) {
  Side& side = sides[candidate ? 1 : 0];
  side.requests->inc();
  side.errors->inc();
}

ServiceStats& stats_for(std::string_view service) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ServiceStats>, std::less<>> all;
  std::lock_guard lock(mu);
  auto it = all.find(service);
  if (it != all.end()) return *it->second;
  auto stats = std::make_unique<ServiceStats>();
  ServiceStats* s = stats.get();
  s->service = std::string(service);
  auto& r = telemetry::default_registry();
  telemetry::Labels labels{{"service", s->service}};
  s->duration = r.histogram("http_request_duration_seconds",
                            "Time from the first byte of a request to the end of its response.",
                            telemetry::latency_buckets(), labels);
  s->upstream_time = r.histogram("upstream_response_time_seconds",
                                 "Time from sending a request upstream to its response head.",
                                 telemetry::latency_buckets(), labels);
  auto errors = [&](const char* kind) {
    return r.counter("http_errors_total", "Failed requests by kind (connect, timeout, 5xx).",
                     {{"service", s->service}, {"kind", kind}});
  };
  s->errors_connect = errors("connect");
  s->errors_timeout = errors("timeout");
  s->errors_5xx = errors("5xx");
  for (int i = 0; i < 2; ++i) {
    telemetry::Labels side{{"service", s->service}, {"side", i == 0 ? "stable" : "candidate"}};
    s->sides[i].requests = r.counter("release_requests_total",
                                     "Requests answered, by release side (stable, candidate).", side);
    s->sides[i].errors = r.counter("release_errors_total",
                                   "Requests answered 5xx, by release side.", side);
    s->sides[i].response_bytes = r.counter("release_response_bytes_total",
                                           "Response payload bytes from the endpoints, by release "
                                           "side (bodies only: not HEAD, 204, 304).",
                                           side);
    s->sides[i].empty_responses = r.counter(
        "release_empty_responses_total",
        "2xx answers whose body was empty though their status allows one, by release side.", side);
    s->sides[i].duration = r.histogram("release_request_duration_seconds",
                                       "Request duration by release side.",
                                       telemetry::latency_buckets(), side);
    ServiceStats::Side* measured = &s->sides[i];
    r.gauge_callback("autopilot_latency_p95_seconds",
                     "P95 the autopilot's service latency rules measured over their window, by "
                     "release side (0 without requests in it).",
                     side, [measured] { return measured->autopilot_p95_ms.load() / 1000.0; });
  }
  s->retries = r.counter("upstream_retries_total", "Requests retried on another endpoint.", labels);
  s->fallback_requests = r.counter("fallback_requests_total",
                                   "Requests diverted to the fallback pool.", labels);
  r.gauge_callback("requests_per_second", "Requests answered per second over the last 10 s.",
                   labels, [s] { return s->requests_window.rate_per_second(); });
  r.gauge_callback("qps", "Alias of requests_per_second (the runbooks grep qps).", labels,
                   [s] { return s->requests_window.rate_per_second(); });
  r.gauge_callback("error_rate", "Share of requests answered 5xx over the last 10 s (0..1).",
                   labels, [s] { return telemetry::window_ratio(s->errors_window, s->requests_window); });
  // The runbooks grep "latency": P50/P95/P99 read from the duration histogram at scrape time
  // (one gauge each: promtool refuses a "quantile" label on anything but a summary).
  for (auto [q, name] : {std::pair{0.5, "request_latency_p50_seconds"},
                         std::pair{0.95, "request_latency_p95_seconds"},
                         std::pair{0.99, "request_latency_p99_seconds"}}) {
    double quantile = q;  // clang 14 cannot capture a structured binding
    r.gauge_callback(name, "Request duration quantile since start (from the duration histogram).",
                     labels, [s, quantile] { return histogram_quantile(*s->duration, quantile); });
  }
  all.emplace(s->service, std::move(stats));
  return *s;
}

}  // namespace x0::gateway
