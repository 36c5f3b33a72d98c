// Release metrics (see release_metrics.h). Series are resolved through the registry's
// get-or-create on each update: this is the control path (a few calls per release step).
#include "release/release_metrics.h"

#include <map>

namespace x0::release {

std::string reason_label(std::string_view reason) {
  if (reason.empty()) return "manual";
  std::string_view word = reason.substr(0, reason.find_first_of(": "));
  if (word.empty() || word.size() > 32) return "other";
  for (char c : word)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return "other";
  return std::string(word);
}

ReleaseMetrics::ReleaseMetrics(telemetry::Registry& registry)
    : registry_(registry),
      active_(registry.gauge("releases_active",
                             "Releases that steer traffic (running, paused, promoted)")) {}

void ReleaseMetrics::observe(const std::vector<Release>& releases) {
  std::map<std::string, int> weight;  // every service with a release on record
  int active = 0;
  for (const auto& r : releases) {
    auto& w = weight[r.service];
    if (is_active(r)) {
      ++active;
      w = weight_percent(r);
    }
  }
  active_->set(active);
  for (const auto& [service, w] : weight)
    registry_
        .gauge("release_weight_percent", "Share of the service's traffic sent to the candidate",
               {{"service", service}})
        ->set(w);
}

void ReleaseMetrics::rolled_back(const std::string& service, std::string_view reason) {
  registry_
      .counter("rollbacks_total", "Releases rolled back",
               {{"service", service}, {"reason", reason_label(reason)}})
      ->inc();
}

void ReleaseMetrics::promoted(const std::string& service) {
  registry_.counter("promotions_total", "Releases promoted", {{"service", service}})->inc();
}

}  // namespace x0::release
