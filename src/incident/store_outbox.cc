// The notification outbox on the incident store's database (notify/outbox.h). Rows are queued
// by queue_notifications inside the write that records their cause, so an event is notified if
// and only if its timeline entry committed; a kill -9 before the commit loses both, after it
// neither. Each outcome commits with the `notified` entry that records it.
#include <string>
#include <utility>

#include "common/log.h"
#include "incident/incident_store.h"
#include "incident/notify_events.h"
#include "incident/store_rows.h"

namespace x0::incident {

using detail::insert_entry;
using detail::logged;
using detail::Stmt;
using detail::Transaction;

Result<int> IncidentStore::queue_notifications(std::string_view id, const TimelineEntry& entry,
                                               bool opened) {
  if (!options_.plan_notifications) return 0;
  auto kind = event_kind_of(entry, opened);
  if (!kind) return 0;
  auto inc = load(id);  // inside the transaction: sees the entry and the updated row
  if (!inc) return std::unexpected(inc.error());
  const notify::Event event = to_event(*inc, entry, *kind);
  const std::vector<notify::Planned> planned = options_.plan_notifications(event);
  if (planned.empty()) return 0;
  const std::string event_json =
      notify::to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const int64_t t_now = now();
  int queued_rows = 0;
  for (const notify::Planned& p : planned) {
    // OR IGNORE: the same event queued again for a channel (its dedup key) is a no-op.
    auto st = Stmt::prepare(db_->get(),
                            "INSERT OR IGNORE INTO outbox (channel, incident_id, event_kind, "
                            "dedup_key, event, next_attempt_ms, created_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return std::unexpected(st.error());
    st->bind(1, p.channel).bind(2, id).bind(3, notify::to_string(*kind)).bind(4, p.dedup_key);
    st->bind(5, event_json).bind(6, t_now).bind(7, t_now);
    if (auto r = st->run("queue notification"); !r) return std::unexpected(r.error());
    queued_rows += sqlite3_changes(db_->get()) > 0 ? 1 : 0;
  }
  return queued_rows;
}

void IncidentStore::queued(int queued_rows) const {
  if (queued_rows > 0 && options_.notifications_queued) options_.notifications_queued();
}

Result<std::vector<notify::OutboxRow>> IncidentStore::due(const std::string& channel,
                                                          int64_t now_ms, int limit) {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "SELECT o.id, o.channel, o.incident_id, o.dedup_key, o.event, "
                          "o.attempts, o.created_ms FROM outbox o WHERE o.state = 'pending' AND "
                          "o.channel = ? AND o.next_attempt_ms <= ? AND NOT EXISTS (SELECT 1 "
                          "FROM outbox p WHERE p.state = 'pending' AND p.channel = o.channel AND "
                          "p.incident_id = o.incident_id AND p.id < o.id) ORDER BY o.id LIMIT ?");
  if (!st) return logged(st.error(), "outbox due");
  st->bind(1, channel).bind(2, now_ms).bind(3, static_cast<int64_t>(limit));
  std::vector<notify::OutboxRow> out;
  for (;;) {
    auto row = st->step("read outbox");
    if (!row) return logged(row.error(), "outbox due");
    if (!*row) break;
    notify::OutboxRow r;
    r.id = st->int_at(0);
    r.channel = st->text_at(1);
    r.incident_id = st->text_at(2);
    r.dedup_key = st->text_at(3);
    r.event = nlohmann::json::parse(st->text_at(4), nullptr, false);
    r.attempts = static_cast<int>(st->int_at(5));
    r.created_ms = st->int_at(6);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<int64_t>> IncidentStore::next_due_ms(const std::string& channel) {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'pending' AND "
                          "channel = ?");
  if (!st) return logged(st.error(), "outbox next");
  st->bind(1, channel);
  auto row = st->step("read outbox");
  if (!row) return logged(row.error(), "outbox next");
  if (!*row || st->null_at(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(st->int_at(0));
}

Result<std::vector<std::string>> IncidentStore::pending_channels() {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "SELECT DISTINCT channel FROM outbox WHERE state = 'pending' ORDER BY 1");
  if (!st) return logged(st.error(), "outbox channels");
  std::vector<std::string> out;
  for (;;) {
    auto row = st->step("read outbox");
    if (!row) return logged(row.error(), "outbox channels");
    if (!*row) break;
    out.push_back(st->text_at(0));
  }
  return out;
}

Result<int64_t> IncidentStore::pending_count() {
  std::lock_guard lock(mu_);
  auto n = detail::query_int(db_->get(), "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
                             "count outbox");
  if (!n) return logged(n.error(), "outbox count");
  return *n;
}

Result<void> IncidentStore::finish(const notify::OutboxRow& row,
                                   const notify::DeliveryRecord& rec) {
  std::lock_guard lock(mu_);
  sqlite3* db = db_->get();
  auto txn = Transaction::begin(db);
  if (!txn) return logged(txn.error(), "outbox finish");
  auto st = Stmt::prepare(db,
                          "UPDATE outbox SET state = ?, attempts = ?, last_error = ?, "
                          "finished_ms = ? WHERE id = ? AND state = 'pending'");
  if (!st) return logged(st.error(), "outbox finish");
  const bool ok = rec.result == "delivered";
  st->bind(1, ok ? "delivered" : "failed").bind(2, static_cast<int64_t>(rec.attempts));
  st->bind(3, ok ? std::string() : rec.reason).bind(4, rec.time_ms).bind(5, row.id);
  if (auto r = st->run("finish notification"); !r) return logged(r.error(), "outbox finish");
  if (sqlite3_changes(db) == 0) return {};  // finished already: no second entry
  TimelineEntry e;
  e.time_ms = rec.time_ms;
  e.kind = TimelineKind::kNotified;
  e.actor = "system";
  const std::string what =
      rec.event + (rec.grouped > 1 ? ", in a digest of " + std::to_string(rec.grouped) : "");
  e.text = ok ? "notified " + row.channel + " (" + what + ")"
              : "notification to " + row.channel + " (" + what + ") failed: " + rec.reason;
  e.fields = {{"channel", row.channel},   {"event", rec.event},         {"result", rec.result},
              {"attempts", rec.attempts}, {"dedup_key", row.dedup_key}, {"outbox_id", row.id}};
  if (!ok) e.fields["reason"] = rec.reason;
  if (rec.grouped > 1) e.fields["digest_of"] = rec.grouped;
  if (auto r = insert_entry(db, row.incident_id, e); !r) return logged(r.error(), "outbox finish");
  if (auto r = txn->commit(); !r) return logged(r.error(), "outbox finish");
  return {};
}

Result<void> IncidentStore::retry_at(int64_t id, int attempts, int64_t next_ms,
                                     const std::string& reason) {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? "
                          "WHERE id = ? AND state = 'pending'");
  if (!st) return logged(st.error(), "outbox retry");
  st->bind(1, static_cast<int64_t>(attempts)).bind(2, next_ms).bind(3, reason).bind(4, id);
  if (auto r = st->run("reschedule notification"); !r) return logged(r.error(), "outbox retry");
  return {};
}

Result<std::optional<std::string>> IncidentStore::remote_id(const std::string& channel,
                                                            const std::string& incident_id) {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "SELECT remote_id FROM notify_remote WHERE channel = ? AND "
                          "incident_id = ?");
  if (!st) return logged(st.error(), "outbox remote");
  st->bind(1, channel).bind(2, incident_id);
  auto row = st->step("read remote id");
  if (!row) return logged(row.error(), "outbox remote");
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st->text_at(0));
}

Result<void> IncidentStore::set_remote_id(const std::string& channel,
                                          const std::string& incident_id,
                                          const std::string& remote_id) {
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(),
                          "INSERT OR REPLACE INTO notify_remote (channel, incident_id, remote_id) "
                          "VALUES (?, ?, ?)");
  if (!st) return logged(st.error(), "outbox remote");
  st->bind(1, channel).bind(2, incident_id).bind(3, remote_id);
  if (auto r = st->run("store remote id"); !r) return logged(r.error(), "outbox remote");
  return {};
}

}  // namespace x0::incident
