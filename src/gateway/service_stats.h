// Per-service metrics, keyed by service name and living for the whole process, so that a
// reload (which rebuilds the route table) neither resets them nor leaves scrape callbacks
// pointing at freed memory. Workers bump them lock-free (sharded counters, sliding windows).
#pragma once

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "telemetry/latency_sketch.h"
#include "telemetry/metrics.h"

namespace x0::gateway {

struct ServiceStats {
  std::string service;
  telemetry::Histogram* duration = nullptr;       // http_request_duration_seconds
  telemetry::Histogram* upstream_time = nullptr;  // upstream_response_time_seconds
  telemetry::Counter* errors_connect = nullptr;
  telemetry::Counter* errors_timeout = nullptr;
  telemetry::Counter* errors_5xx = nullptr;
  telemetry::Counter* retries = nullptr;
  telemetry::Counter* fallback_requests = nullptr;
  // Per release side (0 stable, 1 candidate): cumulative, so the autopilot can difference
  // snapshots taken off the hot path into windows of any length.
  struct Side {
    telemetry::Counter* requests = nullptr;    // release_requests_total{service, side}
    telemetry::Counter* errors = nullptr;      // release_errors_total{service, side}: 5xx answered
    telemetry::Histogram* duration = nullptr;  // release_request_duration_seconds (/metrics)
    // Upstream answers that carry a body (not HEAD, 204, 304): their payload bytes, and those
    // that were 2xx with an empty one: the canary's silent failures (docs/AUTOPILOT.md).
    telemetry::Counter* response_bytes = nullptr;   // release_response_bytes_total
    telemetry::Counter* empty_responses = nullptr;  // release_empty_responses_total
    // The same durations, fine enough for the autopilot's latency rules (the histogram's
    // buckets are not: docs/AUTOPILOT.md, "How P95 is measured").
    telemetry::LatencySketch latency;
    // The P95 the autopilot measured over its service latency rules' window, in ms, written by
    // the control thread every tick (autopilot_latency_p95_seconds).
    std::atomic<double> autopilot_p95_ms{0};
  };
  Side sides[2];
  telemetry::SlidingWindow requests_window{10};
  telemetry::SlidingWindow errors_window{10};
  // http_requests_total{service, code}, filled lazily (get-or-create is idempotent, so a race
  // between two workers stores the same pointer twice).
  std::array<std::atomic<telemetry::Counter*>, 600> requests_by_code{};

  telemetry::Counter* requests_counter(int code);
  // One call per finished request: counts, windows and latency. candidate: served by the
  // candidate set of a release. body_bytes: the response's payload bytes (StreamOutcome).
  void record(int status, double seconds, bool candidate = false,
              std::optional<uint64_t> body_bytes = std::nullopt);
  // An answer from the cache (hit, coalesced or stale): counted for the client (requests by
  // code, rate, duration) but not on a release side, so the autopilot's stable-vs-candidate
  // comparison sees only what the endpoints answered.
  void record_cached(int status, double seconds);
  // An upstream attempt that failed but was masked by a stale answer: the side still sees the
  // error, so detection works while clients are shielded.
  void record_masked_failure(bool candidate);
};

// The stats of a service, created and registered with the default registry on first use.
// Thread-safe (a mutex; call it at table build, not per request).
ServiceStats& stats_for(std::string_view service);

}  // namespace x0::gateway
