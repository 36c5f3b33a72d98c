// Schema and row decoding for the incident store (see store_rows.h).
#include "incident/store_rows.h"

#include "common/log.h"

namespace x0::incident::detail {
namespace {

constexpr const char* kMigrationsSql[] = {
    // 0 -> 1: incidents and their timelines.
    R"sql(
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  day_seq INTEGER NOT NULL,
  title TEXT NOT NULL,
  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
  status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'mitigated', 'resolved')),
  detection TEXT NOT NULL CHECK (detection IN ('Alert', 'Manual', 'Monitoring')),
  rule TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT '',
  affected_services TEXT NOT NULL DEFAULT '[]',
  impact TEXT NOT NULL DEFAULT '',
  root_cause TEXT NOT NULL DEFAULT '',
  resolution TEXT NOT NULL DEFAULT '',
  lessons_learned TEXT NOT NULL DEFAULT '',
  action_items TEXT NOT NULL DEFAULT '[]',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (day, day_seq)
);
-- At most one unresolved incident per rule and target: the dedup invariant, enforced.
CREATE UNIQUE INDEX IF NOT EXISTS incidents_unresolved_rule
  ON incidents (rule, target) WHERE status <> 'resolved' AND rule <> '';
CREATE INDEX IF NOT EXISTS incidents_created ON incidents (created_ms);
CREATE TABLE IF NOT EXISTS timeline (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  fields TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS timeline_by_incident ON timeline (incident_id, time_ms, seq);
)sql",
    // 1 -> 2: the notification outbox (issue 14). A row is written in the transaction of the
    // timeline entry that causes it and finished in the transaction of the entry that records
    // its outcome; (channel, dedup_key) makes queueing an event twice a no-op.
    R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  event_kind TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  event TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  UNIQUE (channel, dedup_key)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (next_attempt_ms) WHERE state = 'pending';
-- The Statuspage incident a channel created for one of ours (its updates go to that one).
CREATE TABLE IF NOT EXISTS notify_remote (
  channel TEXT NOT NULL,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  remote_id TEXT NOT NULL,
  PRIMARY KEY (channel, incident_id)
);
)sql",
    // 2 -> 3: Alertmanager's alerts by fingerprint (issue 14), so a repeat of a firing alert is
    // a no-op and its resolution finds its incident among all unresolved ones by the primary
    // key, not by a scan. A fingerprint is on at most one unresolved incident (open_incident
    // attaches it only when none has it); rows of resolved incidents stay, as history.
    R"sql(
CREATE TABLE IF NOT EXISTS alert_fingerprints (
  fingerprint TEXT NOT NULL,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  state TEXT NOT NULL DEFAULT 'firing' CHECK (state IN ('firing', 'resolved')),
  group_key TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (fingerprint, incident_id)
);
CREATE INDEX IF NOT EXISTS alert_fingerprints_by_incident
  ON alert_fingerprints (incident_id, state);
)sql",
    // 3 -> 4: the status page's uptime history (incident/uptime.h): per component and UTC day,
    // how many samples found it in each state. Rows older than 91 days are dropped as new ones
    // come, so the table stays at components x 91 rows.
    R"sql(
CREATE TABLE IF NOT EXISTS uptime_days (
  component TEXT NOT NULL,
  date TEXT NOT NULL,
  operational INTEGER NOT NULL DEFAULT 0,
  degraded_performance INTEGER NOT NULL DEFAULT 0,
  partial_outage INTEGER NOT NULL DEFAULT 0,
  major_outage INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (component, date)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uptime_days_by_date ON uptime_days (date);
)sql",
};

Error corrupt(std::string_view id, std::string_view what) {
  return Error{Errc::kStoreCorrupt, "incident " + std::string(id) + ": " + std::string(what)};
}

bool decode_strings(const std::string& text, std::vector<std::string>* out) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return false;
  for (const auto& item : j) {
    if (!item.is_string()) return false;
    out->push_back(item.get<std::string>());
  }
  return true;
}

}  // namespace

std::span<const char* const> migrations() { return kMigrationsSql; }

std::string strings_to_json(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Incident> decode_incident(const Stmt& row) {
  Incident inc;
  inc.id = row.text_at(0);
  inc.title = row.text_at(1);
  const int64_t sev = row.int_at(2);
  if (sev < 1 || sev > kSeverityCount) return std::unexpected(corrupt(inc.id, "bad severity"));
  inc.severity = static_cast<Severity>(sev);
  auto status = parse_status(row.text_at(3));
  auto detection = parse_detection_method(row.text_at(4));
  if (!status || !detection) return std::unexpected(corrupt(inc.id, "bad status or detection"));
  inc.status = *status;
  inc.detection = *detection;
  inc.rule = row.text_at(5);
  inc.target = row.text_at(6);
  if (!decode_strings(row.text_at(7), &inc.affected_services))
    return std::unexpected(corrupt(inc.id, "affected_services is not a JSON array of strings"));
  inc.impact = row.text_at(8);
  inc.root_cause = row.text_at(9);
  inc.resolution = row.text_at(10);
  inc.lessons_learned = row.text_at(11);
  if (!decode_strings(row.text_at(12), &inc.action_items))
    return std::unexpected(corrupt(inc.id, "action_items is not a JSON array of strings"));
  inc.created_ms = row.int_at(13);
  inc.updated_ms = row.int_at(14);
  return inc;
}

Result<TimelineEntry> decode_entry(const Stmt& row) {
  TimelineEntry e;
  e.seq = row.int_at(0);
  e.time_ms = row.int_at(1);
  auto kind = parse_timeline_kind(row.text_at(2));
  if (!kind)
    return std::unexpected(
        Error{Errc::kStoreCorrupt, "timeline entry " + std::to_string(e.seq) + ": unknown kind"});
  e.kind = *kind;
  e.actor = row.text_at(3);
  e.text = row.text_at(4);
  e.fields = nlohmann::json::parse(row.text_at(5), nullptr, false);
  if (e.fields.is_discarded() || !e.fields.is_object())
    return std::unexpected(Error{Errc::kStoreCorrupt, "timeline entry " + std::to_string(e.seq) +
                                                          ": fields is not a JSON object"});
  return e;
}

// Logs a failed store call once, with its code, and passes it on.
std::unexpected<Error> logged(Error e, std::string_view op) {
  // Only the store's own failures are ERROR lines; not_found, bad_request and
  // invalid_transition are answers to the caller, not faults of the node.
  if (is_store_error(e.code))
    x0::log::error("INCIDENT", "incident store failed",
                   {{"op", op}, {"code", e.name()}, {"detail", e.detail}});
  return std::unexpected<Error>(std::move(e));
}

Result<int64_t> insert_entry(sqlite3* db, std::string_view id, const TimelineEntry& e) {
  auto st = Stmt::prepare(db,
                          "INSERT INTO timeline (incident_id, time_ms, kind, actor, text, fields) "
                          "VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return std::unexpected(st.error());
  const std::string fields =
      e.fields.is_object() ? e.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                           : std::string("{}");
  st->bind(1, id).bind(2, e.time_ms).bind(3, to_string(e.kind)).bind(4, e.actor);
  st->bind(5, e.text).bind(6, fields);
  if (auto r = st->run("insert timeline entry"); !r) return std::unexpected(r.error());
  return sqlite3_last_insert_rowid(db);
}

// Writes every mutable column of an existing incident row.
Result<void> update_row(sqlite3* db, const Incident& inc) {
  auto st = Stmt::prepare(db,
                          "UPDATE incidents SET title = ?, severity = ?, status = ?, "
                          "affected_services = ?, impact = ?, root_cause = ?, resolution = ?, "
                          "lessons_learned = ?, action_items = ?, updated_ms = ? WHERE id = ?");
  if (!st) return std::unexpected(st.error());
  st->bind(1, inc.title).bind(2, static_cast<int64_t>(inc.severity)).bind(3, to_string(inc.status));
  st->bind(4, detail::strings_to_json(inc.affected_services)).bind(5, inc.impact);
  st->bind(6, inc.root_cause).bind(7, inc.resolution).bind(8, inc.lessons_learned);
  st->bind(9, detail::strings_to_json(inc.action_items)).bind(10, inc.updated_ms).bind(11, inc.id);
  return st->run("update incident");
}

Result<int64_t> query_int(sqlite3* db, const char* sql, std::string_view what) {
  auto st = Stmt::prepare(db, sql);
  if (!st) return std::unexpected(st.error());
  auto row = st->step(what);
  if (!row) return std::unexpected(row.error());
  return *row ? st->int_at(0) : 0;
}

Error not_found(std::string_view id) {
  return Error{Errc::kNotFound, "no incident " + std::string(id)};
}

}  // namespace x0::incident::detail
