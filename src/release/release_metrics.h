// Release metrics, declared next to the code that bumps them: releases_active,
// release_weight_percent{service}, rollbacks_total{service,reason}, promotions_total{service}.
// Updated by the controller on its control path only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "release/release.h"
#include "telemetry/metrics.h"

namespace x0::release {

// A bounded label for a free-text rollback reason: the word before the first ':' or space when
// it is [a-z0-9_]{1,32} (the autopilot passes rule names, e.g. "error_rate: 12% > 10%"),
// "manual" for an empty reason, else "other".
std::string reason_label(std::string_view reason);

class ReleaseMetrics {
 public:
  explicit ReleaseMetrics(telemetry::Registry& registry);  // throws only on a registry clash
  // Sets releases_active and, for every service seen, release_weight_percent (0 when idle).
  void observe(const std::vector<Release>& releases);
  void rolled_back(const std::string& service, std::string_view reason);
  void promoted(const std::string& service);

 private:
  telemetry::Registry& registry_;
  telemetry::Gauge* active_;
};

}  // namespace x0::release
