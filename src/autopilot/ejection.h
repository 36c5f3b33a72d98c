// Which endpoint an `eject_endpoint` action takes out of rotation: a pure function over the
// failure counts of a service's endpoints since the actuator last looked, so the choice is
// testable without a data plane. The node applies it in src/app/autopilot_wiring.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace x0::autopilot {

struct EndpointCounts {
  std::string name;        // "host:port"
  int set = 0;             // endpoints in the same set (stable, candidate) share a number
  uint64_t requests = 0;   // since the last look (the first time: lifetime)
  uint64_t failures = 0;
  bool available = true;   // healthy and not ejected now
};

struct EjectionChoice {
  std::optional<size_t> index;  // into the input; empty: nothing to eject (see reason)
  double failure_ratio = 0;
  uint64_t requests = 0;
  std::string reason;  // why nothing was chosen
};

// The available endpoint with the highest failure ratio (ties: more requests, then the first),
// if that ratio is above 0 over at least one request, and some other endpoint of its set stays
// available: the last available endpoint of a set is never ejected.
EjectionChoice choose_endpoint_to_eject(const std::vector<EndpointCounts>& endpoints);

}  // namespace x0::autopilot
