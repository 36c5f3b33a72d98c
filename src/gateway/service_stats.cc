// Per-service metric families and their scrape-time gauges (see service_stats.h).
#include "gateway/service_stats.h"

#include <map>
#include <memory>
#include <mutex>

namespace x0::gateway {

telemetry::Counter* ServiceStats::requests_counter(int code) {
  if (code < 100 || code > 599) code = 599;
  auto& slot = requests_by_code[static_cast<size_t>(code)];
  telemetry::Counter* c = slot.load(std::memory_order_relaxed);
  if (c == nullptr) {
    c = telemetry::default_registry().counter(
        "http_requests_total", "Requests answered, by service and status code.",
        {{"service", service}, {"code", std::to_string(code)}});
    slot.store(c, std::memory_order_relaxed);
  }
  return c;
}

void ServiceStats::record(int status, double seconds) {
  requests_counter(status)->inc();
  requests_window.record();
  if (status >= 500) {
    errors_5xx->inc();
    errors_window.record();
  }
  duration->observe(seconds);
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
  s->retries = r.counter("upstream_retries_total", "Requests retried on another endpoint.", labels);
  s->fallback_requests = r.counter("fallback_requests_total",
                                   "Requests diverted to the fallback pool.", labels);
  r.gauge_callback("requests_per_second", "Requests answered per second over the last 10 s.",
                   labels, [s] { return s->requests_window.rate_per_second(); });
  r.gauge_callback("qps", "Alias of requests_per_second (the runbooks grep qps).", labels,
                   [s] { return s->requests_window.rate_per_second(); });
  r.gauge_callback("error_rate", "Share of requests answered 5xx over the last 10 s (0..1).",
                   labels, [s] { return telemetry::window_ratio(s->errors_window, s->requests_window); });
  all.emplace(s->service, std::move(stats));
  return *s;
}

}  // namespace x0::gateway
