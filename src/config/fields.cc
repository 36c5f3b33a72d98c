// The configuration schema (one table of keys, types and rules) and the typed setters shared by
// the TOML reader and the environment overrides. Ranges here are the documented ones in
// docs/CONFIG.md; change both together.
#include "config/fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <type_traits>

#include "common/address_ranges.h"

namespace x0::config::detail {
namespace {

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kI64Max = INT64_MAX;

Field i(std::string_view key, int* p, int64_t lo, int64_t hi = kIntMax) {
  return Field{key, p, lo, hi, Shape::kAny};
}
Field l(std::string_view key, int64_t* p, int64_t lo, int64_t hi = kI64Max) {
  return Field{key, p, lo, hi, Shape::kAny};
}
Field port(std::string_view key, uint16_t* p, int64_t lo) { return Field{key, p, lo, 65535}; }
Field d(std::string_view key, double* p, int64_t lo, int64_t hi) { return Field{key, p, lo, hi}; }
Field b(std::string_view key, bool* p) { return Field{key, p}; }
Field s(std::string_view key, std::string* p, Shape shape = Shape::kAny) {
  return Field{key, p, 0, 0, shape};
}
Field sl(std::string_view key, std::vector<std::string>* p, Shape shape) {
  return Field{key, p, 0, 0, shape};
}

std::string lower(std::string_view v) {
  std::string out(v);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_of(std::string_view v, bool (*ok)(char)) { return std::all_of(v.begin(), v.end(), ok); }
bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}
bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool valid_ipv4(std::string_view h) {
  int parts = 0;
  while (true) {
    size_t dot = h.find('.');
    std::string_view part = h.substr(0, dot);
    int v = -1;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || part.size() > 3 || ec != std::errc() || p != part.data() + part.size() ||
        v > 255)
      return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
  return parts == 4;
}

std::optional<std::string> check_host(std::string_view h) {
  if (h.empty()) return "empty host";
  if (h.size() > 253) return "host longer than 253 characters";
  if (h.find(':') != std::string_view::npos) {  // IPv6 literal, brackets already removed
    if (!all_of(h, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return "bad IPv6 address";
    return std::nullopt;
  }
  if (!all_of(h, host_char)) return "host has characters other than letters, digits, '.', '-', '_'";
  if (all_of(h, [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) && !valid_ipv4(h))
    return "bad IPv4 address";
  return std::nullopt;
}

bool is_url(std::string_view v) {
  return (v.starts_with("http://") && v.size() > 7) || (v.starts_with("https://") && v.size() > 8);
}

// Checks one string against a shape and normalises it; nullopt on success, else a message.
std::optional<std::string> shape_ok(Shape shape, std::string& v) {
  switch (shape) {
    case Shape::kAny:
      return std::nullopt;
    case Shape::kHostPortOrEmpty:
      if (v.empty()) return std::nullopt;
      [[fallthrough]];
    case Shape::kHostPort: {
      auto hp = parse_host_port(v);
      if (!hp) return "expected \"host:port\" (" + hp.error().detail + ")";
      return std::nullopt;
    }
    case Shape::kLevel:
      v = lower(v);
      if (v == "error" || v == "warn" || v == "info" || v == "debug") return std::nullopt;
      return "expected one of error, warn, info, debug";
    case Shape::kPqcMode:
      if (v == "required" || v == "preferred" || v == "disabled") return std::nullopt;
      return "expected one of required, preferred, disabled";
    case Shape::kMeshProfile:
      if (v == "lan" || v == "test") return std::nullopt;
      return "expected one of lan, test";
    case Shape::kPath:
      if (v.starts_with('/')) return std::nullopt;
      return "expected a path starting with '/'";
    case Shape::kPathOrUrl:
      if (v.starts_with('/') || is_url(v)) return std::nullopt;
      return "expected a path starting with '/' or an http(s):// URL";
    case Shape::kUrl:
      if (is_url(v)) return std::nullopt;
      return "expected an http:// or https:// URL";
    case Shape::kServiceName:
      if (!v.empty() && v.size() <= 64 && all_of(v, name_char)) return std::nullopt;
      return "expected 1-64 characters of [a-z0-9_-]";
    case Shape::kNodeId:
      if (v.size() <= 253 && all_of(v, id_char)) return std::nullopt;
      return "expected letters, digits, '.', '_' or '-'";
    case Shape::kHostPattern: {
      v = lower(v);
      std::string_view h = v;
      if (h.starts_with("*.")) h.remove_prefix(2);
      if (!h.empty() && h.find('*') == std::string_view::npos && all_of(h, host_char))
        return std::nullopt;
      return "expected a host name or \"*.domain\"";
    }
    case Shape::kRateLimitKey: {
      // A header name is an RFC 9110 token; "header:" alone would key every request alike.
      auto token = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      };
      if (v == "client_address") return std::nullopt;
      if (v.starts_with("header:") && v.size() > 7 && all_of(std::string_view(v).substr(7), token))
        return std::nullopt;
      return "expected \"client_address\" or \"header:<Name>\" (e.g. \"header:X-Api-Key\")";
    }
    case Shape::kRateLimitHeaders:
      if (v == "always" || v == "limited") return std::nullopt;
      return "expected one of always, limited";
    case Shape::kCidr:
      if (AddressRanges::parse({v})) return std::nullopt;
      return "expected an IP address or CIDR range such as \"10.0.0.0/8\"";
  }
  return std::nullopt;
}

// Shortest round-trip text of a double ("0.25", "1e-05", "nan", "-inf").
std::string number_text(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// Range-checks and stores a double; NaN and infinities fail the range check. `shown` is the
// value as the user wrote it (an integer stays "2", not "2.0").
std::optional<std::string> store_double(const Field& f, double* p, double v,
                                        const std::string& shown) {
  if (!std::isfinite(v) || v < static_cast<double>(f.min) || v > static_cast<double>(f.max))
    return "expected " + expected(f) + ", got " + shown;
  *p = v + 0.0;  // -0.0 -> 0.0
  return std::nullopt;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  out.append(v.substr(0, 60));
  if (v.size() > 60) out += "...";
  return out + "\"";
}

}  // namespace

const std::vector<std::string_view>& section_names() {
  static const std::vector<std::string_view> kNames = {
      "node",      "listeners", "api_gateway", "cache", "performance_monitor",
      "logging",   "security",  "mesh",        "pqc",   "autopilot",
      "incidents", "notify",    "tls",         "status"};
  return kNames;
}

std::vector<Field> section_fields(Config& c, std::string_view section) {
  if (section == "node")
    return {s("id", &c.node.id, Shape::kNodeId), s("data_dir", &c.node.data_dir),
            s("takeover_socket", &c.node.takeover_socket)};
  if (section == "tls") {
    auto& t = c.tls;
    return {s("cert_file", &t.cert_file),
            s("key_file", &t.key_file),
            s("ca_file", &t.ca_file),
            sl("groups", &t.groups, Shape::kAny),
            b("session_tickets", &t.session_tickets),
            s("min_version", &t.min_version)};
  }
  if (section == "listeners") {
    auto& L = c.listeners;
    return {s("data", &L.data, Shape::kHostPort),
            s("health", &L.health, Shape::kHostPort),
            s("metrics", &L.metrics, Shape::kHostPort),
            s("mesh", &L.mesh, Shape::kHostPort),
            s("operator", &L.operator_api, Shape::kHostPortOrEmpty),
            s("https", &L.https, Shape::kHostPortOrEmpty)};
  }
  if (section == "api_gateway") {
    auto& g = c.api_gateway;
    return {i("worker_threads", &g.worker_threads, 0, 256),
            l("memory_pool_size", &g.memory_pool_size, 1),
            b("enable_dpdk", &g.enable_dpdk),
            port("port", &g.port, 0),
            s("fallback_upstream", &g.fallback_upstream, Shape::kHostPortOrEmpty),
            i("max_header_bytes", &g.max_header_bytes, 256, 1 << 20),
            i("max_headers", &g.max_headers, 1, 10000),
            l("max_body_bytes", &g.max_body_bytes, 0),
            i("header_timeout_ms", &g.header_timeout_ms, 1),
            i("idle_timeout_ms", &g.idle_timeout_ms, 1),
            i("send_timeout_ms", &g.send_timeout_ms, 1),
            i("drain_timeout_ms", &g.drain_timeout_ms, 1),
            i("resolve_timeout_ms", &g.resolve_timeout_ms, 1, 60000),
            i("max_connections", &g.max_connections, 1),
            i("max_probe_connections", &g.max_probe_connections, 1),
            sl("trusted_proxies", &g.trusted_proxies, Shape::kCidr),
            b("allow_encoded_slash", &g.allow_encoded_slash),
            b("allow_backslash", &g.allow_backslash),
            b("allow_trace", &g.allow_trace)};
  }
  if (section == "cache") {
    auto& k = c.cache;
    return {b("enabled", &k.enabled),
            l("capacity", &k.capacity, 1),
            l("max_bytes", &k.max_bytes, 1),
            b("enable_preloading", &k.enable_preloading),
            i("shard_count", &k.shard_count, 1, 1024),
            s("backing_file", &k.backing_file),
            l("default_ttl_s", &k.default_ttl_s, 0),
            l("stale_if_error_s", &k.stale_if_error_s, 0),
            i("snapshot_interval_s", &k.snapshot_interval_s, 0),
            sl("preload_urls", &k.preload_urls, Shape::kPathOrUrl),
            d("verify_sample_rate", &k.verify_sample_rate, 0, 1),
            i("snapshot_keep", &k.snapshot_keep, 1, 1000)};
  }
  if (section == "performance_monitor") {
    auto& p = c.performance_monitor;
    return {i("collection_interval_ms", &p.collection_interval_ms, 1),
            port("prometheus_port", &p.prometheus_port, 1)};
  }
  if (section == "logging") {
    auto& g = c.logging;
    return {s("level", &g.level, Shape::kLevel), s("file", &g.file),
            i("max_size_mb", &g.max_size_mb, 1), i("max_files", &g.max_files, 1)};
  }
  if (section == "security") {
    auto& g = c.security;
    return {b("enable_audit_logging", &g.enable_audit_logging),
            b("log_all_requests", &g.log_all_requests),
            s("admin_token", &g.admin_token),
            b("admin_loopback_trusted", &g.admin_loopback_trusted),
            b("isolate", &g.isolate),
            b("enable_jwt_validation", &g.enable_jwt_validation),
            s("jwt_secret_file", &g.jwt_secret_file),
            i("rate_limit_requests_per_second", &g.rate_limit_requests_per_second, 0, 1000000),
            i("rate_limit_burst", &g.rate_limit_burst, 0, 1000000),
            s("rate_limit_key", &g.rate_limit_key, Shape::kRateLimitKey),
            s("rate_limit_headers", &g.rate_limit_headers, Shape::kRateLimitHeaders),
            i("rate_limit_max_clients", &g.rate_limit_max_clients, 1, 10000000)};
  }
  if (section == "mesh")
    return {b("enabled", &c.mesh.enabled),
            sl("peers", &c.mesh.peers, Shape::kHostPort),
            s("cert_dir", &c.mesh.cert_dir),
            s("node_id", &c.mesh.node_id, Shape::kNodeId),
            s("advertise_address", &c.mesh.advertise_address, Shape::kHostPortOrEmpty),
            s("profile", &c.mesh.profile, Shape::kMeshProfile),
            i("probe_interval_ms", &c.mesh.probe_interval_ms, 0, 60000),
            i("probe_timeout_ms", &c.mesh.probe_timeout_ms, 0, 60000),
            i("indirect_probes", &c.mesh.indirect_probes, 0, 16),
            i("suspicion_mult", &c.mesh.suspicion_mult, 0, 100),
            i("gossip_interval_ms", &c.mesh.gossip_interval_ms, 0, 60000)};
  if (section == "pqc") return {s("mode", &c.pqc.mode, Shape::kPqcMode)};
  if (section == "autopilot")
    return {b("enabled", &c.autopilot.enabled), b("dry_run", &c.autopilot.dry_run),
            s("policy_file", &c.autopilot.policy_file)};
  if (section == "incidents") return {s("store", &c.incidents.store)};
  if (section == "notify")
    return {sl("webhooks", &c.notify.webhooks, Shape::kUrl),
            i("webhook_timeout_ms", &c.notify.webhook_timeout_ms, 1, 60000),
            s("public_url", &c.notify.public_url),
            i("give_up_after_s", &c.notify.give_up_after_s, 60, 7 * 86400)};
  if (section == "status")
    return {b("enabled", &c.status.enabled), s("page_name", &c.status.page_name),
            b("show_addresses", &c.status.show_addresses),
            i("refresh_s", &c.status.refresh_s, 5, 3600),
            i("sample_interval_s", &c.status.sample_interval_s, 1, 3600)};
  return {};
}

std::vector<Field> service_fields(Service& v) {
  return {s("name", &v.name, Shape::kServiceName),
          sl("hosts", &v.hosts, Shape::kHostPattern),
          sl("path_prefixes", &v.path_prefixes, Shape::kPath),
          Field{"endpoints", &v.endpoints},
          Field{"fallback", &v.fallback},
          Field{"balance", &v.balance},
          i("passive_eject_failures", &v.passive_eject_failures, 0),
          i("connect_timeout_ms", &v.connect_timeout_ms, 1),
          i("request_timeout_ms", &v.request_timeout_ms, 1),
          i("read_timeout_ms", &v.read_timeout_ms, 1),
          i("retries", &v.retries, 0, 10),
          i("max_idle_per_endpoint", &v.max_idle_per_endpoint, 0),
          b("required", &v.required),
          b("cache", &v.cache_enabled),
          l("cache_ttl_s", &v.cache_ttl_s, 0),
          b("cache_ignore_cookies", &v.cache_ignore_cookies),
          s("tls_ca_file", &v.tls_ca_file),
          b("tls_verify", &v.tls_verify),
          s("tls_server_name", &v.tls_server_name),
          b("mesh_failover", &v.mesh_failover),
          i("rate_limit_requests_per_second", &v.rate_limit_requests_per_second, 0, 1000000),
          i("rate_limit_burst", &v.rate_limit_burst, 0, 1000000)};
}

std::vector<Field> health_check_fields(HealthCheck& h) {
  return {b("enabled", &h.enabled),
          s("path", &h.path, Shape::kPath),
          i("interval_ms", &h.interval_ms, 1),
          i("timeout_ms", &h.timeout_ms, 1),
          i("healthy_threshold", &h.healthy_threshold, 1),
          i("unhealthy_threshold", &h.unhealthy_threshold, 1)};
}

std::string env_name(std::string_view section, std::string_view key) {
  std::string out = "X0TTA6BL4_";
  out += section;
  out += '_';
  out += key;
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string expected(const Field& f) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          return "true or false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "a string";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return "an array of strings";
        } else if constexpr (std::is_same_v<T, std::vector<Endpoint>>) {
          return "an array of \"host:port\" strings";
        } else if constexpr (std::is_same_v<T, Balance>) {
          return "one of round_robin, least_request";
        } else if constexpr (std::is_same_v<T, double>) {
          return "a number in " + std::to_string(f.min) + ".." + std::to_string(f.max);
        } else {
          if (std::is_same_v<T, uint16_t>)
            return f.min == 0 ? "a port number 0..65535 (0 = unset)" : "a port number 1..65535";
          if (f.min == 1 && (f.max == kIntMax || f.max == kI64Max)) return "a positive integer";
          if (f.min == 0 && (f.max == kIntMax || f.max == kI64Max)) return "a non-negative integer";
          return "an integer in " + std::to_string(f.min) + ".." + std::to_string(f.max);
        }
      },
      f.target);
}

std::optional<std::string> set_int(const Field& f, int64_t v) {
  return std::visit(
      [&](auto* p) -> std::optional<std::string> {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t> ||
                      std::is_same_v<T, uint16_t>) {
          if (v < f.min || v > f.max)
            return "expected " + expected(f) + ", got " + std::to_string(v);
          *p = static_cast<T>(v);
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, double>) {
          return store_double(f, p, static_cast<double>(v), std::to_string(v));
        } else {
          return "expected " + expected(f) + ", got integer " + std::to_string(v);
        }
      },
      f.target);
}

std::optional<std::string> set_double(const Field& f, double v) {
  if (auto* p = std::get_if<double*>(&f.target)) return store_double(f, *p, v, number_text(v));
  // Same wording as before doubles existed: integer keys reject "1.5" as "float 1.500000".
  return "expected " + expected(f) + ", got float " + std::to_string(v);
}

std::optional<std::string> set_bool(const Field& f, bool v) {
  if (auto* p = std::get_if<bool*>(&f.target)) {
    **p = v;
    return std::nullopt;
  }
  return "expected " + expected(f) + ", got " + (v ? "true" : "false");
}

std::optional<std::string> set_string(const Field& f, std::string v) {
  if (auto* p = std::get_if<std::string*>(&f.target)) {
    if (auto bad = shape_ok(f.shape, v)) return *bad + ", got " + quoted(v);
    **p = std::move(v);
    return std::nullopt;
  }
  if (auto* p = std::get_if<Balance*>(&f.target)) {
    if (v == "round_robin")
      **p = Balance::kRoundRobin;
    else if (v == "least_request")
      **p = Balance::kLeastRequest;
    else
      return "expected " + expected(f) + ", got " + quoted(v);
    return std::nullopt;
  }
  return "expected " + expected(f) + ", got string " + quoted(v);
}

std::optional<std::string> set_string_list(const Field& f, std::vector<std::string> v) {
  if (auto* p = std::get_if<std::vector<std::string>*>(&f.target)) {
    for (auto& item : v)
      if (auto bad = shape_ok(f.shape, item)) return *bad + ", got " + quoted(item);
    **p = std::move(v);
    return std::nullopt;
  }
  if (auto* p = std::get_if<std::vector<Endpoint>*>(&f.target)) {
    std::vector<Endpoint> out;
    for (auto& item : v) {
      auto endpoint = parse_endpoint(item);
      if (!endpoint)
        return "expected \"host:port\" or \"https://host[:port]\" (" + endpoint.error().detail +
               "), got " + quoted(item);
      out.push_back(*std::move(endpoint));
    }
    **p = std::move(out);
    return std::nullopt;
  }
  return "expected " + expected(f) + ", got an array";
}

std::optional<std::string> set_from_text(const Field& f, std::string_view text) {
  return std::visit(
      [&](auto* p) -> std::optional<std::string> {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          std::string v = lower(text);
          if (v == "true" || v == "1") return set_bool(f, true);
          if (v == "false" || v == "0") return set_bool(f, false);
          return "expected " + expected(f) + ", got " + quoted(text);
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Balance>) {
          return set_string(f, std::string(text));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                             std::is_same_v<T, std::vector<Endpoint>>) {
          std::vector<std::string> items;
          size_t start = 0;
          while (start <= text.size() && !text.empty()) {
            size_t comma = std::min(text.find(',', start), text.size());
            std::string_view item = text.substr(start, comma - start);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (!item.empty()) items.emplace_back(item);
            start = comma + 1;
          }
          return set_string_list(f, std::move(items));
        } else if constexpr (std::is_same_v<T, double>) {
          // Decimal or exponent form ("0.05", "1", "5e-2"); from_chars also reads "nan"/"inf",
          // which the range check then rejects.
          double v = 0;
          const char* end = text.data() + text.size();
          auto [ptr, ec] = std::from_chars(text.data(), end, v);
          if (text.empty() || ec != std::errc() || ptr != end)
            return "expected " + expected(f) + ", got " + quoted(text);
          return store_double(f, p, v, quoted(text));
        } else {
          int64_t v = 0;
          const char* end = text.data() + text.size();
          auto [ptr, ec] = std::from_chars(text.data(), end, v);
          if (text.empty() || ec != std::errc() || ptr != end)
            return "expected " + expected(f) + ", got " + quoted(text);
          return set_int(f, v);
        }
      },
      f.target);
}

}  // namespace x0::config::detail

namespace x0::config {

std::string Endpoint::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string Endpoint::to_string() const { return tls ? "https://" + authority() : authority(); }

x0::Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint out;
  std::string_view rest = text;
  const char* default_port = nullptr;
  if (rest.starts_with("https://")) {
    out.tls = true;
    rest.remove_prefix(8);
    default_port = "443";
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    default_port = "80";
  } else if (rest.find("://") != std::string_view::npos) {
    return x0::fail(Errc::kConfigInvalid, "an endpoint is http:// or https://");
  }
  if (default_port != nullptr && rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos)
    return x0::fail(Errc::kConfigInvalid, "an endpoint has no path");
  std::string host_port(rest);
  bool has_port = rest.starts_with('[') ? rest.find("]:") != std::string_view::npos
                                        : rest.find(':') != std::string_view::npos;
  if (!has_port && default_port != nullptr) host_port += std::string(":") + default_port;
  auto hp = parse_host_port(host_port);
  if (!hp) return std::unexpected(hp.error());
  out.host = std::move(hp->first);
  out.port = hp->second;
  return out;
}

x0::Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text) {
  std::string_view host, port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return x0::fail(Errc::kConfigInvalid, "expected \"[ipv6]:port\"");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos)
      return x0::fail(Errc::kConfigInvalid, "expected an IPv6 address inside brackets");
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return x0::fail(Errc::kConfigInvalid, "expected host:port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return x0::fail(Errc::kConfigInvalid, "IPv6 addresses must be written \"[addr]:port\"");
  }
  if (auto bad = detail::check_host(host)) return x0::fail(Errc::kConfigInvalid, *bad);
  int port = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port < 1 || port > 65535)
    return x0::fail(Errc::kConfigInvalid, "expected a port number 1..65535 after ':'");
  return std::pair<std::string, uint16_t>{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace x0::config
