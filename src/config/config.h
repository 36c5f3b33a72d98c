// The node's configuration: typed structs, TOML parsing with file:line errors, X0TTA6BL4_*
// environment overrides and validation. Defaults are embedded in the binary (the TOML text of
// examples/x0tta6bl4.toml); every key is documented in docs/CONFIG.md.
// Nothing here throws: every problem becomes one line of Error::detail (code "config_invalid").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "notify/channel.h"

namespace x0::jwt {
class KeySet;
}

namespace x0::config {

struct Endpoint {
  std::string host;  // a DNS name, an IPv4 literal, or an IPv6 literal (stored without brackets)
  uint16_t port = 0;
  bool tls = false;               // written "https://host[:port]" (docs/TLS.md, "Upstream TLS")
  std::string authority() const;  // "host:port" ("[v6]:port" for IPv6)
  std::string to_string() const;  // authority(), "https://" first when tls: parse_endpoint's input
  bool operator==(const Endpoint&) const = default;
};

struct HealthCheck {
  bool enabled = true;
  std::string path = "/health";
  int interval_ms = 1000;
  int timeout_ms = 500;
  int healthy_threshold = 2;
  int unhealthy_threshold = 2;
};

enum class Balance { kRoundRobin, kLeastRequest };

struct Service {
  std::string name;                // unique, [a-z0-9_-]+
  std::vector<std::string> hosts;  // exact, or "*.example.com"; lower case; empty = any
  std::vector<std::string> path_prefixes = {"/"};  // each starts with '/'
  std::vector<Endpoint> endpoints;                 // at least one
  std::vector<Endpoint> fallback;                  // used while no primary endpoint is healthy
  Balance balance = Balance::kRoundRobin;
  HealthCheck health_check;
  int passive_eject_failures =
      5;  // consecutive failures -> ejected until active check passes; 0 = off
  // connect; taking the whole request and starting to answer it (the route timeout); the
  // longest gap between two reads of a response body (nginx's proxy_read_timeout).
  int connect_timeout_ms = 1000, request_timeout_ms = 15000, read_timeout_ms = 60000;
  int retries = 1;                 // idempotent requests, on connect failure
  int max_idle_per_endpoint = 64;  // keep-alive pool size per worker per endpoint
  bool required = true;            // /health/ready waits for it
  bool cache_enabled = true;       // TOML `cache`; false: the route never reads or stores it
  int64_t cache_ttl_s = 0;  // freshness when the origin gives none; 0 = [cache] default_ttl_s
  bool cache_ignore_cookies = false;  // true: a request's Cookie does not keep it out of the cache
  // https:// endpoints: the CA their certificates must chain to ("" = the system store);
  // false accepts any certificate (an operator's explicit choice, logged at every load); the
  // name sent as SNI and checked in the certificate ("" = the endpoint's host).
  std::string tls_ca_file;
  bool tls_verify = true;
  std::string tls_server_name;
  // No healthy local endpoint: requests go over a mesh link to a peer where the service is
  // healthy (before the fallback set), and this node relays such requests for its peers.
  bool mesh_failover = false;
  // TOML `jwt`: true (the default provider), false, or a [[jwt.providers]] name; unset follows
  // [security] enable_jwt_validation. jwt_provider() (below) says what a request meets.
  std::optional<bool> jwt;
  std::string jwt_provider_name;
  // Rate limiting of this route: -1 = [security]'s, 0 = off here; burst 0 = this route's rate
  // when it sets one, else [security]'s burst.
  int rate_limit_requests_per_second = -1;
  int rate_limit_burst = 0;
};

struct Listeners {
  std::string data = "127.0.0.1:8080";
  std::string health = "127.0.0.1:8081";
  std::string metrics = "127.0.0.1:9090";
  std::string mesh = "127.0.0.1:7946";
  // key "operator": empty, the operator API answers its paths on `data`; an address, it answers
  // there (all of it, probes and metrics too) and `data` routes every path to the services.
  std::string operator_api;
  // HTTPS: the data plane and operator API (as on `data`) over TLS; off when empty. Needs [tls].
  std::string https;
};

// The HTTPS listener's TLS (docs/TLS.md).
struct Tls {
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key
  std::string ca_file;    // clients must present a certificate this CA signed; empty: not asked
  // Key-exchange groups, most preferred first: the hybrid post-quantum group, then classical
  // X25519 for clients without it.
  std::vector<std::string> groups = {"X25519MLKEM768", "X25519"};
  bool session_tickets = true;
  std::string min_version = "1.3";  // "1.3", or "1.2" for old clients
};

struct Node {
  std::string id;  // after load: the host name when not configured
  std::string data_dir = "./data";
  // The restart hand-over socket (app/takeover.h); after load: <data_dir>/takeover.sock if empty.
  std::string takeover_socket = "";
};

struct ApiGateway {
  int worker_threads = 0;  // 0 = number of cores
  int64_t memory_pool_size = 64 * 1024 * 1024;
  bool enable_dpdk = false;
  uint16_t port = 0;              // legacy: if set, replaces the port of listeners.data (at load)
  std::string fallback_upstream;  // legacy: "host:port" appended at load to every empty fallback
  int max_header_bytes = 16384, max_headers = 100;
  int64_t max_body_bytes = 10 * 1024 * 1024;
  int header_timeout_ms = 10000, idle_timeout_ms = 60000, drain_timeout_ms = 10000;
  int resolve_timeout_ms = 5000;  // one endpoint name's lookup before a route build
  int send_timeout_ms = 60000;    // a client reading none of its response for this long is cut off
  int max_connections = 100000;   // data listener, node-wide
  int max_probe_connections = 256;  // health and metrics listeners, each, node-wide
  // Peers whose X-Forwarded-For chain and X-Forwarded-*/X-Real-IP/Forwarded are believed
  // (docs/SECURITY.md); from anyone else those fields are replaced or dropped.
  std::vector<std::string> trusted_proxies;
  bool allow_encoded_slash = false;  // "%2F" in a path: refused (400) unless set; kept encoded
  bool allow_backslash = false;      // '\\' or "%5C" in a path: refused unless set
  bool allow_trace = false;          // TRACE: 405 unless set (it reflects credentials)
};

struct Cache {
  int64_t capacity = 10000;
  int64_t max_bytes = 256 * 1024 * 1024;
  bool enable_preloading = false;  // restore the newest valid snapshot at start, then warm
  int shard_count = 16;
  // Directory of the snapshot files cache-<unix_ms>.snap; after load: node.data_dir when empty.
  std::string backing_file;
  int64_t default_ttl_s = 0;
  int64_t stale_if_error_s = 300;
  int snapshot_interval_s = 0;
  std::vector<std::string> preload_urls;  // warmed at start-up and by an empty /admin/cache/warm
  bool enabled = true;
  double verify_sample_rate = 0.01;  // 0..1: share of hits whose checksum is recomputed
  int snapshot_keep = 3;             // 1..1000: newest snapshot files kept in backing_file
};

struct PerformanceMonitor {
  int collection_interval_ms = 1000;
  uint16_t prometheus_port = 9090;  // legacy: if set explicitly, replaces listeners.metrics port
};

struct Logging {
  std::string level = "info";  // error|warn|info|debug (stored lower case)
  std::string file;            // empty = stderr
  int max_size_mb = 100;
  int max_files = 5;
};

struct Security {
  bool enable_audit_logging = false;
  bool log_all_requests = false;
  std::string admin_token;
  bool admin_loopback_trusted = true;
  bool isolate = false;
  bool enable_jwt_validation = false;
  std::string jwt_secret_file;
  // The rate_limit filter (docs/RATE_LIMIT.md): each route's default; 0 = off. Burst 0 = the rate.
  int rate_limit_requests_per_second = 0;
  int rate_limit_burst = 0;
  std::string rate_limit_key = "client_address";  // or "header:<Name>", e.g. "header:X-Api-Key"
  // "limited": RateLimit-Policy and RateLimit only on 429s (as Envoy's local_ratelimit does by
  // default; the fields on every response were most of the filter's cost); "always": on every
  // response of a limited route, so clients can pace themselves.
  std::string rate_limit_headers = "limited";
  int rate_limit_max_clients = 100000;            // buckets held at most (read at start)
};

// One issuer of bearer tokens the jwt filter accepts (docs/SECURITY.md, "JWT validation").
struct JwtProvider {
  std::string name;                    // [a-z0-9_-]+; "default" is what `jwt = true` means
  std::string issuer;                  // "" = iss not checked
  std::vector<std::string> audiences;  // empty: a token carrying aud is refused
  // Exactly one key source; read at load and on every reload (SIGHUP).
  std::string jwks_file, secret_file, public_key_file;
  std::vector<std::string> algorithms;  // empty: every algorithm the keys are for
  int clock_skew_seconds = 60;
  // The request header the token is in: "Authorization" (the Bearer scheme) or another field
  // holding the bare token.
  std::string from_header = "Authorization";
  // claim -> request header set from it (a client's own copy of such a header is dropped).
  std::vector<std::pair<std::string, std::string>> forward_claims;
  bool forward_token = false;  // false: the token's header is not passed to the upstream
  // After load: the keys, and the allowed algorithms as jwt::AlgSet bits.
  std::shared_ptr<const jwt::KeySet> keys;
  uint32_t allowed_algorithms = 0;
  bool implicit = false;  // made from [security] jwt_secret_file, not written in [[jwt.providers]]
};

struct Jwt {
  std::vector<JwtProvider> providers;
};

struct Mesh {
  bool enabled = false;
  std::vector<std::string> peers;  // seeds, each "ip:port" of a peer's listeners.mesh
  // The node's identity: what `x0tta6bl4 pki issue --out` writes (docs/TLS.md, "Node PKI").
  std::string cert_dir = "/etc/x0tta6bl4/certs";
  std::string node_id;            // must be the certificate's subject; default [node] id
  std::string advertise_address;  // "ip:port" peers reach us at; default listeners.mesh
  // Failure detection (docs/MESH.md): "lan" (memberlist's LAN profile) or "test" (short
  // timers); a key set to 0 takes the profile's value.
  std::string profile = "lan";
  int probe_interval_ms = 0;
  int probe_timeout_ms = 0;
  int indirect_probes = 0;
  int suspicion_mult = 0;
  int gossip_interval_ms = 0;
};

struct Pqc {
  std::string mode = "required";  // required|preferred|disabled
};

struct Autopilot {
  bool enabled = true;
  bool dry_run = false;
  std::string policy_file;
};

struct Incidents {
  std::string store = "";  // after load: <data_dir>/incidents.db when not configured
};

// The public status page (GET /status, /status.json; docs/ONCALL.md "Status page").
struct StatusPage {
  bool enabled = true;          // false: the two paths are the services' and nothing is sampled
  std::string page_name = {};   // empty: "x0tta6bl4 <node id>"
  bool show_addresses = false;  // true: IPs, host:port and URLs in incident text are shown
  int refresh_s = 30;           // the page's <meta http-equiv="refresh">
  int sample_interval_s = 60;   // how often each component's state is recorded (read at start)
};

// One [[notify.channels]] table as written; load turns it into a notify::Channel.
struct NotifyChannelSpec {
  std::string name;
  std::string type;                        // pagerduty | slack | telegram | statuspage | webhook
  std::vector<std::string> events;         // empty: all
  std::vector<std::string> severities;     // empty: all
  std::vector<std::string> levels;         // empty: L1
  std::string url;                         // webhook
  std::string base_url;                    // override of the service's API root
  std::string routing_key_file;            // pagerduty
  std::string token_file;                  // slack, telegram, statuspage
  std::string secret_file;                 // webhook HMAC key (optional)
  std::string chat_id;                     // telegram
  std::string page_id;                     // statuspage
  std::vector<std::string> component_ids;  // statuspage
  std::string ca_file;
  int connect_timeout_ms = 3000;
  int timeout_ms = 10000;
  int rate_per_minute = -1;  // -1: the service's published limit (notify::default_rate_per_minute)
  int burst = -1;            // -1: the type's default
  bool group = true;         // slack and telegram only
};

struct Notify {
  std::vector<std::string> webhooks;  // legacy: each becomes a `webhook` channel taking all events
  int webhook_timeout_ms = 2000;      // the legacy webhooks' timeout_ms
  std::string public_url;             // links in notifications: <public_url>/incidents/{id}/report
  int give_up_after_s = 86400;        // a notification still failing this long fails for good
  std::vector<NotifyChannelSpec> channel_specs;
  // After load: the specs and the legacy webhooks, their secrets read.
  std::vector<notify::Channel> channels;
};

struct Config {
  Node node;
  Listeners listeners;
  ApiGateway api_gateway;
  Cache cache;
  PerformanceMonitor performance_monitor;
  Logging logging;
  Security security;
  Mesh mesh;
  Pqc pqc;
  Tls tls;
  Autopilot autopilot;
  Incidents incidents;
  Notify notify;
  StatusPage status;
  Jwt jwt;
  std::vector<Service> services;
  std::string source;  // path it was loaded from, or "<embedded defaults>"
};

// The provider a request of `service` must present a token of; nullptr: the route is open.
// (Load has checked that every named provider exists.)
const JwtProvider* jwt_provider(const Config& config, const Service& service);

// Parse + validate + resolve derived defaults (node.id, incidents.store, cache.backing_file,
// legacy keys). `name` is used in error messages. Every problem is one line:
// "file:line: [section] key: message".
x0::Result<Config> parse(std::string_view toml_text, std::string_view name);
// Read + parse + env overrides (process environment) + validate + resolve.
x0::Result<Config> load_file(const std::string& path);
// Embedded defaults + env overrides + validate + resolve.
x0::Result<Config> load_defaults();
// Applies X0TTA6BL4_* variables from `env`; other variables are ignored, unknown X0TTA6BL4_ ones
// are errors ("X0TTA6BL4_CACHE_CAPACITY: [cache] capacity: ..."). Validates the result but does
// not re-resolve derived defaults: load_* do that after the overrides.
x0::Result<void> apply_env(Config& cfg,
                           const std::vector<std::pair<std::string, std::string>>& env);
// The TOML text of the defaults (byte-identical to examples/x0tta6bl4.toml).
std::string_view embedded_defaults();
// "host:port", "[v6]:port"; port 1..65535; host a DNS name or IP literal.
x0::Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text);
// An upstream endpoint: "host:port", or "http://host[:port]" (port 80) or "https://host[:port]"
// (TLS, port 443), without a path.
x0::Result<Endpoint> parse_endpoint(std::string_view text);
// Every environment variable name load_* understands, e.g. "X0TTA6BL4_CACHE_CAPACITY".
std::vector<std::string> env_variable_names();
// `x0tta6bl4 check-config FILE`: loads like load_file; prints "ok: FILE (N services)" to `out`
// and returns 0, or prints the error lines to `err` and returns 1.
int check_config(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace x0::config
