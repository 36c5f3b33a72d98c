// The status page's uptime history on the incident store's database (incident/uptime.h): one
// row per component and UTC day counting samples per state. A sample is one upsert per
// component in one transaction (one fsync a minute); the same transaction drops rows past the
// window, so the table's size is bounded by the number of components, not by time.
#include <algorithm>
#include <string>

#include "common/log.h"
#include "incident/incident_store.h"
#include "incident/store_rows.h"

namespace x0::incident {

using detail::logged;
using detail::Stmt;
using detail::Transaction;

namespace {

constexpr int64_t kDayMs = 86'400'000;

// The upsert for one state's column (column names cannot be bound).
std::string upsert_sql(ComponentStatus s) {
  const std::string column(to_string(s));
  return "INSERT INTO uptime_days (component, date, " + column +
         ") VALUES (?, ?, 1) ON CONFLICT (component, date) DO UPDATE SET " + column + " = " +
         column + " + 1";
}

// At most max bytes, never cutting a UTF-8 sequence.
std::string clip(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

Result<void> IncidentStore::record_uptime(const std::vector<UptimeSample>& samples) {
  if (samples.size() > kMaxUptimeComponents) {
    x0::log::warn("INCIDENT", "uptime sample cut to the component limit",
                  {{"components", samples.size()}, {"limit", kMaxUptimeComponents}});
  }
  std::lock_guard lock(mu_);
  const int64_t t_now = now();
  const std::string today = utc_date(t_now);
  const std::string cutoff = utc_date(t_now - (kUptimeKeepDays - 1) * kDayMs);
  sqlite3* db = db_->get();
  auto txn = Transaction::begin(db);
  if (!txn) return logged(txn.error(), "record_uptime");
  size_t n = 0;
  for (const UptimeSample& sample : samples) {
    if (n++ == kMaxUptimeComponents) break;
    auto st = Stmt::prepare(db, upsert_sql(sample.status));
    if (!st) return logged(st.error(), "record_uptime");
    st->bind(1, clip(sample.component, kMaxComponentIdBytes)).bind(2, today);
    if (auto r = st->run("record uptime sample"); !r) return logged(r.error(), "record_uptime");
  }
  auto prune = Stmt::prepare(db, "DELETE FROM uptime_days WHERE date < ?");
  if (!prune) return logged(prune.error(), "record_uptime");
  prune->bind(1, cutoff);
  if (auto r = prune->run("prune uptime history"); !r) return logged(r.error(), "record_uptime");
  if (auto r = txn->commit(); !r) return logged(r.error(), "record_uptime");
  return {};
}

Result<std::vector<UptimeDay>> IncidentStore::uptime_history(int days) const {
  std::lock_guard lock(mu_);
  const int64_t t_now = now();
  const std::string first = utc_date(t_now - (std::max(days, 1) - 1) * kDayMs);
  auto st = Stmt::prepare(db_->get(),
                          "SELECT component, date, operational, degraded_performance, "
                          "partial_outage, major_outage FROM uptime_days WHERE date >= ? "
                          "ORDER BY component, date");
  if (!st) return logged(st.error(), "uptime_history");
  st->bind(1, first);
  std::vector<UptimeDay> out;
  for (;;) {
    auto row = st->step("read uptime history");
    if (!row) return logged(row.error(), "uptime_history");
    if (!*row) break;
    UptimeDay day{st->text_at(0), st->text_at(1)};
    for (size_t i = 0; i < day.samples.size(); ++i)
      day.samples[i] = st->int_at(static_cast<int>(i) + 2);
    out.push_back(std::move(day));
  }
  return out;
}

}  // namespace x0::incident
