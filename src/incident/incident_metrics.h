// Prometheus series of the incident module: incidents_open{severity} (gauges read from cached
// counts, never from disk, so a scrape on a worker thread never blocks on SQLite),
// incidents_total{severity}, incident_mttd_seconds and incident_mttr_seconds (histograms).
// The store feeds this object after each committed write (StoreOptions::metrics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "incident/incident.h"
#include "telemetry/metrics.h"

namespace x0::incident {

class IncidentMetrics {
 public:
  // Registers the series. The registry's gauge callbacks point at this object: it must outlive
  // every render() of the registry (the node keeps both for its lifetime).
  explicit IncidentMetrics(telemetry::Registry& registry);
  IncidentMetrics(const IncidentMetrics&) = delete;
  IncidentMetrics& operator=(const IncidentMetrics&) = delete;

  void on_opened(Severity severity);   // a new incident (not a join)
  void observe_mttd(int64_t mttd_ms);  // when an incident is detected
  void observe_mttr(int64_t mttr_ms);  // when an incident is mitigated
  void set_open_counts(const OpenCounts& counts);
  OpenCounts open_counts() const;

 private:
  std::array<telemetry::Counter*, kSeverityCount> total_{};
  telemetry::Histogram* mttd_ = nullptr;
  telemetry::Histogram* mttr_ = nullptr;
  std::array<std::atomic<int64_t>, kSeverityCount> open_{};
};

// Bucket bounds (seconds) for MTTD/MTTR: 0.1 s .. 4 h, covering the 1 s goal and the SLAs.
std::span<const double> incident_time_buckets();

}  // namespace x0::incident
