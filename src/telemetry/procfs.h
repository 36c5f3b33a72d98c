// Small readers for /proc and /sys text files, shared by the host probe's sources. A missing file
// is nullopt or an empty map, never an exception (containers hide many).
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace x0::telemetry::detail {

inline std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

inline std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

inline std::optional<uint64_t> read_u64(const std::string& path) {
  auto t = read_text(path);
  return t ? parse_u64(trim(*t)) : std::nullopt;
}

// "Key:   123 kB" lines (meminfo, status, memory.stat "key 123") -> bytes when the unit is kB.
inline std::map<std::string, uint64_t> read_keyed(const std::string& path) {
  std::map<std::string, uint64_t> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string key, unit;
    uint64_t v = 0;
    if (!(ls >> key >> v)) continue;
    if (key.ends_with(":")) key.pop_back();
    ls >> unit;
    out[key] = unit == "kB" ? v * 1024 : v;
  }
  return out;
}

inline double ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

inline bool has_digits_after(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return false;
  return std::all_of(name.begin() + static_cast<long>(prefix.size()), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace x0::telemetry::detail
