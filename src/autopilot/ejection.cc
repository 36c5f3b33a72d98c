// Endpoint selection for eject_endpoint (see ejection.h).
#include "autopilot/ejection.h"

#include <algorithm>

namespace x0::autopilot {

EjectionChoice choose_endpoint_to_eject(const std::vector<EndpointCounts>& endpoints) {
  EjectionChoice choice;
  bool any_failing = false;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const EndpointCounts& e = endpoints[i];
    if (!e.available || e.requests == 0 || e.failures == 0) continue;
    any_failing = true;
    size_t others_up = 0;
    for (size_t j = 0; j < endpoints.size(); ++j) {
      if (j != i && endpoints[j].set == e.set && endpoints[j].available) ++others_up;
    }
    if (others_up == 0) continue;
    double ratio = static_cast<double>(std::min(e.failures, e.requests)) /
                   static_cast<double>(e.requests);
    bool better = !choice.index || ratio > choice.failure_ratio ||
                  (ratio == choice.failure_ratio && e.requests > choice.requests);
    if (better) {
      choice.index = i;
      choice.failure_ratio = ratio;
      choice.requests = e.requests;
    }
  }
  if (!choice.index) {
    choice.reason = endpoints.empty() ? "no endpoints"
                    : any_failing     ? "the only failing endpoints are the last available ones of their set"
                                      : "no available endpoint failed since the last look";
  }
  return choice;
}

}  // namespace x0::autopilot
