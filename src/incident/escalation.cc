// Escalation and SLA evaluation (see escalation.h). No clock, no I/O: every input is a value.
#include "incident/escalation.h"

#include <algorithm>
#include <string>

namespace x0::incident {

std::string_view to_string(EscalationLevel level) {
  switch (level) {
    case EscalationLevel::kL1OnCall:
      return "L1";
    case EscalationLevel::kL2TeamLead:
      return "L2";
    case EscalationLevel::kL3Cto:
      return "L3";
  }
  return "L1";
}

std::string_view audience(EscalationLevel level) {
  switch (level) {
    case EscalationLevel::kL1OnCall:
      return "on-call";
    case EscalationLevel::kL2TeamLead:
      return "team lead";
    case EscalationLevel::kL3Cto:
      return "CTO";
  }
  return "on-call";
}

namespace {

bool escalation_recorded(const Incident& inc, EscalationLevel level) {
  for (const auto& e : inc.timeline)
    if (e.kind == TimelineKind::kEscalated && e.fields.is_object() &&
        e.fields.value("level", std::string()) == to_string(level))
      return true;
  return false;
}

// Latest instant the owners last told the world something: detection or the last update.
int64_t last_status_update(const Incident& inc, int64_t since) {
  int64_t last = since;
  for (const auto& e : inc.timeline)
    if (e.kind == TimelineKind::kUpdate) last = std::max(last, e.time_ms);
  return last;
}

void consider(std::optional<int64_t>* next, int64_t t, int64_t now) {
  if (t > now && (!*next || t < **next)) *next = t;
}

}  // namespace

DueState evaluate(const Incident& inc, int64_t now, const EscalationPolicy& policy) {
  DueState s;
  const size_t sev = static_cast<size_t>(static_cast<int>(inc.severity) - 1);
  s.since_ms = inc.first_time(TimelineKind::kDetected).value_or(inc.created_ms);
  s.response_deadline_ms = s.since_ms + policy.response_ms[sev];
  s.resolution_deadline_ms = s.since_ms + policy.resolution_ms[sev];
  s.responded_ms = inc.first_time(TimelineKind::kAcknowledged);
  const auto resolved_at = inc.first_time(TimelineKind::kResolved);
  const bool resolved = inc.status == Status::kResolved;

  s.response_breached =
      s.responded_ms ? *s.responded_ms > s.response_deadline_ms : now > s.response_deadline_ms;
  s.resolution_breached = resolved ? resolved_at.value_or(now) > s.resolution_deadline_ms
                                   : now > s.resolution_deadline_ms;

  if (inc.severity == Severity::kSev1) {
    s.steps.push_back({EscalationLevel::kL2TeamLead, s.since_ms + policy.sev1_team_lead_after_ms});
    s.steps.push_back({EscalationLevel::kL3Cto, s.since_ms + policy.sev1_cto_after_ms});
  } else if (inc.severity == Severity::kSev2) {
    s.steps.push_back({EscalationLevel::kL2TeamLead, s.since_ms + policy.sev2_team_lead_after_ms});
  }
  std::optional<int64_t> next;
  for (auto& step : s.steps) {
    step.done = escalation_recorded(inc, step.level);
    step.due = !resolved && now >= step.due_ms;
    if (step.due && step.level > s.level) s.level = step.level;
    if (!resolved && !step.done) consider(&next, step.due_ms, now);
  }

  if (!resolved && policy.update_every_ms[sev] > 0) {
    s.next_update_due_ms = last_status_update(inc, s.since_ms) + policy.update_every_ms[sev];
    s.update_overdue = now >= *s.next_update_due_ms;
    for (const auto& e : inc.timeline)
      if (e.kind == TimelineKind::kNotified && e.fields.is_object() &&
          e.fields.value("reminder", std::string()) == "status_update" &&
          e.fields.value("due_ms", int64_t{-1}) == *s.next_update_due_ms)
        s.reminder_sent = true;
    consider(&next, *s.next_update_due_ms, now);
  }
  if (!s.responded_ms && !resolved) consider(&next, s.response_deadline_ms + 1, now);
  if (!resolved) consider(&next, s.resolution_deadline_ms + 1, now);
  s.next_check_ms = next;
  return s;
}

std::vector<EscalationStep> pending_escalations(const DueState& state) {
  std::vector<EscalationStep> out;
  for (const auto& step : state.steps)
    if (step.due && !step.done) out.push_back(step);
  return out;
}

TimelineEntry escalation_entry(const EscalationStep& step, int64_t now_ms) {
  TimelineEntry e;
  e.time_ms = now_ms;
  e.kind = TimelineKind::kEscalated;
  e.actor = "system";
  e.text = "escalated to " + std::string(to_string(step.level)) + " (" +
           std::string(audience(step.level)) + ")";
  e.fields = {{"level", to_string(step.level)}, {"due_ms", step.due_ms}};
  return e;
}

TimelineEntry reminder_entry(int64_t due_ms, int64_t now_ms) {
  TimelineEntry e;
  e.time_ms = now_ms;
  e.kind = TimelineKind::kNotified;
  e.actor = "system";
  e.text = "status update due";
  e.fields = {{"reminder", "status_update"}, {"due_ms", due_ms}};
  return e;
}

}  // namespace x0::incident
