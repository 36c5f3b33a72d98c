// Alertmanager's alerts on the incident store: fingerprints attached to incidents (table
// alert_fingerprints, schema version 3) and resolve_alert(). Every lookup is by an index (the
// fingerprint's primary key, the unique (rule, target) index of unresolved incidents), so an
// alert resolves whatever the number of unresolved incidents, and a repeated notification is
// answered from a read without taking the write lock.
#include <string>
#include <utility>

#include "common/log.h"
#include "incident/incident_store.h"
#include "incident/store_rows.h"

namespace x0::incident {

using detail::logged;
using detail::Stmt;
using detail::Transaction;

namespace detail {

Result<std::optional<AttachedAlert>> find_alert(sqlite3* db, std::string_view fingerprint) {
  auto st =
      Stmt::prepare(db,
                    "SELECT f.incident_id, f.state FROM alert_fingerprints f JOIN incidents i "
                    "ON i.id = f.incident_id WHERE f.fingerprint = ? AND "
                    "i.status <> 'resolved' ORDER BY f.updated_ms DESC LIMIT 1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, fingerprint);
  auto row = st->step("find alert by fingerprint");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AttachedAlert>{};
  return AttachedAlert{st->text_at(0), st->text_at(1) == "firing"};
}

Result<void> attach_alert(sqlite3* db, std::string_view incident_id, std::string_view fingerprint,
                          std::string_view group_key, int64_t now_ms) {
  auto st = Stmt::prepare(db,
                          "INSERT INTO alert_fingerprints (fingerprint, incident_id, state, "
                          "group_key, created_ms, updated_ms) VALUES (?, ?, 'firing', ?, ?, ?) "
                          "ON CONFLICT (fingerprint, incident_id) DO UPDATE SET state = 'firing', "
                          "group_key = excluded.group_key, updated_ms = excluded.updated_ms");
  if (!st) return std::unexpected(st.error());
  st->bind(1, fingerprint).bind(2, incident_id).bind(3, group_key).bind(4, now_ms).bind(5, now_ms);
  return st->run("attach alert fingerprint");
}

}  // namespace detail

namespace {

// Where a resolution goes, found by reads only: the incident, and whether this alert's
// resolution is already recorded there.
struct ResolutionTarget {
  std::string incident_id{};
  bool by_fingerprint = false;  // the fingerprint is attached to it (else rule and target)
  bool already_recorded = false;
};

Result<int64_t> count_firing(sqlite3* db, std::string_view incident_id) {
  auto st = Stmt::prepare(db,
                          "SELECT COUNT(*) FROM alert_fingerprints WHERE incident_id = ? AND "
                          "state = 'firing'");
  if (!st) return std::unexpected(st.error());
  st->bind(1, incident_id);
  auto row = st->step("count firing alerts");
  if (!row) return std::unexpected(row.error());
  return st->int_at(0);
}

// The unresolved incident of rule and target (the unique index incidents_unresolved_rule),
// when no fingerprint is attached to it: one with fingerprints resolves by them only.
Result<std::string> legacy_incident(sqlite3* db, const AlertResolution& r) {
  if (r.rule.empty()) return std::string();
  auto st = Stmt::prepare(db,
                          "SELECT i.id FROM incidents i WHERE i.rule = ? AND i.target = ? AND "
                          "i.status <> 'resolved' AND NOT EXISTS (SELECT 1 FROM "
                          "alert_fingerprints f WHERE f.incident_id = i.id)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, r.rule).bind(2, r.target);
  auto row = st->step("find incident of rule and target");
  if (!row) return std::unexpected(row.error());
  return *row ? st->text_at(0) : std::string();
}

// An alert without a fingerprint has no state of its own: its resolution is recorded when
// the incident is mitigated and has an alert-resolution entry after its last detection.
bool resolution_noted(const Incident& inc) {
  int64_t last_detected = -1;
  int64_t last_noted = -1;
  for (const auto& e : inc.timeline) {
    if (e.kind == TimelineKind::kDetected) last_detected = std::max(last_detected, e.seq);
    if (e.fields.is_object() && e.fields.value("alert", "") == "resolved")
      last_noted = std::max(last_noted, e.seq);
  }
  return inc.status == Status::kMitigated && last_noted > last_detected;
}

}  // namespace

Result<OpenOutcome> IncidentStore::repeat_of(const std::string& incident_id) const {
  auto inc = load(incident_id);
  if (!inc) return logged(inc.error(), "open_incident");
  return OpenOutcome{std::move(*inc), true, true};
}

Result<AlertResolvedOutcome> IncidentStore::resolve_alert(const AlertResolution& r) {
  std::lock_guard lock(mu_);
  sqlite3* db = db_->get();
  // Reads only, so a repeat or an unknown alert needs no write lock; called again under it.
  auto find = [&]() -> Result<ResolutionTarget> {
    ResolutionTarget t;
    if (!r.fingerprint.empty()) {
      auto seen = detail::find_alert(db, r.fingerprint);
      if (!seen) return std::unexpected(seen.error());
      if (*seen) return ResolutionTarget{(*seen)->incident_id, true, !(*seen)->firing};
    }
    auto legacy = legacy_incident(db, r);
    if (!legacy) return std::unexpected(legacy.error());
    t.incident_id = *legacy;
    if (t.incident_id.empty()) return t;
    auto inc = load(t.incident_id);
    if (!inc) return std::unexpected(inc.error());
    t.already_recorded = resolution_noted(*inc);
    return t;
  };
  auto answer = [](const ResolutionTarget& t) {
    return AlertResolvedOutcome{
        t.incident_id.empty() ? AlertResolvedAs::kUnknown : AlertResolvedAs::kRepeat, t.incident_id,
        0};
  };
  auto target = find();
  if (!target) return logged(target.error(), "resolve_alert");
  if (target->incident_id.empty() || target->already_recorded) return answer(*target);

  auto txn = Transaction::begin(db);
  if (!txn) return logged(txn.error(), "resolve_alert");
  target = find();
  if (!target) return logged(target.error(), "resolve_alert");
  if (target->incident_id.empty() || target->already_recorded) return answer(*target);
  const std::string& id = target->incident_id;
  if (target->by_fingerprint) {
    auto st = Stmt::prepare(db,
                            "UPDATE alert_fingerprints SET state = 'resolved', updated_ms = ? "
                            "WHERE fingerprint = ? AND incident_id = ?");
    if (!st) return logged(st.error(), "resolve_alert");
    st->bind(1, now()).bind(2, r.fingerprint).bind(3, id);
    if (auto done = st->run("resolve alert fingerprint"); !done)
      return logged(done.error(), "resolve_alert");
  }
  auto firing = count_firing(db, id);
  if (!firing) return logged(firing.error(), "resolve_alert");
  auto inc = load(id);
  if (!inc) return logged(inc.error(), "resolve_alert");

  // The condition cleared: mitigated, as the autopilot marks its own incidents once its action
  // worked; resolving (root cause, resolution) stays the on-call's. While another of its alerts
  // still fires, or once it is mitigated already, the resolution is a note.
  Note note{r.actor, r.text, std::nullopt, {{"alert", "resolved"}}};
  if (!r.fingerprint.empty()) note.fields["fingerprint"] = r.fingerprint;
  if (!r.group_key.empty()) note.fields["group_key"] = r.group_key;
  // Recovered when Alertmanager says it did (endsAt), so MTTR ends there.
  if (r.ends_ms && *r.ends_ms >= inc->start_ms()) note.time_ms = *r.ends_ms;
  const bool mitigate = *firing == 0 && inc->status != Status::kMitigated;
  if (*firing > 0) {
    note.text += "; " + std::to_string(*firing) + " other alert" + (*firing == 1 ? "" : "s") +
                 " of this incident still firing";
    note.fields["still_firing"] = *firing;
  }
  const TimelineKind kind = mitigate ? TimelineKind::kMitigated : TimelineKind::kUpdate;
  auto written = write_transition(id, kind, note);
  if (!written) return std::unexpected(written.error());
  if (auto done = txn->commit(); !done) return logged(done.error(), "resolve_alert");
  auto fresh = after_transition(id, kind, *written);
  if (!fresh) return std::unexpected(fresh.error());
  x0::log::info("INCIDENT", mitigate ? "alert resolved: incident mitigated" : "alert resolved",
                {{"id", id}, {"fingerprint", r.fingerprint}});
  return AlertResolvedOutcome{mitigate ? AlertResolvedAs::kMitigated : AlertResolvedAs::kNoted, id,
                              *firing};
}

}  // namespace x0::incident
