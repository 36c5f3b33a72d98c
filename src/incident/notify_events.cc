// Timeline entries as notification events (see notify_events.h).
#include "incident/notify_events.h"

#include <string>

namespace x0::incident {
namespace {

std::string reminder_of(const TimelineEntry& e) {
  return e.fields.is_object() ? e.fields.value("reminder", std::string()) : std::string();
}

}  // namespace

std::optional<notify::EventKind> event_kind_of(const TimelineEntry& e, bool opened) {
  using K = notify::EventKind;
  switch (e.kind) {
    case TimelineKind::kDetected:
      if (opened) return K::kOpened;
      return std::nullopt;
    case TimelineKind::kAcknowledged:
      return K::kAcknowledged;
    case TimelineKind::kEscalated:
      return K::kEscalated;
    case TimelineKind::kMitigated:
      return K::kMitigated;
    case TimelineKind::kResolved:
      return K::kResolved;
    case TimelineKind::kNotified:
      if (reminder_of(e) == "status_update") return K::kStatusUpdateDue;
      if (reminder_of(e) == "sla_breached") return K::kSlaBreached;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

notify::Event to_event(const Incident& inc, const TimelineEntry& cause, notify::EventKind kind) {
  notify::Event e;
  e.kind = kind;
  e.incident_id = inc.id;
  e.title = inc.title;
  e.severity = inc.severity;
  e.status = std::string(to_string(inc.status));
  e.detection = std::string(to_string(inc.detection));
  e.rule = inc.rule;
  e.target = inc.target;
  e.services = inc.affected_services;
  for (const auto& t : inc.timeline) {
    if (t.kind != TimelineKind::kEscalated || !t.fields.is_object()) continue;
    auto level = notify::parse_level(t.fields.value("level", std::string()));
    if (level && *level > e.level) e.level = *level;
  }
  e.text = cause.text;
  e.details = cause.fields.is_object() ? cause.fields : nlohmann::json::object();
  e.time_ms = cause.time_ms;
  e.entry_seq = cause.seq;
  return e;
}

TimelineEntry sla_breach_entry(std::string_view sla, int64_t deadline_ms, int64_t now_ms) {
  TimelineEntry e;
  e.time_ms = now_ms;
  e.kind = TimelineKind::kNotified;
  e.actor = "system";
  e.text = std::string(sla) + " SLA breached";
  e.fields = {{"reminder", "sla_breached"}, {"sla", sla}, {"deadline_ms", deadline_ms}};
  return e;
}

bool sla_breach_recorded(const Incident& inc, std::string_view sla) {
  for (const auto& t : inc.timeline)
    if (t.kind == TimelineKind::kNotified && reminder_of(t) == "sla_breached" &&
        t.fields.value("sla", std::string()) == sla)
      return true;
  return false;
}

}  // namespace x0::incident
