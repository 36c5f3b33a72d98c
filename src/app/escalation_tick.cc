// Escalation timers and notifications (see escalation_tick.h).
#include "app/escalation_tick.h"

#include <string>

#include "common/log.h"
#include "incident/notify_events.h"

namespace x0::app {
namespace {

void announce(const incident::Incident& i, const std::string& what) {
  log::warn("INCIDENT", what,
            {{"id", i.id}, {"severity", incident::to_string(i.severity)}, {"title", i.title}});
}

}  // namespace

incident::EscalationPolicy escalation_policy_from(const autopilot::EscalationSettings& s) {
  static_assert(incident::kSeverityCount == 4, "[escalation] arrays hold SEV-1..SEV-4");
  incident::EscalationPolicy p;
  for (size_t i = 0; i < 4; ++i) {
    p.response_ms[i] = s.response_ms[i];
    p.resolution_ms[i] = s.resolution_ms[i];
    p.update_every_ms[i] = s.update_every_ms[i];
  }
  p.sev1_team_lead_after_ms = s.sev1_team_lead_after_ms;
  p.sev1_cto_after_ms = s.sev1_cto_after_ms;
  p.sev2_team_lead_after_ms = s.sev2_team_lead_after_ms;
  return p;
}

int escalate_due(incident::IncidentStore& store, const incident::EscalationPolicy& policy,
                 int64_t now_ms) {
  incident::ListFilter filter;
  filter.unresolved_only = true;
  filter.limit = 1000;
  auto open = store.list(filter);
  if (!open) return 0;
  int announced = 0;
  for (const incident::Incident& i : *open) {
    incident::DueState due = incident::evaluate(i, now_ms, policy);
    for (const incident::EscalationStep& step : incident::pending_escalations(due)) {
      announce(i, "incident escalated to " + std::string(incident::audience(step.level)));
      store.append(i.id, incident::escalation_entry(step, now_ms));
      ++announced;
    }
    if (due.update_overdue && !due.reminder_sent && due.next_update_due_ms) {
      announce(i, "status update due");
      store.append(i.id, incident::reminder_entry(*due.next_update_due_ms, now_ms));
      ++announced;
    }
    // Each SLA is announced once, when it is first seen breached.
    if (due.response_breached && !incident::sla_breach_recorded(i, "response")) {
      announce(i, "response SLA breached");
      store.append(i.id, incident::sla_breach_entry("response", due.response_deadline_ms, now_ms));
      ++announced;
    }
    if (due.resolution_breached && !incident::sla_breach_recorded(i, "resolution")) {
      announce(i, "resolution SLA breached");
      store.append(i.id,
                   incident::sla_breach_entry("resolution", due.resolution_deadline_ms, now_ms));
      ++announced;
    }
  }
  return announced;
}

}  // namespace x0::app
