// Tests for config parsing: the embedded defaults, [[services]] arrays, and that every kind of
// bad input is rejected with an error naming file, line and key.
#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace x0::config {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Parses `text` as "x0.toml" and returns the error detail ("" if it parsed).
std::string error_of(const std::string& text) {
  auto cfg = parse(text, "x0.toml");
  return cfg ? "" : cfg.error().detail;
}

const char* kMinimal = R"(
[[services]]
name = "api"
endpoints = ["10.0.0.1:80"]
)";

TEST(ConfigDefaults, EmbeddedTextIsTheExamplesFile) {
  std::string file = read_file(X0_EXAMPLES_DIR "/x0tta6bl4.toml");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(embedded_defaults(), file);
}

TEST(ConfigDefaults, ParseAndDefineTheDemoService) {
  auto cfg = parse(embedded_defaults(), "<embedded defaults>");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  ASSERT_EQ(cfg->services.size(), 1u);
  const Service& demo = cfg->services[0];
  EXPECT_EQ(demo.name, "demo");
  EXPECT_EQ(demo.path_prefixes, std::vector<std::string>{"/"});
  ASSERT_EQ(demo.endpoints.size(), 2u);
  EXPECT_EQ(demo.endpoints[0].to_string(), "127.0.0.1:9001");
  EXPECT_EQ(demo.endpoints[1].to_string(), "127.0.0.1:9002");
  EXPECT_TRUE(demo.health_check.enabled);
  EXPECT_EQ(demo.health_check.path, "/health");
  EXPECT_TRUE(demo.required);
  EXPECT_EQ(cfg->source, "<embedded defaults>");
  EXPECT_FALSE(cfg->node.id.empty());  // resolved to the host name
  EXPECT_EQ(cfg->incidents.store, "./data/incidents.db");
  EXPECT_EQ(cfg->node.takeover_socket, "./data/takeover.sock");
}

// The file and the struct initialisers state the same defaults; a drift between them would make
// "no --config" and "a config without that key" behave differently.
TEST(ConfigDefaults, FileMatchesStructDefaults) {
  auto cfg = parse(embedded_defaults(), "defaults");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  Config d;
  EXPECT_EQ(cfg->listeners.data, d.listeners.data);
  EXPECT_EQ(cfg->listeners.health, d.listeners.health);
  EXPECT_EQ(cfg->listeners.metrics, d.listeners.metrics);
  EXPECT_EQ(cfg->listeners.mesh, d.listeners.mesh);
  EXPECT_EQ(cfg->listeners.operator_api, d.listeners.operator_api);
  EXPECT_EQ(cfg->node.data_dir, d.node.data_dir);
  const auto &g = cfg->api_gateway, &dg = d.api_gateway;
  EXPECT_EQ(g.worker_threads, dg.worker_threads);
  EXPECT_EQ(g.memory_pool_size, dg.memory_pool_size);
  EXPECT_EQ(g.enable_dpdk, dg.enable_dpdk);
  EXPECT_EQ(g.port, dg.port);
  EXPECT_EQ(g.max_header_bytes, dg.max_header_bytes);
  EXPECT_EQ(g.max_headers, dg.max_headers);
  EXPECT_EQ(g.max_body_bytes, dg.max_body_bytes);
  EXPECT_EQ(g.header_timeout_ms, dg.header_timeout_ms);
  EXPECT_EQ(g.idle_timeout_ms, dg.idle_timeout_ms);
  EXPECT_EQ(g.drain_timeout_ms, dg.drain_timeout_ms);
  EXPECT_EQ(g.max_connections, dg.max_connections);
  EXPECT_EQ(g.max_probe_connections, dg.max_probe_connections);
  const auto &c = cfg->cache, &dc = d.cache;
  EXPECT_EQ(c.capacity, dc.capacity);
  EXPECT_EQ(c.max_bytes, dc.max_bytes);
  EXPECT_EQ(c.shard_count, dc.shard_count);
  EXPECT_EQ(c.stale_if_error_s, dc.stale_if_error_s);
  EXPECT_EQ(c.enabled, dc.enabled);
  EXPECT_EQ(c.enable_preloading, dc.enable_preloading);
  EXPECT_EQ(c.default_ttl_s, dc.default_ttl_s);
  EXPECT_EQ(c.snapshot_interval_s, dc.snapshot_interval_s);
  EXPECT_EQ(c.preload_urls, dc.preload_urls);
  EXPECT_EQ(c.verify_sample_rate, dc.verify_sample_rate);
  EXPECT_EQ(c.snapshot_keep, dc.snapshot_keep);
  EXPECT_EQ(cfg->performance_monitor.prometheus_port, d.performance_monitor.prometheus_port);
  EXPECT_EQ(cfg->logging.level, d.logging.level);
  EXPECT_EQ(cfg->logging.max_size_mb, d.logging.max_size_mb);
  EXPECT_EQ(cfg->security.admin_loopback_trusted, d.security.admin_loopback_trusted);
  EXPECT_EQ(cfg->pqc.mode, d.pqc.mode);
  EXPECT_EQ(cfg->autopilot.enabled, d.autopilot.enabled);
  const Service& s = cfg->services[0];
  Service ds;
  EXPECT_EQ(s.passive_eject_failures, ds.passive_eject_failures);
  EXPECT_EQ(s.connect_timeout_ms, ds.connect_timeout_ms);
  EXPECT_EQ(s.request_timeout_ms, ds.request_timeout_ms);
  EXPECT_EQ(s.retries, ds.retries);
  EXPECT_EQ(s.max_idle_per_endpoint, ds.max_idle_per_endpoint);
  EXPECT_EQ(s.cache_enabled, ds.cache_enabled);
  EXPECT_EQ(s.cache_ttl_s, ds.cache_ttl_s);
  EXPECT_EQ(s.health_check.interval_ms, ds.health_check.interval_ms);
  EXPECT_EQ(s.health_check.timeout_ms, ds.health_check.timeout_ms);
  EXPECT_EQ(s.health_check.healthy_threshold, ds.health_check.healthy_threshold);
  EXPECT_EQ(s.health_check.unhealthy_threshold, ds.health_check.unhealthy_threshold);
}

TEST(ConfigDefaults, EveryEnvKeyIsDocumented) {
  std::string docs = read_file(X0_DOCS_DIR "/CONFIG.md");
  ASSERT_FALSE(docs.empty());
  for (const std::string& name : env_variable_names())
    EXPECT_NE(docs.find(name), std::string::npos) << name << " missing from docs/CONFIG.md";
}

TEST(ConfigServices, ArrayOfServicesWithAllKeys) {
  auto cfg = parse(R"(
[[services]]
name = "web"
hosts = ["Example.COM", "*.example.com"]
path_prefixes = ["/", "/static"]
endpoints = ["10.0.0.1:80", "backend.local:8080", "[::1]:9000"]
fallback = ["10.0.0.9:80"]
balance = "least_request"
passive_eject_failures = 3
connect_timeout_ms = 200
request_timeout_ms = 3000
retries = 2
max_idle_per_endpoint = 8
required = false
health_check = { path = "/ping", interval_ms = 250, healthy_threshold = 1 }

[[services]]
name = "api-v2"
endpoints = ["10.0.0.2:81"]
[services.health_check]
enabled = false
)",
                   "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  ASSERT_EQ(cfg->services.size(), 2u);
  const Service& web = cfg->services[0];
  EXPECT_EQ(web.hosts, (std::vector<std::string>{"example.com", "*.example.com"}));
  EXPECT_EQ(web.path_prefixes, (std::vector<std::string>{"/", "/static"}));
  ASSERT_EQ(web.endpoints.size(), 3u);
  EXPECT_EQ(web.endpoints[1].host, "backend.local");
  EXPECT_EQ(web.endpoints[1].port, 8080);
  EXPECT_EQ(web.endpoints[2].host, "::1");
  EXPECT_EQ(web.endpoints[2].to_string(), "[::1]:9000");
  EXPECT_EQ(web.fallback, (std::vector<Endpoint>{{"10.0.0.9", 80}}));
  EXPECT_EQ(web.balance, Balance::kLeastRequest);
  EXPECT_EQ(web.passive_eject_failures, 3);
  EXPECT_EQ(web.connect_timeout_ms, 200);
  EXPECT_EQ(web.request_timeout_ms, 3000);
  EXPECT_EQ(web.retries, 2);
  EXPECT_EQ(web.max_idle_per_endpoint, 8);
  EXPECT_FALSE(web.required);
  EXPECT_EQ(web.health_check.path, "/ping");
  EXPECT_EQ(web.health_check.interval_ms, 250);
  EXPECT_EQ(web.health_check.healthy_threshold, 1);
  EXPECT_EQ(web.health_check.unhealthy_threshold, 2);  // untouched default
  const Service& api = cfg->services[1];
  EXPECT_EQ(api.name, "api-v2");
  EXPECT_FALSE(api.health_check.enabled);
  EXPECT_EQ(api.balance, Balance::kRoundRobin);
  EXPECT_EQ(api.path_prefixes, std::vector<std::string>{"/"});
}

TEST(ConfigServices, NoServicesIsValid) {
  auto cfg = parse("[cache]\ncapacity = 5\n", "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_TRUE(cfg->services.empty());
  EXPECT_EQ(cfg->cache.capacity, 5);
}

TEST(ConfigServices, DuplicateNamesNameBothLines) {
  std::string e = error_of(std::string(kMinimal) + kMinimal);
  EXPECT_EQ(e, "x0.toml:7: [services.api] name: duplicate service name (also at x0.toml:3)");
}

TEST(ConfigServices, MissingNameAndEndpoints) {
  std::string e = error_of("[[services]]\nhosts = [\"a.com\"]\n");
  EXPECT_NE(e.find("x0.toml:1: [services[0]] name: required key missing"), std::string::npos) << e;
  EXPECT_NE(e.find("x0.toml:1: [services[0]] endpoints: at least one endpoint"), std::string::npos)
      << e;
  e = error_of("[[services]]\nname = \"a\"\nendpoints = []\n");
  EXPECT_EQ(e, "x0.toml:3: [services.a] endpoints: at least one endpoint is required");
}

TEST(ConfigServices, BadServiceValuesNameTheKey) {
  std::string base = "[[services]]\nname = \"a\"\nendpoints = [\"10.0.0.1:80\"]\n";
  EXPECT_EQ(
      error_of(base + "path_prefixes = [\"api\"]\n"),
      "x0.toml:4: [services.a] path_prefixes: expected a path starting with '/', got \"api\"");
  EXPECT_EQ(error_of(base + "balance = \"random\"\n"),
            "x0.toml:4: [services.a] balance: expected one of round_robin, least_request, got "
            "\"random\"");
  EXPECT_EQ(error_of(base + "[services.health_check]\nhealthy_threshold = 0\n"),
            "x0.toml:5: [services.a] health_check.healthy_threshold: expected a positive integer, "
            "got 0");
  EXPECT_EQ(error_of(base + "health_check = { intervl_ms = 5 }\n"),
            "x0.toml:4: [services.a] health_check.intervl_ms: unknown key (did you mean "
            "interval_ms?)");
  EXPECT_EQ(error_of(base + "health_check = 5\n"),
            "x0.toml:4: [services.a] health_check: expected a table, got integer 5");
  EXPECT_EQ(
      error_of("[[services]]\nname = \"Bad Name\"\nendpoints = [\"10.0.0.1:80\"]\n"),
      "x0.toml:2: [services[0]] name: expected 1-64 characters of [a-z0-9_-], got \"Bad Name\"");
  std::string e = error_of("[[services]]\nname = \"a\"\nendpoints = [\"10.0.0.1\"]\n");
  EXPECT_TRUE(e.starts_with("x0.toml:3: [services.a] endpoints: expected \"host:port\"")) << e;
  e = error_of("[[services]]\nname = \"a\"\nendpoints = [\"10.0.0.1:0\"]\n");
  EXPECT_TRUE(e.starts_with("x0.toml:3: [services.a] endpoints:")) << e;
  EXPECT_EQ(error_of("services = 3\n"),
            "x0.toml:1: [services]: expected [[services]] tables, got "
            "integer 3");
}

TEST(ConfigErrors, ExampleFromTheSpec) {
  EXPECT_EQ(error_of("\n\n[cache]\ncapacity = -3\n"),
            "x0.toml:4: [cache] capacity: expected a positive integer, got -3");
}

TEST(ConfigErrors, UnknownSectionAndKey) {
  EXPECT_EQ(error_of("[cache]\ncapcity = 1\n"),
            "x0.toml:2: [cache] capcity: unknown key (did you mean capacity?)");
  EXPECT_EQ(error_of("[cache]\nzzzzzzzz = 1\n"), "x0.toml:2: [cache] zzzzzzzz: unknown key");
  EXPECT_EQ(error_of("a = 1\n[cachee]\nx = 1\n"),
            "x0.toml:1: [a]: unknown section\nx0.toml:2: [cachee]: unknown section (did you mean "
            "cache?)");
  EXPECT_EQ(error_of("cache = 1\n"), "x0.toml:1: [cache]: expected a [cache] table, got integer 1");
}

TEST(ConfigErrors, TypeMismatchNamesLineAndKey) {
  EXPECT_EQ(error_of("[api_gateway]\nworker_threads = \"four\"\n"),
            "x0.toml:2: [api_gateway] worker_threads: expected an integer in 0..256, got string "
            "\"four\"");
  EXPECT_EQ(error_of("[api_gateway]\nenable_dpdk = 1\n"),
            "x0.toml:2: [api_gateway] enable_dpdk: expected true or false, got integer 1");
  EXPECT_EQ(error_of("[logging]\nlevel = 3\n"),
            "x0.toml:2: [logging] level: expected a string, got integer 3");
  EXPECT_EQ(error_of("[cache]\nmax_bytes = 1.5\n"),
            "x0.toml:2: [cache] max_bytes: expected a positive integer, got float 1.500000");
  EXPECT_EQ(error_of("[mesh]\npeers = [1]\n"),
            "x0.toml:2: [mesh] peers: expected an array of strings, got an array containing "
            "integer 1");
  EXPECT_EQ(error_of("[mesh]\npeers = \"a:1\"\n"),
            "x0.toml:2: [mesh] peers: expected an array of strings, got string \"a:1\"");
}

TEST(ConfigErrors, RangesAndChoices) {
  EXPECT_EQ(error_of("[api_gateway]\nworker_threads = 257\n"),
            "x0.toml:2: [api_gateway] worker_threads: expected an integer in 0..256, got 257");
  EXPECT_EQ(
      error_of("[api_gateway]\nport = 70000\n"),
      "x0.toml:2: [api_gateway] port: expected a port number 0..65535 (0 = unset), got 70000");
  EXPECT_EQ(error_of("[performance_monitor]\nprometheus_port = 0\n"),
            "x0.toml:2: [performance_monitor] prometheus_port: expected a port number 1..65535, "
            "got 0");
  EXPECT_EQ(error_of("[api_gateway]\nheader_timeout_ms = 0\n"),
            "x0.toml:2: [api_gateway] header_timeout_ms: expected a positive integer, got 0");
  EXPECT_EQ(
      error_of("[logging]\nlevel = \"verbose\"\n"),
      "x0.toml:2: [logging] level: expected one of error, warn, info, debug, got \"verbose\"");
  EXPECT_EQ(error_of("[pqc]\nmode = \"off\"\n"),
            "x0.toml:2: [pqc] mode: expected one of required, preferred, disabled, got \"off\"");
  EXPECT_EQ(error_of("[notify]\nwebhooks = [\"ftp://x\"]\n"),
            "x0.toml:2: [notify] webhooks: expected an http:// or https:// URL, got \"ftp://x\"");
  std::string e = error_of("[listeners]\ndata = \"localhost\"\n");
  EXPECT_TRUE(e.starts_with("x0.toml:2: [listeners] data: expected \"host:port\"")) << e;
  e = error_of("[listeners]\ndata = \"300.1.1.1:80\"\n");
  EXPECT_TRUE(e.starts_with("x0.toml:2: [listeners] data: expected \"host:port\" (bad IPv4")) << e;
  EXPECT_EQ(error_of("[listeners]\nhealth = \"127.0.0.1:8080\"\n"),
            "x0.toml:2: [listeners] health: same address as listeners.data (127.0.0.1:8080)");
  EXPECT_EQ(error_of("[listeners]\noperator = \"127.0.0.1:8081\"\n"),
            "x0.toml:2: [listeners] operator: same address as listeners.health (127.0.0.1:8081)");
  e = error_of("[listeners]\noperator = \"8082\"\n");
  EXPECT_TRUE(e.starts_with("x0.toml:2: [listeners] operator: expected")) << e;
}

// The operator API's own listener is off by default (empty), which no other listener clashes
// with, and takes an address like the others.
TEST(ConfigListeners, OperatorListenerIsOptional) {
  auto off = parse("[listeners]\ndata = \"127.0.0.1:8080\"\n", "x0.toml");
  ASSERT_TRUE(off) << off.error().detail;
  EXPECT_EQ(off->listeners.operator_api, "");
  auto on = parse("[listeners]\noperator = \"127.0.0.1:8082\"\n", "x0.toml");
  ASSERT_TRUE(on) << on.error().detail;
  EXPECT_EQ(on->listeners.operator_api, "127.0.0.1:8082");
}

TEST(ConfigErrors, EveryProblemIsReportedOnItsOwnLine) {
  std::string e = error_of("[cache]\ncapacity = 0\nshard_count = 0\n[logging]\nmax_files = 0\n");
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 2) << e;
  EXPECT_NE(e.find("x0.toml:2: [cache] capacity"), std::string::npos);
  EXPECT_NE(e.find("x0.toml:3: [cache] shard_count"), std::string::npos);
  EXPECT_NE(e.find("x0.toml:5: [logging] max_files"), std::string::npos);
}

TEST(ConfigErrors, SyntaxErrorNamesTheLine) {
  std::string e = error_of("[cache]\ncapacity = = 3\n");
  EXPECT_TRUE(e.starts_with("x0.toml:2: toml syntax:")) << e;
  e = error_of("[cache]\ncapacity = 1\ncapacity = 2\n");
  EXPECT_TRUE(e.starts_with("x0.toml:3: toml syntax:")) << e;
}

TEST(ConfigLegacy, PortAndFallbackUpstreamApply) {
  auto cfg = parse(std::string("[api_gateway]\nport = 8088\nfallback_upstream = \"10.9.9.9:80\"\n"
                               "[performance_monitor]\nprometheus_port = 9100\n") +
                       kMinimal,
                   "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_EQ(cfg->listeners.data, "127.0.0.1:8088");
  EXPECT_EQ(cfg->listeners.metrics, "127.0.0.1:9100");
  ASSERT_EQ(cfg->services[0].fallback.size(), 1u);
  EXPECT_EQ(cfg->services[0].fallback[0].to_string(), "10.9.9.9:80");
}

TEST(ConfigHostPort, Parses) {
  auto hp = parse_host_port("example.com:443");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->first, "example.com");
  EXPECT_EQ(hp->second, 443);
  EXPECT_TRUE(parse_host_port("0.0.0.0:1"));
  EXPECT_TRUE(parse_host_port("[::]:65535"));
  for (const char* bad : {"", ":80", "host", "host:", "host:0", "host:65536", "host:8o", "a b:80",
                          "1.2.3:80", "::1:80", "[::1]80", "[]:80", "host:-1"})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
}

TEST(ConfigEndpoint, PlainHttpAndHttpsForms) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
    bool tls;
    const char* written;  // to_string(): what a release record stores and parses back
  };
  for (const Case& c : {Case{"10.0.0.5:8080", "10.0.0.5", 8080, false, "10.0.0.5:8080"},
                        Case{"http://app.internal", "app.internal", 80, false, "app.internal:80"},
                        Case{"http://app.internal:81/", "app.internal", 81, false, "app.internal:81"},
                        Case{"https://api.example.com", "api.example.com", 443, true,
                             "https://api.example.com:443"},
                        Case{"https://10.0.0.5:8443", "10.0.0.5", 8443, true, "https://10.0.0.5:8443"},
                        Case{"https://[::1]:8443", "::1", 8443, true, "https://[::1]:8443"},
                        Case{"https://[::1]", "::1", 443, true, "https://[::1]:443"}}) {
    auto e = parse_endpoint(c.text);
    ASSERT_TRUE(e) << c.text << ": " << e.error().detail;
    EXPECT_EQ(e->host, c.host) << c.text;
    EXPECT_EQ(e->port, c.port) << c.text;
    EXPECT_EQ(e->tls, c.tls) << c.text;
    EXPECT_EQ(e->to_string(), c.written) << c.text;
    EXPECT_EQ(*parse_endpoint(e->to_string()), *e) << c.text;
  }
  for (const char* bad : {"https://", "https://host:0", "https://host/path", "ftp://host:21",
                          "host", "https://::1", "https://host:443/x", "HTTPS//host:1"})
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
}

TEST(ConfigLoad, FileNotFoundAndCheckConfig) {
  auto missing = load_file("/nonexistent/x0.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("/nonexistent/x0.toml"), std::string::npos);

  std::string path = testing::TempDir() + "x0_check_config.toml";
  { std::ofstream(path) << "[cache]\ncapacity = -3\n"; }
  std::ostringstream out, err;
  EXPECT_EQ(check_config(path, out, err), 1);
  EXPECT_EQ(err.str(), path + ":2: [cache] capacity: expected a positive integer, got -3\n");
  { std::ofstream(path) << kMinimal; }
  std::ostringstream out2, err2;
  EXPECT_EQ(check_config(path, out2, err2), 0) << err2.str();
  EXPECT_EQ(out2.str(), "ok: " + path + " (1 service)\n");
}

}  // namespace
}  // namespace x0::config
