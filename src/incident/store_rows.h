// Internal to the incident module: the database schema (migrations) and the mapping between
// table rows and the model, shared by incident_store.cc. A row that does not decode (bad enum
// spelling, bad JSON) is reported as store_corrupt, never trusted.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "incident/incident.h"
#include "incident/incident_store.h"
#include "incident/sqlite_db.h"

namespace x0::incident {

// The store's connection (declared opaque in incident_store.h so it does not include sqlite3.h).
struct IncidentStore::Db {
  detail::DbHandle handle;
  sqlite3* get() const { return handle.get(); }
};

}  // namespace x0::incident

namespace x0::incident::detail {

// kMigrations[i] takes the schema from user_version i to i + 1. Append only; never edit one
// that has shipped.
std::span<const char* const> migrations();

// Columns of kIncidentColumns, in that order, select one incident row.
inline constexpr std::string_view kIncidentColumns =
    "id, title, severity, status, detection, rule, target, affected_services, impact, "
    "root_cause, resolution, lessons_learned, action_items, created_ms, updated_ms";

Result<Incident> decode_incident(const Stmt& row);
Result<TimelineEntry> decode_entry(const Stmt& row);  // seq, time_ms, kind, actor, text, fields

// Passes an error on; a store_* failure is logged once (ERROR INCIDENT op= code= detail=).
std::unexpected<Error> logged(Error e, std::string_view op);
Error not_found(std::string_view id);
// Returns the entry's seq.
Result<int64_t> insert_entry(sqlite3* db, std::string_view id, const TimelineEntry& e);
// Writes every mutable column of an existing incident row.
Result<void> update_row(sqlite3* db, const Incident& inc);
Result<int64_t> query_int(sqlite3* db, const char* sql, std::string_view what);

std::string strings_to_json(const std::vector<std::string>& items);

// Alertmanager's fingerprints (table alert_fingerprints, store_alerts.cc).
struct AttachedAlert {
  std::string incident_id;
  bool firing = false;
};
// The unresolved incident the fingerprint is attached to, if any (primary-key lookup).
Result<std::optional<AttachedAlert>> find_alert(sqlite3* db, std::string_view fingerprint);
// Attaches the fingerprint to the incident as firing (again, if it had resolved there).
Result<void> attach_alert(sqlite3* db, std::string_view incident_id, std::string_view fingerprint,
                          std::string_view group_key, int64_t now_ms);

}  // namespace x0::incident::detail
