// SQLite RAII helpers and error mapping for the incident store (see sqlite_db.h).
#include "incident/sqlite_db.h"

#include <string>

#include "common/log.h"

namespace x0::incident::detail {

Error sql_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  Errc code;
  switch (primary) {
    case SQLITE_FULL:
      code = Errc::kStoreFull;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = Errc::kStoreCorrupt;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = Errc::kStoreUnavailable;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Errc::kStoreBusy;
      break;
    default:
      code = Errc::kStoreError;
      break;
  }
  std::string detail(what);
  detail += ": ";
  detail += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  detail += " (sqlite code " + std::to_string(rc) + ")";
  return Error{code, std::move(detail)};
}

Result<void> exec(sqlite3* db, const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sql_error(db, rc, what));
  return {};
}

Result<Stmt> Stmt::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return std::unexpected(sql_error(db, rc, "prepare"));
  }
  return Stmt(db, st);
}

Stmt& Stmt::bind(int index, std::string_view text) {
  sqlite3_bind_text64(st_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind(int index, int64_t value) {
  sqlite3_bind_int64(st_.get(), index, value);
  return *this;
}
Stmt& Stmt::bind_null(int index) {
  sqlite3_bind_null(st_.get(), index);
  return *this;
}

Result<bool> Stmt::step(std::string_view what) {
  const int rc = sqlite3_step(st_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(sql_error(db_, rc, what));
}

Result<void> Stmt::run(std::string_view what) {
  for (;;) {
    auto r = step(what);
    if (!r) return std::unexpected(r.error());
    if (!*r) return {};
  }
}

std::string Stmt::text_at(int col) const {
  const auto* p = sqlite3_column_text(st_.get(), col);
  const int n = sqlite3_column_bytes(st_.get(), col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Result<Transaction> Transaction::begin(sqlite3* db) {
  auto r = exec(db, "BEGIN IMMEDIATE", "begin transaction");
  if (!r) return std::unexpected(r.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  // After some errors (SQLITE_FULL, IOERR) SQLite has already rolled back; then this is a no-op.
  if (sqlite3_get_autocommit(db_) == 0) {
    const int rc = sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
      x0::log::error("INCIDENT", "rollback failed", {{"error", sqlite3_errmsg(db_)}});
  }
}

Result<void> Transaction::commit() {
  auto r = exec(db_, "COMMIT", "commit");
  if (!r) return r;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace x0::incident::detail
