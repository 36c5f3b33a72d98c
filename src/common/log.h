// One line per event: "2026-11-24T15:00:00.123Z LEVEL CATEGORY message key=value ...".
// Runbooks grep ERROR, PQC, SECURITY and AUDIT: the level and category words appear only on the
// lines they concern. Thread-safe; each line is written with a single write(2).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace x0::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  template <class N>
    requires std::is_arithmetic_v<N>
  Field(std::string_view k, N v) : key(k), value(std::to_string(v)) {}
};

// Lines above this level are dropped. Default kInfo.
void set_level(Level level);
bool enabled(Level level);
// Log to this file (appended) instead of stderr; empty path means stderr. Returns false on error.
// When the file grows past max_bytes it is rotated: path -> path.1 -> ... -> path.<max_files>
// (the oldest is dropped). max_bytes 0 disables rotation.
bool set_file(const std::string& path, uint64_t max_bytes = 0, int max_files = 5);
// Parses "error"/"warn"/"info"/"debug" (any case).
bool parse_level(std::string_view text, Level* out);

void write(Level level, std::string_view category, std::string_view message,
           std::initializer_list<Field> fields = {});

inline void error(std::string_view category, std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  write(Level::kError, category, message, fields);
}
inline void warn(std::string_view category, std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, category, message, fields);
}
inline void info(std::string_view category, std::string_view message,
                 std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, category, message, fields);
}
inline void debug(std::string_view category, std::string_view message,
                  std::initializer_list<Field> fields = {}) {
  if (enabled(Level::kDebug)) write(Level::kDebug, category, message, fields);
}

}  // namespace x0::log
