// What the on-call hears about: one incident event (opened, acknowledged, escalated, status
// update due, SLA breached, mitigated, resolved) with the incident as it stood when the event
// happened. The incident store builds it inside the transaction that records the cause and
// keeps it, as JSON, in the outbox row; the channel formats read only this, never the store.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/severity.h"
#include "notify/event_kind.h"

namespace x0::notify {

struct Event {
  EventKind kind = EventKind::kOpened;
  std::string incident_id;
  std::string title;
  Severity severity = Severity::kSev3;
  std::string status;     // the incident's status after the event: open, acknowledged, ...
  std::string detection;  // Alert, Manual, Monitoring
  std::string rule;
  std::string target;
  std::vector<std::string> services;
  // The highest escalation level the incident has reached (opened: L1; escalated: the step's).
  Level level = Level::kL1;
  std::string text;                                   // the causing timeline entry's text
  nlohmann::json details = nlohmann::json::object();  // rule, value, baseline... (entry fields)
  int64_t time_ms = 0;                                // unix ms of the causing entry
  int64_t entry_seq = 0;                              // the causing timeline entry (dedup)
};

nlohmann::json to_json(const Event& event);
// nullopt when `j` is not an event this binary wrote (the outbox row is then a permanent failure).
std::optional<Event> event_from_json(const nlohmann::json& j);

// "2026-12-04T19:20:00.123Z".
std::string rfc3339_utc(int64_t unix_ms);

}  // namespace x0::notify
