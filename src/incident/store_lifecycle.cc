// IncidentStore lifecycle writes (acknowledge, update, mitigate, resolve, free timeline entries)
// and verify(). Each write loads the incident inside its transaction, checks the transition,
// appends the timeline entry and updates the row, so a refused transition changes nothing.
#include <utility>

#include "common/log.h"
#include "incident/incident_metrics.h"
#include "incident/incident_store.h"
#include "incident/store_rows.h"

namespace x0::incident {

using detail::insert_entry;
using detail::logged;
using detail::Stmt;
using detail::Transaction;
using detail::update_row;

namespace {

Error refused(const Incident& inc, std::string_view why) {
  return Error{Errc::kInvalidTransition, inc.id + " " + std::string(why)};
}

// nullopt when the incident may take this entry; else why not.
std::optional<Error> check_transition(const Incident& inc, TimelineKind kind) {
  if (inc.status == Status::kResolved) {
    // After resolution only notes that do not reopen it: notifications and escalation records.
    if (kind == TimelineKind::kNotified || kind == TimelineKind::kEscalated) return std::nullopt;
    return refused(inc, "is already resolved");
  }
  switch (kind) {
    case TimelineKind::kAcknowledged:
      if (inc.acknowledged()) return refused(inc, "is already acknowledged");
      break;
    case TimelineKind::kMitigated:
      if (inc.status == Status::kMitigated) return refused(inc, "is already mitigated");
      break;
    default:
      break;
  }
  return std::nullopt;
}

Status status_after(Status current, TimelineKind kind) {
  switch (kind) {
    case TimelineKind::kAcknowledged:
      return current == Status::kOpen ? Status::kAcknowledged : current;
    case TimelineKind::kMitigated:
      return Status::kMitigated;
    case TimelineKind::kResolved:
      return Status::kResolved;
    default:
      return current;
  }
}

std::string default_text(TimelineKind kind) {
  switch (kind) {
    case TimelineKind::kAcknowledged:
      return "acknowledged";
    case TimelineKind::kMitigated:
      return "mitigated: metrics back to normal";
    case TimelineKind::kResolved:
      return "resolved";
    default:
      return std::string(to_string(kind));
  }
}

}  // namespace

Result<Incident> IncidentStore::append(std::string_view id, TimelineEntry entry) {
  if (entry.kind == TimelineKind::kAcknowledged || entry.kind == TimelineKind::kMitigated ||
      entry.kind == TimelineKind::kResolved)
    return fail(Errc::kBadRequest,
                std::string(to_string(entry.kind)) + " changes the status: use its own call");
  return transition(
      id, entry.kind,
      Note{entry.actor, entry.text,
           entry.time_ms > 0 ? std::optional<int64_t>(entry.time_ms) : std::nullopt, entry.fields});
}

Result<Incident> IncidentStore::acknowledge(std::string_view id, const Note& note) {
  return transition(id, TimelineKind::kAcknowledged, note);
}

Result<Incident> IncidentStore::add_update(std::string_view id, const Note& note) {
  if (note.text.empty()) return fail(Errc::kBadRequest, "an update needs text");
  return transition(id, TimelineKind::kUpdate, note);
}

Result<Incident> IncidentStore::set_mitigated(std::string_view id, const Note& note) {
  return transition(id, TimelineKind::kMitigated, note);
}

Result<Incident> IncidentStore::transition(std::string_view id, TimelineKind kind,
                                           const Note& note) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::begin(db_->get());
  if (!txn) return logged(txn.error(), "transition");
  auto written = write_transition(id, kind, note);
  if (!written) return std::unexpected(written.error());
  if (auto r = txn->commit(); !r) return logged(r.error(), "transition");
  return after_transition(id, kind, *written);
}

Result<IncidentStore::Transitioned> IncidentStore::write_transition(std::string_view id,
                                                                    TimelineKind kind,
                                                                    const Note& note) {
  sqlite3* db = db_->get();
  auto inc = load(id);
  if (!inc) return logged(inc.error(), "transition");
  if (auto why = check_transition(*inc, kind)) return std::unexpected(*why);
  const int64_t t_now = now();
  Transitioned out;
  out.was_mitigated = inc->first_time(TimelineKind::kMitigated).has_value();
  TimelineEntry entry{note.time_ms.value_or(t_now),
                      kind,
                      note.actor,
                      note.text.empty() ? default_text(kind) : note.text,
                      note.fields.is_object() ? note.fields : nlohmann::json::object(),
                      0};
  auto seq = insert_entry(db, inc->id, entry);
  if (!seq) return logged(seq.error(), "transition");
  entry.seq = *seq;
  inc->status = status_after(inc->status, kind);
  if (note.impact) {
    bool measured = note.impact->starts_with(kMeasuredImpact);
    bool operators = !inc->impact.empty() && !inc->impact.starts_with(kMeasuredImpact);
    if (!measured || !operators) inc->impact = *note.impact;
  }
  inc->updated_ms = t_now;
  if (auto r = update_row(db, *inc); !r) return logged(r.error(), "transition");
  auto queued_rows = queue_notifications(inc->id, entry, false);
  if (!queued_rows) return logged(queued_rows.error(), "transition");
  out.queued_rows = *queued_rows;
  return out;
}

Result<Incident> IncidentStore::after_transition(std::string_view id, TimelineKind kind,
                                                 const Transitioned& t) {
  queued(t.queued_rows);
  if (auto r = refresh_counts(); !r) logged(r.error(), "count");
  auto fresh = load(id);
  if (!fresh) return logged(fresh.error(), "transition");
  if (options_.metrics != nullptr && kind == TimelineKind::kMitigated && !t.was_mitigated) {
    if (auto mttr = mttr_ms(*fresh)) options_.metrics->observe_mttr(*mttr);
  }
  return fresh;
}

Result<Incident> IncidentStore::resolve(std::string_view id, const ResolveRequest& req) {
  std::lock_guard lock(mu_);
  sqlite3* db = db_->get();
  auto txn = Transaction::begin(db);
  if (!txn) return logged(txn.error(), "resolve");
  auto inc = load(id);
  if (!inc) return logged(inc.error(), "resolve");
  if (auto why = check_transition(*inc, TimelineKind::kResolved)) return std::unexpected(*why);
  const int64_t t_now = now();
  const bool was_mitigated = inc->first_time(TimelineKind::kMitigated).has_value();
  TimelineEntry entry{req.time_ms.value_or(t_now),
                      TimelineKind::kResolved,
                      req.actor,
                      req.resolution.empty() ? default_text(TimelineKind::kResolved)
                                             : "resolved: " + req.resolution,
                      nlohmann::json::object(),
                      0};
  auto seq = insert_entry(db, inc->id, entry);
  if (!seq) return logged(seq.error(), "resolve");
  entry.seq = *seq;
  inc->status = Status::kResolved;
  inc->root_cause = req.root_cause;
  inc->resolution = req.resolution;
  inc->lessons_learned = req.lessons_learned;
  inc->action_items = req.action_items;
  if (req.impact) inc->impact = *req.impact;
  inc->updated_ms = t_now;
  if (auto r = update_row(db, *inc); !r) return logged(r.error(), "resolve");
  auto queued_rows = queue_notifications(inc->id, entry, false);
  if (!queued_rows) return logged(queued_rows.error(), "resolve");
  if (auto r = txn->commit(); !r) return logged(r.error(), "resolve");
  queued(*queued_rows);

  if (auto r = refresh_counts(); !r) logged(r.error(), "count");
  auto fresh = load(id);
  if (!fresh) return logged(fresh.error(), "resolve");
  // Never mitigated before: service is restored at resolution, so MTTR is observed now.
  if (options_.metrics != nullptr && !was_mitigated) {
    if (auto mttr = mttr_ms(*fresh)) options_.metrics->observe_mttr(*mttr);
  }
  x0::log::info("INCIDENT", "incident resolved", {{"id", fresh->id}});
  return fresh;
}

namespace {

// One count query; a failure becomes a problem line instead of an error, so verify() reports
// on a damaged database rather than refusing to look at it.
int64_t count_or_note(sqlite3* db, const char* sql, std::vector<std::string>* problems) {
  auto n = detail::query_int(db, sql, "verify");
  if (!n) {
    problems->push_back(n.error().detail);
    return 0;
  }
  return *n;
}

}  // namespace

Result<VerifyReport> IncidentStore::verify() const {
  std::lock_guard lock(mu_);
  sqlite3* db = db_->get();
  VerifyReport rep;
  rep.path = path_;
  auto integrity = Stmt::prepare(db, "PRAGMA integrity_check");
  if (!integrity) return logged(integrity.error(), "verify");
  for (;;) {
    auto row = integrity->step("integrity check");
    if (!row) {
      rep.problems.push_back(row.error().detail);
      break;
    }
    if (!*row) break;
    const std::string line = integrity->text_at(0);
    if (line != "ok") rep.problems.push_back("integrity_check: " + line);
  }
  auto& p = rep.problems;
  rep.schema_version = static_cast<int>(count_or_note(db, "PRAGMA user_version", &p));
  if (rep.schema_version != kSchemaVersion)
    p.push_back("schema version " + std::to_string(rep.schema_version) + ", expected " +
                std::to_string(kSchemaVersion));
  rep.incidents = count_or_note(db, "SELECT COUNT(*) FROM incidents", &p);
  rep.unresolved =
      count_or_note(db, "SELECT COUNT(*) FROM incidents WHERE status <> 'resolved'", &p);
  rep.timeline_entries = count_or_note(db, "SELECT COUNT(*) FROM timeline", &p);
  struct Check {
    const char* sql;
    const char* what;
  };
  static constexpr Check kChecks[] = {
      {"SELECT COUNT(*) FROM timeline t WHERE NOT EXISTS "
       "(SELECT 1 FROM incidents i WHERE i.id = t.incident_id)",
       "timeline entries of a missing incident"},
      {"SELECT COUNT(*) FROM alert_fingerprints f WHERE NOT EXISTS "
       "(SELECT 1 FROM incidents i WHERE i.id = f.incident_id)",
       "alert fingerprints of a missing incident"},
      {"SELECT COUNT(*) FROM incidents WHERE json_valid(affected_services) = 0 OR "
       "json_valid(action_items) = 0",
       "incidents with a malformed JSON column"},
      {"SELECT COUNT(*) FROM timeline WHERE json_valid(fields) = 0",
       "timeline entries with malformed fields"},
      {"SELECT COUNT(*) FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM timeline t "
       "WHERE t.incident_id = i.id AND t.kind = 'detected')",
       "incidents without a detected entry"},
      {"SELECT COUNT(*) FROM incidents i WHERE status = 'resolved' AND NOT EXISTS "
       "(SELECT 1 FROM timeline t WHERE t.incident_id = i.id AND t.kind = 'resolved')",
       "resolved incidents without a resolved entry"},
  };
  for (const auto& c : kChecks) {
    const int64_t n = count_or_note(db, c.sql, &p);
    if (n > 0) p.push_back(std::to_string(n) + " " + c.what);
  }
  rep.ok = p.empty();
  return rep;
}

nlohmann::json to_json(const VerifyReport& r) {
  return {{"ok", r.ok},
          {"path", r.path},
          {"schema_version", r.schema_version},
          {"problems", r.problems},
          {"incidents", r.incidents},
          {"unresolved", r.unresolved},
          {"timeline_entries", r.timeline_entries}};
}

}  // namespace x0::incident
