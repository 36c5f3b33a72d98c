// Escalation on the control thread: once a second, every unresolved incident is checked against
// the SLA and escalation timers of SPEC section 6 (incident/escalation.h). Each step that falls
// due is announced (a WARN INCIDENT log line and a POST to every configured notify webhook) and
// recorded in the incident's timeline, which marks it done. The posts are only started here
// (app/webhook_notifier.h): the tick never waits on a receiver.
#pragma once

#include <functional>
#include <string>

#include "autopilot/policy.h"
#include "incident/escalation.h"
#include "incident/incident_store.h"

namespace x0::app {

// The policy file's [escalation] numbers (defaults: SPEC section 6) as the incident module's policy.
incident::EscalationPolicy escalation_policy_from(const autopilot::EscalationSettings& settings);

// Hands one notification (a JSON body) to every configured webhook; returns at once.
using Notify = std::function<void(const std::string& body)>;

// Returns how many steps were announced.
int escalate_due(incident::IncidentStore& store, const incident::EscalationPolicy& policy,
                 const Notify& notify, int64_t now_ms);

}  // namespace x0::app
