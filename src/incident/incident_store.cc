// IncidentStore: SQLite-backed, one transaction per write, dedup by (rule, target).
// Why synchronous=FULL: in WAL mode NORMAL already survives kill -9 (the WAL is in the page
// cache), but may lose the last commits on power loss or a kernel crash. Incidents are written a
// few times a minute at most, so one fsync per commit costs nothing that matters, and "a write
// that returned success is never lost" then holds for every failure, not only process death.
#include "incident/incident_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include "common/log.h"
#include "incident/incident_metrics.h"
#include "incident/store_rows.h"

namespace x0::incident {

using detail::insert_entry;
using detail::logged;
using detail::not_found;
using detail::query_int;
using detail::Stmt;
using detail::Transaction;
using detail::update_row;

namespace {

Result<void> migrate(sqlite3* db) {
  auto version = query_int(db, "PRAGMA user_version", "read schema version");
  if (!version) return std::unexpected(version.error());
  const auto steps = detail::migrations();
  if (*version > static_cast<int64_t>(steps.size()))
    return fail(Errc::kStoreTooNew, "schema version " + std::to_string(*version) +
                                        " is newer than this binary (" +
                                        std::to_string(steps.size()) + ")");
  for (auto v = static_cast<size_t>(*version); v < steps.size(); ++v) {
    auto txn = Transaction::begin(db);
    if (!txn) return std::unexpected(txn.error());
    auto r = detail::exec(db, steps[v], "migrate schema");
    if (!r) return r;
    const std::string set = "PRAGMA user_version = " + std::to_string(v + 1);
    r = detail::exec(db, set.c_str(), "set schema version");
    if (!r) return r;
    r = txn->commit();
    if (!r) return r;
  }
  return {};
}

Result<void> configure(sqlite3* db, const StoreOptions& options) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  auto mode = Stmt::prepare(db, "PRAGMA journal_mode = WAL");
  if (!mode) return std::unexpected(mode.error());
  auto row = mode->step("enable WAL");
  if (!row) return std::unexpected(row.error());
  if (!*row || mode->text_at(0) != "wal")
    return fail(Errc::kStoreUnavailable, "cannot enable WAL journal mode");
  for (const char* sql : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    auto r = detail::exec(db, sql, sql);
    if (!r) return r;
  }
  if (options.max_bytes > 0) {
    auto page = query_int(db, "PRAGMA page_size", "read page size");
    if (!page) return std::unexpected(page.error());
    const int64_t pages = std::max<int64_t>(1, options.max_bytes / std::max<int64_t>(1, *page));
    const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
    auto r = detail::exec(db, sql.c_str(), "set size cap");
    if (!r) return r;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<IncidentStore>> IncidentStore::open(const std::string& path,
                                                           StoreOptions options) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return logged(Error{Errc::kStoreUnavailable,
                        "incident store directory " + dir.string() + " does not exist"},
                  "open");
  if (!fs::is_directory(dir, ec))
    return logged(Error{Errc::kStoreUnavailable, dir.string() + " is not a directory"}, "open");

  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<Db>(Db{detail::DbHandle(raw)});
  if (rc != SQLITE_OK) {
    Error e = detail::sql_error(raw, rc, "open " + path);
    e.detail += "; is the directory writable by this user?";
    return logged(std::move(e), "open");
  }
  if (sqlite3_db_readonly(raw, "main") == 1)
    return logged(Error{Errc::kStoreUnavailable, path + " can only be opened read-only"}, "open");
  if (auto r = configure(raw, options); !r) {
    Error e = r.error();
    e.detail = path + ": " + e.detail;
    return logged(std::move(e), "open");
  }
  if (auto r = migrate(raw); !r) {
    Error e = r.error();
    e.detail = path + ": " + e.detail;
    return logged(std::move(e), "migrate");
  }
  if (!options.clock_ms) {
    options.clock_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<IncidentStore> store(new IncidentStore(path, std::move(options), std::move(db)));
  {
    // A failure here (a damaged page) is logged, not fatal: the store stays open so verify()
    // can report what is wrong, and reads of intact incidents still work.
    std::lock_guard lock(store->mu_);
    if (auto r = store->refresh_counts(); !r) logged(r.error(), "open");
  }
  return store;
}

IncidentStore::IncidentStore(std::string path, StoreOptions options, std::unique_ptr<Db> db)
    : path_(std::move(path)), options_(std::move(options)), db_(std::move(db)) {}

IncidentStore::~IncidentStore() = default;

int64_t IncidentStore::now() const { return options_.clock_ms(); }

Result<Incident> IncidentStore::load(std::string_view id) const {
  sqlite3* db = db_->get();
  auto st = Stmt::prepare(
      db, "SELECT " + std::string(detail::kIncidentColumns) + " FROM incidents WHERE id = ?");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  auto row = st->step("read incident");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(not_found(id));
  auto inc = detail::decode_incident(*st);
  if (!inc) return inc;
  auto tl = Stmt::prepare(db,
                          "SELECT seq, time_ms, kind, actor, text, fields FROM timeline "
                          "WHERE incident_id = ? ORDER BY time_ms, seq");
  if (!tl) return std::unexpected(tl.error());
  tl->bind(1, id);
  for (;;) {
    auto more = tl->step("read timeline");
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    auto entry = detail::decode_entry(*tl);
    if (!entry) return std::unexpected(entry.error());
    inc->timeline.push_back(std::move(*entry));
  }
  return inc;
}

Result<void> IncidentStore::refresh_counts() const {
  auto st = Stmt::prepare(db_->get(),
                          "SELECT severity, COUNT(*) FROM incidents WHERE status <> 'resolved' "
                          "GROUP BY severity");
  if (!st) return std::unexpected(st.error());
  OpenCounts counts{};
  for (;;) {
    auto row = st->step("count open incidents");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const int64_t sev = st->int_at(0);
    if (sev >= 1 && sev <= kSeverityCount) counts[static_cast<size_t>(sev - 1)] = st->int_at(1);
  }
  for (size_t i = 0; i < counts.size(); ++i)
    cached_open_[i].store(counts[i], std::memory_order_relaxed);
  if (options_.metrics != nullptr) options_.metrics->set_open_counts(counts);
  return {};
}

Result<OpenOutcome> IncidentStore::open_incident(const OpenRequest& req) {
  if (req.title.empty()) return fail(Errc::kBadRequest, "title is required");
  std::lock_guard lock(mu_);
  const int64_t t_now = now();
  const int64_t detected = req.detected_ms.value_or(t_now);
  if (req.first_anomalous_ms && *req.first_anomalous_ms > detected)
    return fail(Errc::kBadRequest, "first anomalous sample is later than detection");
  sqlite3* db = db_->get();
  const std::string& fingerprint = req.alert_fingerprint;
  if (!fingerprint.empty()) {
    // A repeat is answered from a read, before the write lock: it holds while another writer
    // (the CLI) has the database, and costs no fsync.
    auto seen = detail::find_alert(db, fingerprint);
    if (!seen) return logged(seen.error(), "open_incident");
    if (*seen && (*seen)->firing) return repeat_of((*seen)->incident_id);
  }
  auto txn = Transaction::begin(db);
  if (!txn) return logged(txn.error(), "open_incident");

  std::string existing;
  if (!fingerprint.empty()) {
    // Again under the write lock (another process may have written since the read).
    auto seen = detail::find_alert(db, fingerprint);
    if (!seen) return logged(seen.error(), "open_incident");
    if (*seen && (*seen)->firing) return repeat_of((*seen)->incident_id);
    // It resolved on that incident and fires again: the condition is back there.
    if (*seen) existing = (*seen)->incident_id;
  }
  if (existing.empty() && !req.rule.empty()) {
    auto st = Stmt::prepare(db,
                            "SELECT id FROM incidents WHERE rule = ? AND target = ? AND "
                            "status <> 'resolved'");
    if (!st) return logged(st.error(), "open_incident");
    st->bind(1, req.rule).bind(2, req.target);
    auto row = st->step("find incident to join");
    if (!row) return logged(row.error(), "open_incident");
    if (*row) existing = st->text_at(0);
  }

  std::optional<TimelineEntry> raised;  // a join's severity escalation (an event)
  TimelineEntry detected_entry{detected,   TimelineKind::kDetected,
                               req.actor,  req.text.empty() ? req.title : req.text,
                               req.fields, 0};
  Incident inc;
  if (!existing.empty()) {
    auto loaded = load(existing);
    if (!loaded) return logged(loaded.error(), "open_incident");
    inc = std::move(*loaded);
    detected_entry.fields["joined"] = true;
    if (auto r = insert_entry(db, inc.id, detected_entry); !r) return logged(r.error(), "join");
    for (const auto& s : req.affected_services)
      if (std::find(inc.affected_services.begin(), inc.affected_services.end(), s) ==
          inc.affected_services.end())
        inc.affected_services.push_back(s);
    if (req.severity < inc.severity) {
      TimelineEntry esc{t_now,
                        TimelineKind::kEscalated,
                        req.actor,
                        "severity raised by a new detection",
                        {{"from", to_string(inc.severity)}, {"to", to_string(req.severity)}},
                        0};
      inc.severity = req.severity;
      auto seq = insert_entry(db, inc.id, esc);
      if (!seq) return logged(seq.error(), "join");
      esc.seq = *seq;
      raised = esc;
    }
    if (inc.status == Status::kMitigated) {
      // The condition is back: "mitigated" would tell the on-call engineer it is over.
      inc.status =
          inc.first_time(TimelineKind::kAcknowledged) ? Status::kAcknowledged : Status::kOpen;
      TimelineEntry back{t_now,
                         TimelineKind::kUpdate,
                         req.actor,
                         "re-opened: the condition is back after it was mitigated",
                         nlohmann::json::object(),
                         0};
      if (auto r = insert_entry(db, inc.id, back); !r) return logged(r.error(), "join");
    }
    inc.updated_ms = t_now;
    if (auto r = update_row(db, inc); !r) return logged(r.error(), "join");
  } else {
    const std::string day = utc_day(t_now);
    auto seq_st = Stmt::prepare(db,
                                "SELECT COALESCE(MAX(day_seq), 0) + 1 FROM incidents "
                                "WHERE day = ?");
    if (!seq_st) return logged(seq_st.error(), "open_incident");
    seq_st->bind(1, day);
    if (auto row = seq_st->step("next incident number"); !row) return logged(row.error(), "open");
    const int64_t seq = seq_st->int_at(0);
    inc.id = make_incident_id(t_now, seq);
    auto st = Stmt::prepare(db,
                            "INSERT INTO incidents (id, day, day_seq, title, severity, status, "
                            "detection, rule, target, affected_services, impact, created_ms, "
                            "updated_ms) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return logged(st.error(), "open_incident");
    st->bind(1, inc.id).bind(2, day).bind(3, seq).bind(4, req.title);
    st->bind(5, static_cast<int64_t>(req.severity)).bind(6, to_string(req.detection));
    st->bind(7, req.rule).bind(8, req.target);
    st->bind(9, detail::strings_to_json(req.affected_services)).bind(10, req.impact);
    st->bind(11, t_now).bind(12, t_now);
    if (auto r = st->run("insert incident"); !r) return logged(r.error(), "open_incident");
    if (req.first_anomalous_ms) {
      TimelineEntry first{*req.first_anomalous_ms,
                          TimelineKind::kFirstAnomalousSample,
                          req.actor,
                          "first anomalous sample",
                          nlohmann::json::object(),
                          0};
      if (auto r = insert_entry(db, inc.id, first); !r) return logged(r.error(), "open");
    }
    auto entry_seq = insert_entry(db, inc.id, detected_entry);
    if (!entry_seq) return logged(entry_seq.error(), "open");
    detected_entry.seq = *entry_seq;
  }
  const bool opened = existing.empty();
  if (!fingerprint.empty()) {
    if (auto r = detail::attach_alert(db, inc.id, fingerprint, req.alert_group_key, t_now); !r)
      return logged(r.error(), "open_incident");
  }
  int queued_rows = 0;
  if (opened || raised) {
    auto n = queue_notifications(inc.id, opened ? detected_entry : *raised, opened);
    if (!n) return logged(n.error(), "open_incident");
    queued_rows = *n;
  }
  if (auto r = txn->commit(); !r) return logged(r.error(), "open_incident");
  queued(queued_rows);

  const bool joined = !existing.empty();
  auto fresh = load(inc.id);
  if (auto r = refresh_counts(); !r) logged(r.error(), "count");
  if (!fresh) return logged(fresh.error(), "open_incident");
  if (options_.metrics != nullptr && !joined) {
    options_.metrics->on_opened(fresh->severity);
    if (auto mttd = mttd_ms(*fresh)) options_.metrics->observe_mttd(*mttd);
  }
  x0::log::info("INCIDENT", joined ? "incident joined" : "incident opened",
                {{"id", fresh->id},
                 {"severity", to_string(fresh->severity)},
                 {"rule", fresh->rule},
                 {"target", fresh->target}});
  return OpenOutcome{std::move(*fresh), joined};
}

Result<Incident> IncidentStore::get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto inc = load(id);
  if (!inc && inc.error().code != Errc::kNotFound) return logged(inc.error(), "get");
  return inc;
}

Result<std::vector<Incident>> IncidentStore::list(const ListFilter& filter) const {
  std::string sql = "SELECT id FROM incidents WHERE 1 = 1";
  if (filter.status) sql += " AND status = ?";
  if (filter.severity) sql += " AND severity = ?";
  if (filter.unresolved_only) sql += " AND status <> 'resolved'";
  sql += " ORDER BY created_ms DESC, rowid DESC LIMIT ?";
  std::lock_guard lock(mu_);
  auto st = Stmt::prepare(db_->get(), sql);
  if (!st) return logged(st.error(), "list");
  int i = 1;
  if (filter.status) st->bind(i++, to_string(*filter.status));
  if (filter.severity) st->bind(i++, static_cast<int64_t>(*filter.severity));
  st->bind(i, static_cast<int64_t>(filter.limit > 0 ? filter.limit : 100));
  std::vector<Incident> out;
  for (;;) {
    auto row = st->step("list incidents");
    if (!row) return logged(row.error(), "list");
    if (!*row) break;
    auto inc = load(st->text_at(0));
    if (!inc) return logged(inc.error(), "list");
    if (!filter.with_timeline) inc->timeline.clear();
    out.push_back(std::move(*inc));
  }
  return out;
}

Result<OpenCounts> IncidentStore::open_counts() const {
  std::lock_guard lock(mu_);
  if (auto r = refresh_counts(); !r) return logged(r.error(), "open_counts");
  return open_counts_cached();
}

OpenCounts IncidentStore::open_counts_cached() const {
  OpenCounts out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = cached_open_[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace x0::incident
