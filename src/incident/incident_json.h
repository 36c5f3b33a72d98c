// JSON for the incident API: model -> JSON bodies the handlers return as they are, JSON ->
// model for round trips (CLI, tests), and strict parsers of the request bodies of
// POST /incidents, .../ack, .../update and .../resolve. No exceptions: bad input is an
// x0::Error with code "bad_request" and a detail that names the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "incident/incident.h"
#include "incident/incident_store.h"

namespace x0::incident {

inline constexpr size_t kMaxBodyBytes = 64 * 1024;
inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxTextBytes = 8 * 1024;
inline constexpr size_t kMaxListItems = 64;

// {"time_ms", "time" (ISO-8601 UTC), "kind", "actor", "text", "fields", "seq"}
nlohmann::json to_json(const TimelineEntry& entry);
// Every model field, plus "acknowledged", "start_time", "created_at", "updated_at",
// "mttd_seconds" and "mttr_seconds" (null when unknown). Without the timeline when asked.
nlohmann::json to_json(const Incident& incident, bool with_timeline = true);
// {"SEV-1": n, ..., "total": n}
nlohmann::json open_counts_json(const OpenCounts& counts);

Result<TimelineEntry> timeline_entry_from_json(const nlohmann::json& j);
Result<Incident> incident_from_json(const nlohmann::json& j);

// POST /incidents: {"title" (required), "severity" (required: "SEV-1".."SEV-4"),
// "services" or "affected_services", "impact", "detection_method" (default "Manual"), "rule",
// "target", "actor", "text", "first_anomalous_ms", "detected_ms", "fields"}. Unknown keys are
// refused, so a typo is an error rather than a silently missing field.
Result<OpenRequest> parse_open_request(std::string_view body);
// .../ack: {"actor", "text"}, body may be empty. .../update: {"text" (required), "actor"}.
Result<Note> parse_ack_request(std::string_view body);
Result<Note> parse_update_request(std::string_view body);
// .../resolve: {"root_cause" (required), "resolution" (required), "lessons_learned",
// "action_items" (array of strings), "actor"}.
Result<ResolveRequest> parse_resolve_request(std::string_view body);

// GET /incidents?status=open&severity=SEV-1&limit=20: the query values as given (absent =
// nullopt). status also takes "unresolved"; limit is 1..1000 (default 100).
Result<ListFilter> parse_list_filter(std::optional<std::string_view> status,
                                     std::optional<std::string_view> severity,
                                     std::optional<std::string_view> limit);

// {"error": code, "detail": detail}, SPEC section 2, and the status code for it:
// bad_request 400, not_found 404, invalid_transition 409, store_full 507, store_busy and
// store_unavailable 503, anything else 500.
nlohmann::json error_json(const Error& error);
int http_status(const Error& error);

// ADL hook so handlers can write `nlohmann::json j = incident;`.
inline void to_json(nlohmann::json& j, const Incident& incident) { j = to_json(incident); }
inline void to_json(nlohmann::json& j, const TimelineEntry& entry) { j = to_json(entry); }

}  // namespace x0::incident
