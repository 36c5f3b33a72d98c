// Internal: the schema of the configuration. Each key is a Field that points into a Config and
// carries its rule (numeric range, string shape), so TOML parsing, environment overrides and
// error messages all come from this one table. Not part of the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace x0::config::detail {

// What a string (or each element of a string list) must look like.
enum class Shape {
  kAny,
  kHostPort,  // "host:port"
  kHostPortOrEmpty,
  kLevel,        // error|warn|info|debug, stored lower case
  kPqcMode,      // required|preferred|disabled
  kMeshProfile,  // lan|test
  kPath,         // starts with '/'
  kPathOrUrl,    // "/path" or http(s)://...
  kUrl,          // http(s)://...
  kServiceName,  // [a-z0-9_-]+
  kNodeId,       // empty or [A-Za-z0-9._-]+
  kHostPattern,  // exact host or "*.example.com", stored lower case
  kCidr,         // IPv4/IPv6 literal with an optional "/prefix"
  // "client_address" or "header:<Name>"
  kRateLimitKey,
  kRateLimitHeaders,  // always|limited
};

using Target = std::variant<int*, int64_t*, uint16_t*, double*, bool*, std::string*,
                            std::vector<std::string>*, std::vector<Endpoint>*, Balance*>;

struct Field {
  std::string_view key;
  Target target;
  int64_t min = 0;  // integers and doubles: inclusive range (doubles: finite values only)
  int64_t max = 0;
  Shape shape = Shape::kAny;
};

// Top-level sections in file order, then their fields bound to `cfg`.
const std::vector<std::string_view>& section_names();
std::vector<Field> section_fields(Config& cfg, std::string_view section);
std::vector<Field> service_fields(Service& svc);  // without health_check
std::vector<Field> health_check_fields(HealthCheck& hc);

// "X0TTA6BL4_" + upper(section) + "_" + upper(key).
std::string env_name(std::string_view section, std::string_view key);

// Checks and stores a value; nullopt on success, else the message after "key: ".
// set_int also fills a double field (a TOML integer such as `1` is a valid number).
std::optional<std::string> set_int(const Field& f, int64_t v);
std::optional<std::string> set_double(const Field& f, double v);
std::optional<std::string> set_bool(const Field& f, bool v);
std::optional<std::string> set_string(const Field& f, std::string v);
std::optional<std::string> set_string_list(const Field& f, std::vector<std::string> v);
// Parses `text` with the field's type (environment overrides; lists are comma-separated).
std::optional<std::string> set_from_text(const Field& f, std::string_view text);
// What the field expects, for "expected X, got Y" messages.
std::string expected(const Field& f);

}  // namespace x0::config::detail
