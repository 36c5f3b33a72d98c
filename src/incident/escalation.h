// SLA deadlines, escalation levels and status-update reminders of an incident: pure functions
// of (incident, now, policy). The node's background thread evaluates them on a tick, notifies
// for each step that is due and not yet done, and records that with an "escalated" or
// "notified" timeline entry (escalation_entry, reminder_entry), which marks the step done.
// Defaults are SPEC section 6; the node loads the real numbers from the policy file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "incident/incident.h"

namespace x0::incident {

inline constexpr int64_t kMinuteMs = 60'000;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;
inline constexpr int64_t kDayMs = 24 * kHourMs;

struct EscalationPolicy {
  // Indexed by severity - 1. SEV-4's "1 business day" is taken as 24 h: no business calendar.
  std::array<int64_t, kSeverityCount> response_ms{15 * kMinuteMs, kHourMs, 4 * kHourMs, kDayMs};
  std::array<int64_t, kSeverityCount> resolution_ms{4 * kHourMs, kDayMs, 3 * kDayMs, 7 * kDayMs};
  int64_t sev1_team_lead_after_ms = 0;        // SEV-1: L2 team lead at once
  int64_t sev1_cto_after_ms = kHourMs;        // SEV-1: L3 CTO after 1 h unresolved
  int64_t sev2_team_lead_after_ms = kHourMs;  // SEV-2: L2 team lead within 1 h
  // Status updates: SEV-1 every 30 min, SEV-2 every hour; 0 = none (SEV-3/4: as needed).
  std::array<int64_t, kSeverityCount> update_every_ms{30 * kMinuteMs, kHourMs, 0, 0};
};

enum class EscalationLevel { kL1OnCall = 1, kL2TeamLead = 2, kL3Cto = 3 };
std::string_view to_string(EscalationLevel level);  // "L1", "L2", "L3"
std::string_view audience(EscalationLevel level);   // "on-call", "team lead", "CTO"

struct EscalationStep {
  EscalationLevel level;
  int64_t due_ms;     // when it is due (measured from detection)
  bool due = false;   // now >= due_ms and the incident is not resolved
  bool done = false;  // an "escalated" entry with fields.level == to_string(level) exists
};

struct DueState {
  int64_t since_ms = 0;  // clock start: the first detection (else creation)
  int64_t response_deadline_ms = 0;
  int64_t resolution_deadline_ms = 0;
  std::optional<int64_t> responded_ms;  // first acknowledgement
  // Breached: the deadline passed (strictly) without an acknowledgement / a resolution.
  bool response_breached = false;
  bool resolution_breached = false;
  EscalationLevel level = EscalationLevel::kL1OnCall;  // highest level due now
  std::vector<EscalationStep> steps;                   // L2/L3 steps of this severity
  std::optional<int64_t> next_update_due_ms;  // none when resolved or no cadence for severity
  bool update_overdue = false;                // now >= next_update_due_ms
  bool reminder_sent = false;                 // a reminder_entry for this very due time is recorded
  // Earliest future instant at which something above changes (for the caller's timer).
  std::optional<int64_t> next_check_ms;
};

// An instant is "due" when now >= it; an SLA is "breached" when now > its deadline. So at
// exactly the deadline the step is due and the SLA is not yet breached.
DueState evaluate(const Incident& incident, int64_t now_ms, const EscalationPolicy& policy);

// Steps that are due and not yet recorded: notify, then record escalation_entry(step, now).
std::vector<EscalationStep> pending_escalations(const DueState& state);
TimelineEntry escalation_entry(const EscalationStep& step, int64_t now_ms);
// Record after reminding the owners that a status update is due (update_overdue and not
// reminder_sent); a new update moves the due time and re-arms the reminder.
TimelineEntry reminder_entry(int64_t due_ms, int64_t now_ms);

}  // namespace x0::incident
