// Durable incident store: one SQLite database in WAL mode with synchronous=FULL, so a write
// that returned success is on disk (survives kill -9 and power loss). Every write is one
// transaction. Schema versioned by PRAGMA user_version; migrations run at open, idempotently.
// Thread-safety: every method locks an internal mutex, so any thread may call it; calls block
// on disk I/O, so keep them off the worker threads (the node calls from one background thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "incident/incident.h"
#include "incident/uptime.h"
#include "notify/outbox.h"

struct sqlite3;

namespace x0::incident {

class IncidentMetrics;

struct StoreOptions {
  int64_t max_bytes = 0;                // 0: no cap; else writes past it fail with "store_full"
  int busy_timeout_ms = 5000;           // another process (the CLI) holding the write lock
  std::function<int64_t()> clock_ms{};  // unix ms; default: system clock
  IncidentMetrics* metrics = nullptr;   // fed after each committed write; not owned
  // Notifications (notify/outbox.h). Called inside the transaction of each entry that is an
  // event (incident/notify_events.h), with the store's lock held: it must only decide (which
  // channels take the event), never call back into the store or wait. Each Planned becomes an
  // outbox row that commits or rolls back with the entry.
  std::function<std::vector<notify::Planned>(const notify::Event&)> plan_notifications{};
  // After a commit that queued rows (wakes the delivery thread); same rules as above.
  std::function<void()> notifications_queued{};
};

struct OpenOutcome {
  Incident incident;
  bool joined = false;  // an unresolved incident with the same rule+target already existed
  bool repeat = false;  // the request's alert fingerprint was already firing on it: no write
};

// An alert Alertmanager says has resolved (resolve_alert).
struct AlertResolution {
  std::string fingerprint{};  // the alert's; empty for senders that do not send one
  std::string rule{};         // with target: the incident when there is no fingerprint to go by
  std::string target{};
  std::string group_key{};
  std::optional<int64_t> ends_ms{};  // Alertmanager's endsAt; not used when before the start
  std::string actor = "alertmanager";
  std::string text{};  // the timeline entry's text
};

enum class AlertResolvedAs {
  kUnknown,    // no unresolved incident has this alert: nothing written
  kMitigated,  // its last firing alert: the incident is mitigated
  kNoted,      // an update entry: other alerts still fire, or the incident was mitigated already
  kRepeat,     // this alert's resolution was recorded already: nothing written
};

struct AlertResolvedOutcome {
  AlertResolvedAs as = AlertResolvedAs::kUnknown;
  std::string incident_id{};
  int64_t still_firing = 0;  // the incident's other alerts not resolved yet
};

struct ListFilter {
  std::optional<Status> status{};
  std::optional<Severity> severity{};
  bool unresolved_only = false;
  int limit = 100;  // newest first; <= 0 means 100
  bool with_timeline = true;
};

// Result of verify(), for POST /admin/data/verify.
struct VerifyReport {
  bool ok = false;
  std::string path;
  int schema_version = 0;
  std::vector<std::string> problems;  // integrity_check lines and consistency findings
  int64_t incidents = 0;
  int64_t unresolved = 0;
  int64_t timeline_entries = 0;
};
nlohmann::json to_json(const VerifyReport& report);

// Error codes: "not_found", "invalid_transition" (HTTP 409), "bad_request",
// "store_unavailable" (missing/read-only directory or file), "store_full", "store_corrupt",
// "store_busy", "store_too_new" (schema newer than this binary), "store_error".
// It is also the notification outbox (notify::Outbox, store_outbox.cc): the same database, so
// a notification commits with its cause.
class IncidentStore final : public notify::Outbox {
 public:
  static constexpr int kSchemaVersion = 4;

  // Opens or creates the database file at path (its directory must exist and be writable).
  static Result<std::unique_ptr<IncidentStore>> open(const std::string& path,
                                                     StoreOptions options = {});
  ~IncidentStore() override;
  IncidentStore(const IncidentStore&) = delete;
  IncidentStore& operator=(const IncidentStore&) = delete;

  // Opens a new incident, or joins the unresolved one with the same non-empty rule and target:
  // then a "detected" entry is appended, services are merged, and a worse severity escalates
  // the incident (with an "escalated" entry). With an alert fingerprint (store_alerts.cc): one
  // still firing on an unresolved incident is a repeat (nothing written, answered from a read);
  // one that resolved there and fires again joins that incident; a new one is attached to the
  // incident opened or joined, in the same transaction.
  Result<OpenOutcome> open_incident(const OpenRequest& request);
  // Alertmanager's "resolved" (store_alerts.cc): the unresolved incident the fingerprint is
  // attached to (an indexed lookup over all of them), else, for an alert without one or an
  // incident that has none attached (opened before they were recorded), the unresolved incident
  // of its rule and target. Mitigates it when no other attached alert still fires.
  Result<AlertResolvedOutcome> resolve_alert(const AlertResolution& resolution);
  Result<Incident> get(std::string_view id) const;
  Result<std::vector<Incident>> list(const ListFilter& filter = {}) const;

  // Free-form timeline entries (action_taken, notified, escalated, update, ...). The kinds that
  // change status (acknowledged, mitigated, resolved) are refused: use the calls below. A
  // time_ms <= 0 means now. After resolution only notified and escalated entries are taken.
  Result<Incident> append(std::string_view id, TimelineEntry entry);
  // open -> acknowledged; on a mitigated incident only records the entry. Refused when already
  // acknowledged or resolved.
  Result<Incident> acknowledge(std::string_view id, const Note& note);
  Result<Incident> add_update(std::string_view id, const Note& note);     // refused if resolved
  Result<Incident> set_mitigated(std::string_view id, const Note& note);  // open/acknowledged
  Result<Incident> resolve(std::string_view id, const ResolveRequest& request);

  Result<OpenCounts> open_counts() const;  // from the database
  OpenCounts open_counts_cached() const;   // as of the last committed write; lock-free
  // PRAGMA integrity_check, foreign keys, JSON columns and timeline consistency, plus counts.
  Result<VerifyReport> verify() const;
  const std::string& path() const { return path_; }

  // The status page's uptime history (store_uptime.cc). Adds each sample to its component's
  // row of now's UTC day and drops rows older than kUptimeKeepDays, in one transaction; at
  // most kMaxUptimeComponents samples, ids cut to kMaxComponentIdBytes.
  Result<void> record_uptime(const std::vector<UptimeSample>& samples);
  // Every component's rows of the last `days` UTC days, today included.
  Result<std::vector<UptimeDay>> uptime_history(int days = kUptimeDays) const;

  // notify::Outbox (store_outbox.cc); any thread, the delivery thread in practice.
  Result<std::vector<notify::OutboxRow>> due(const std::string& channel, int64_t now_ms,
                                             int limit) override;
  Result<std::optional<int64_t>> next_due_ms(const std::string& channel) override;
  Result<std::vector<std::string>> pending_channels() override;
  Result<int64_t> pending_count() override;
  Result<void> finish(const notify::OutboxRow& row, const notify::DeliveryRecord& record) override;
  Result<void> retry_at(int64_t id, int attempts, int64_t next_ms,
                        const std::string& reason) override;
  Result<std::optional<std::string>> remote_id(const std::string& channel,
                                               const std::string& incident_id) override;
  Result<void> set_remote_id(const std::string& channel, const std::string& incident_id,
                             const std::string& remote_id) override;

 private:
  struct Db;
  IncidentStore(std::string path, StoreOptions options, std::unique_ptr<Db> db);
  int64_t now() const;
  Result<Incident> load(std::string_view id) const;
  Result<Incident> transition(std::string_view id, TimelineKind kind, const Note& note);
  // transition()'s two halves, with the lock held: the writes inside the caller's transaction,
  // then, after its commit, the wake-up, counts and metrics.
  struct Transitioned {
    int queued_rows = 0;
    bool was_mitigated = false;
  };
  Result<Transitioned> write_transition(std::string_view id, TimelineKind kind, const Note& note);
  Result<Incident> after_transition(std::string_view id, TimelineKind kind, const Transitioned& t);
  // open_incident's answer to a repeat of a firing alert.
  Result<OpenOutcome> repeat_of(const std::string& incident_id) const;
  // Inside a write's transaction, after `entry` (with its seq) was inserted and the row
  // updated: queues the event the entry is, if any, for every channel that takes it. Returns
  // how many rows were queued.
  Result<int> queue_notifications(std::string_view id, const TimelineEntry& entry, bool opened);
  // After the commit: wakes the delivery when `queued` > 0.
  void queued(int queued) const;
  // Re-reads the open counts into cached_open_ and the metrics; called after each commit.
  Result<void> refresh_counts() const;

  std::string path_;
  StoreOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<Db> db_;
  mutable std::array<std::atomic<int64_t>, kSeverityCount> cached_open_{};
};

}  // namespace x0::incident
