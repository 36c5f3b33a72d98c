// Internal to the incident module: RAII for SQLite handles and statements, SQLite result codes
// turned into x0::Error with the module's codes, and a transaction guard that rolls back unless
// committed. Not a general-purpose wrapper: only what incident_store.cc needs.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace x0::incident::detail {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbClose>;

// The module's error for a failed SQLite call: store_full, store_corrupt, store_unavailable,
// store_busy or store_error, with SQLite's message and what we were doing.
Error sql_error(sqlite3* db, int rc, std::string_view what);

Result<void> exec(sqlite3* db, const char* sql, std::string_view what);

class Stmt {
 public:
  static Result<Stmt> prepare(sqlite3* db, std::string_view sql);
  Stmt(Stmt&&) noexcept = default;
  Stmt& operator=(Stmt&&) noexcept = default;

  // Binds are 1-based, in order.
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, int64_t value);
  Stmt& bind_null(int index);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
  Result<bool> step(std::string_view what);
  Result<void> run(std::string_view what);  // step to completion, expecting no row

  int64_t int_at(int col) const { return sqlite3_column_int64(st_.get(), col); }
  std::string text_at(int col) const;
  bool null_at(int col) const { return sqlite3_column_type(st_.get(), col) == SQLITE_NULL; }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Stmt(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> st_;
};

// BEGIN IMMEDIATE on construction (take the write lock up front, so a transaction never fails
// half-way on lock upgrade); ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(sqlite3* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or rolled back
};

}  // namespace x0::incident::detail
