// Log line formatting and output (see log.h).
#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace x0::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_fd{2};

// Rotation state; the mutex is taken only by the one writer that crosses the size limit.
std::mutex g_rotate_mu;
std::string g_path;
std::atomic<uint64_t> g_max_bytes{0};
std::atomic<uint64_t> g_written{0};
int g_max_files = 5;

void rotate() {
  std::lock_guard lock(g_rotate_mu);
  if (g_path.empty() || g_written.load() < g_max_bytes.load()) return;  // someone else did it
  for (int i = g_max_files - 1; i >= 1; --i) {
    std::string from = g_path + "." + std::to_string(i);
    std::string to = g_path + "." + std::to_string(i + 1);
    std::rename(from.c_str(), to.c_str());
  }
  std::rename(g_path.c_str(), (g_path + ".1").c_str());
  int fd = open(g_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // keep writing to the renamed file rather than lose lines
  int old = g_fd.exchange(fd);
  if (old > 2) close(old);
  g_written.store(0);
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kError: return "ERROR";
    case Level::kWarn: return "WARN";
    case Level::kInfo: return "INFO";
    case Level::kDebug: return "DEBUG";
  }
  return "INFO";
}

// Values with spaces, quotes or '=' are quoted so a line stays machine-splittable.
void append_value(std::string& out, const std::string& value) {
  bool quote = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') quote = true;
  }
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}

}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
bool enabled(Level level) { return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed); }

bool set_file(const std::string& path, uint64_t max_bytes, int max_files) {
  std::lock_guard lock(g_rotate_mu);
  if (path.empty()) {
    g_path.clear();
    g_max_bytes.store(0);
    int old = g_fd.exchange(2);
    if (old > 2) close(old);
    return true;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return false;
  struct stat st {};
  g_written.store(fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0);
  g_path = path;
  g_max_files = max_files < 1 ? 1 : max_files;
  g_max_bytes.store(max_bytes);
  int old = g_fd.exchange(fd);
  if (old > 2) close(old);
  return true;
}

bool parse_level(std::string_view text, Level* out) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "error") *out = Level::kError;
  else if (lower == "warn" || lower == "warning") *out = Level::kWarn;
  else if (lower == "info") *out = Level::kInfo;
  else if (lower == "debug") *out = Level::kDebug;
  else return false;
  return true;
}

void write(Level level, std::string_view category, std::string_view message,
           std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  std::string line;
  line.reserve(128);
  line += stamp;
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += category;
  line += ' ';
  line += message;
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  ssize_t ignored = ::write(g_fd.load(std::memory_order_relaxed), line.data(), line.size());
  (void)ignored;  // nowhere left to report a failed log write
  uint64_t limit = g_max_bytes.load(std::memory_order_relaxed);
  if (limit != 0 && g_written.fetch_add(line.size(), std::memory_order_relaxed) + line.size() >= limit) {
    rotate();
  }
}

}  // namespace x0::log
