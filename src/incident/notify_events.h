// Which timeline entries the on-call hears about, and the notify::Event each becomes. The store
// asks this inside the transaction that records the entry (store_outbox.cc), so the outbox row
// and its cause commit together. Entries that record a delivery (notified, with a channel) are
// never events: a notification does not notify.
#pragma once

#include <optional>

#include "incident/incident.h"
#include "notify/event.h"

namespace x0::incident {

// The event an entry is, given the incident after it was applied; nullopt: not notified.
// `opened` marks the detected entry of a new incident (a joined detection is no event).
std::optional<notify::EventKind> event_kind_of(const TimelineEntry& entry, bool opened);

// The incident as it stood after `cause`, with the highest escalation level it reached.
notify::Event to_event(const Incident& after, const TimelineEntry& cause, notify::EventKind kind);

// The timeline entry escalation_tick records when an SLA deadline passed (`sla`: "response" or
// "resolution"); it is the sla_breached event's cause and marks the breach announced.
TimelineEntry sla_breach_entry(std::string_view sla, int64_t deadline_ms, int64_t now_ms);
bool sla_breach_recorded(const Incident& incident, std::string_view sla);

}  // namespace x0::incident
