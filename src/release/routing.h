// The contract between the release controller and the gateway: per service, how its traffic is
// split between the stable endpoint set (from the config) and the candidate set of a release.
// The controller builds a RoutingSet and publishes it whole (shared_ptr<const RoutingSet>); the
// gateway only routes by it and knows nothing of release state machines.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace x0::release {

struct ReleaseRouting {
  std::vector<config::Endpoint> candidate;  // the candidate endpoint set
  int weight_bp = 0;                    // share of traffic to the candidate, basis points 0..10000
  std::string header_name;              // e.g. "X-Canary"; empty: no header override
  std::string header_value = "always";  // header_name: header_value -> candidate, whatever weight
  bool candidate_only = false;          // blue/green after the switch, or a promoted canary
  bool operator==(const ReleaseRouting&) const = default;
};

using RoutingSet = std::map<std::string, ReleaseRouting>;  // by service name; absent = no release

}  // namespace x0::release
