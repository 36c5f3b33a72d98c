// IncidentMetrics: registration of the incident series and the atomics behind the open gauges.
#include "incident/incident_metrics.h"

#include <string>

namespace x0::incident {

std::span<const double> incident_time_buckets() {
  static constexpr double kBounds[] = {0.1, 0.25, 0.5, 1,   2,    5,    10,   30,
                                       60,  120,  300, 900, 1800, 3600, 14400};
  return kBounds;
}

IncidentMetrics::IncidentMetrics(telemetry::Registry& registry) {
  for (int i = 0; i < kSeverityCount; ++i) {
    const auto sev = static_cast<Severity>(i + 1);
    const telemetry::Labels labels{{"severity", std::string(to_string(sev))}};
    total_[static_cast<size_t>(i)] =
        registry.counter("incidents_total", "Incidents opened (joins not counted).", labels);
    registry.gauge_callback("incidents_open", "Incidents not resolved yet.", labels, [this, i] {
      return static_cast<double>(open_[static_cast<size_t>(i)].load(std::memory_order_relaxed));
    });
  }
  mttd_ = registry.histogram("incident_mttd_seconds",
                             "Time from the first anomalous sample to detection.",
                             incident_time_buckets());
  mttr_ = registry.histogram("incident_mttr_seconds",
                             "Time from the first anomalous sample to mitigation.",
                             incident_time_buckets());
}

void IncidentMetrics::on_opened(Severity severity) {
  total_[static_cast<size_t>(static_cast<int>(severity) - 1)]->inc();
}

void IncidentMetrics::observe_mttd(int64_t mttd_ms) {
  mttd_->observe(static_cast<double>(mttd_ms) / 1000.0);
}

void IncidentMetrics::observe_mttr(int64_t mttr_ms) {
  mttr_->observe(static_cast<double>(mttr_ms) / 1000.0);
}

void IncidentMetrics::set_open_counts(const OpenCounts& counts) {
  for (size_t i = 0; i < open_.size(); ++i) open_[i].store(counts[i], std::memory_order_relaxed);
}

OpenCounts IncidentMetrics::open_counts() const {
  OpenCounts out{};
  for (size_t i = 0; i < open_.size(); ++i) out[i] = open_[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace x0::incident
