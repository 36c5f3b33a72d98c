// Escalation on the control thread: once a second, every unresolved incident is checked against
// the SLA and escalation timers of SPEC section 6 (incident/escalation.h). Each step that falls
// due (an escalation, a status update reminder, an SLA breach) is announced with a WARN INCIDENT
// log line and recorded in the incident's timeline, which marks it done; the store queues its
// notifications in the same transaction (notify/), and notify's delivery thread sends them:
// the tick never waits on a receiver.
#pragma once

#include "autopilot/policy.h"
#include "incident/escalation.h"
#include "incident/incident_store.h"

namespace x0::app {

// The policy file's [escalation] numbers (defaults: SPEC section 6) as the incident module's policy.
incident::EscalationPolicy escalation_policy_from(const autopilot::EscalationSettings& settings);

// Returns how many steps were announced.
int escalate_due(incident::IncidentStore& store, const incident::EscalationPolicy& policy,
                 int64_t now_ms);

}  // namespace x0::app
