// How a service's traffic is split during a release: the candidate endpoint set, its share,
// and the header that sends a request to the candidate whatever the share (smoke tests).
// The release controller decides it; the gateway only routes by it, so the gateway knows
// nothing of release state machines.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace x0::gateway {

struct TrafficSplit {
  std::vector<config::Endpoint> candidate;
  int weight_bp = 0;                    // share of requests to the candidate, basis points 0..10000
  std::string header_name;              // e.g. "X-Canary"; empty: no header override
  std::string header_value = "always";  // header_name: header_value -> candidate
  bool candidate_only = false;          // blue/green after the switch, or a fully promoted canary
};

using TrafficSplits = std::map<std::string, TrafficSplit>;  // by service name

}  // namespace x0::gateway
