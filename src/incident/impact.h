// The Impact line of an incident the autopilot saw recover, from the node's own counters: how
// many requests failed (or were slow) out of how many, over how long, and what the node did
// (the incident's action_taken entries). It begins with kMeasuredImpact, so an operator's own
// account is never replaced by it (Note::impact); the report shows it as the Impact field.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "incident/incident.h"

namespace x0::incident {

struct MeasuredImpact {
  std::string service;   // "" for a node-wide condition: only its duration is known
  int64_t from_ms = 0;   // the incident's start (first anomalous sample) ...
  int64_t to_ms = 0;     // ... to the recovery
  bool counted = false;  // the service's requests in between are known:
  uint64_t requests = 0;
  uint64_t failed = 0;
  uint64_t slower = 0;               // latency incidents: requests at or above slower_than_ms
  double slower_than_ms = INFINITY;  // INFINITY: not a latency incident
};

std::string measured_impact_text(const MeasuredImpact& impact, const Incident& incident);

}  // namespace x0::incident
