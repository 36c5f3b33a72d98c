// Tests for X0TTA6BL4_<SECTION>_<KEY> environment overrides: each scalar type, lists, bad values
// and unknown variables (errors name the variable), and the process-environment path of load_*.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>

#include "config/config.h"

namespace x0::config {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

Config defaults() {
  auto cfg = parse(embedded_defaults(), "<embedded defaults>");
  EXPECT_TRUE(cfg) << cfg.error().detail;
  return *cfg;
}

TEST(ConfigEnv, OverridesEachType) {
  Config cfg = defaults();
  auto r = apply_env(cfg, {{"X0TTA6BL4_API_GATEWAY_WORKER_THREADS", "2"},
                           {"X0TTA6BL4_LISTENERS_DATA", "127.0.0.1:9000"},
                           {"X0TTA6BL4_CACHE_MAX_BYTES", "1099511627776"},  // > 32 bits
                           {"X0TTA6BL4_SECURITY_ISOLATE", "true"},
                           {"X0TTA6BL4_API_GATEWAY_ENABLE_DPDK", "1"},
                           {"X0TTA6BL4_AUTOPILOT_ENABLED", "FALSE"},
                           {"X0TTA6BL4_API_GATEWAY_PORT", "8088"},
                           {"X0TTA6BL4_LOGGING_LEVEL", "DEBUG"},
                           {"X0TTA6BL4_SECURITY_ADMIN_TOKEN", "s3cret=with=equals"},
                           {"X0TTA6BL4_MESH_PEERS", "10.0.0.1:7946, node-b:7946"},
                           {"PATH", "/usr/bin"}});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(cfg.api_gateway.worker_threads, 2);
  EXPECT_EQ(cfg.listeners.data, "127.0.0.1:9000");
  EXPECT_EQ(cfg.cache.max_bytes, int64_t{1} << 40);
  EXPECT_TRUE(cfg.security.isolate);
  EXPECT_TRUE(cfg.api_gateway.enable_dpdk);
  EXPECT_FALSE(cfg.autopilot.enabled);
  EXPECT_EQ(cfg.api_gateway.port, 8088);
  EXPECT_EQ(cfg.logging.level, "debug");
  EXPECT_EQ(cfg.security.admin_token, "s3cret=with=equals");
  EXPECT_EQ(cfg.mesh.peers, (std::vector<std::string>{"10.0.0.1:7946", "node-b:7946"}));
}

TEST(ConfigEnv, BadValuesNameTheVariableAndLeaveConfigUntouched) {
  Config cfg = defaults();
  auto r = apply_env(cfg, {{"X0TTA6BL4_CACHE_CAPACITY", "-3"},
                           {"X0TTA6BL4_API_GATEWAY_WORKER_THREADS", "two"},
                           {"X0TTA6BL4_SECURITY_ISOLATE", "yes please"},
                           {"X0TTA6BL4_LISTENERS_HEALTH", "nowhere"},
                           {"X0TTA6BL4_PQC_MODE", "off"},
                           {"X0TTA6BL4_LOGGING_MAX_FILES", "5 "},
                           {"X0TTA6BL4_NODE_DATA_DIR", "/var/lib/x0"}});
  ASSERT_FALSE(r);
  const std::string& e = r.error().detail;
  EXPECT_NE(
      e.find("X0TTA6BL4_CACHE_CAPACITY: [cache] capacity: expected a positive integer, got -3"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("X0TTA6BL4_API_GATEWAY_WORKER_THREADS: [api_gateway] worker_threads: expected "
                   "an integer in 0..256, got \"two\""),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("X0TTA6BL4_SECURITY_ISOLATE: [security] isolate: expected true or false"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("X0TTA6BL4_LISTENERS_HEALTH: [listeners] health: expected \"host:port\""),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("X0TTA6BL4_PQC_MODE: [pqc] mode:"), std::string::npos) << e;
  EXPECT_NE(e.find("X0TTA6BL4_LOGGING_MAX_FILES: [logging] max_files:"), std::string::npos) << e;
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 5) << e;
  EXPECT_EQ(cfg.node.data_dir, "./data");  // the good variable was not applied either
  EXPECT_EQ(cfg.cache.capacity, 10000);
}

TEST(ConfigEnv, OutOfRangeForTheKeysType) {
  Config cfg = defaults();
  auto r = apply_env(cfg, {{"X0TTA6BL4_API_GATEWAY_MAX_HEADERS", "99999999999"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail,
            "X0TTA6BL4_API_GATEWAY_MAX_HEADERS: [api_gateway] max_headers: expected an integer in "
            "1..10000, got 99999999999");
  r = apply_env(cfg, {{"X0TTA6BL4_PERFORMANCE_MONITOR_PROMETHEUS_PORT", "65536"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("expected a port number 1..65535, got 65536"), std::string::npos);
}

TEST(ConfigEnv, UnknownVariablesAreErrors) {
  Config cfg = defaults();
  auto r = apply_env(cfg, {{"X0TTA6BL4_CACHE_CAPCITY", "5"},
                           {"X0TTA6BL4_", ""},
                           {"X0TTA6BL4_SERVICES_DEMO_RETRIES", "2"},
                           {"OTHER_CACHE_CAPACITY", "x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail,
            "X0TTA6BL4_CACHE_CAPCITY: unknown variable (no such configuration key; see "
            "docs/CONFIG.md)\n"
            "X0TTA6BL4_: unknown variable (no such configuration key; see docs/CONFIG.md)\n"
            "X0TTA6BL4_SERVICES_DEMO_RETRIES: unknown variable (no such configuration key; see "
            "docs/CONFIG.md)");
}

TEST(ConfigEnv, ConflictAfterOverrideNamesTheVariable) {
  Config cfg = defaults();
  auto r = apply_env(cfg, {{"X0TTA6BL4_LISTENERS_METRICS", "127.0.0.1:8081"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail,
            "X0TTA6BL4_LISTENERS_METRICS: [listeners] metrics: same address as listeners.health "
            "(127.0.0.1:8081)");
}

TEST(ConfigEnv, EveryScalarKeyHasOneUniqueVariable) {
  std::vector<std::string> names = env_variable_names();
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  EXPECT_TRUE(unique.contains("X0TTA6BL4_API_GATEWAY_WORKER_THREADS"));
  EXPECT_TRUE(unique.contains("X0TTA6BL4_PERFORMANCE_MONITOR_COLLECTION_INTERVAL_MS"));
  EXPECT_TRUE(unique.contains("X0TTA6BL4_SECURITY_RATE_LIMIT_REQUESTS_PER_SECOND"));
  EXPECT_GE(names.size(), 50u);
  // Each one is accepted by apply_env (with a value its key accepts, where the default is one).
  Config cfg = defaults();
  for (const std::string& name : names) {
    Config copy = cfg;
    auto r = apply_env(copy, {{name, "1"}});
    if (r) continue;
    EXPECT_EQ(r.error().detail.find("unknown variable"), std::string::npos) << r.error().detail;
  }
}

// load_* read the real process environment, and resolve derived values after the overrides.
TEST(ConfigEnv, LoadDefaultsReadsProcessEnvironment) {
  ASSERT_EQ(setenv("X0TTA6BL4_NODE_DATA_DIR", "/tmp/x0-env-test", 1), 0);
  ASSERT_EQ(setenv("X0TTA6BL4_NODE_ID", "node-7", 1), 0);
  auto cfg = load_defaults();
  ASSERT_EQ(setenv("X0TTA6BL4_CACHE_CAPACITY", "0", 1), 0);
  auto bad = load_defaults();
  unsetenv("X0TTA6BL4_NODE_DATA_DIR");
  unsetenv("X0TTA6BL4_NODE_ID");
  unsetenv("X0TTA6BL4_CACHE_CAPACITY");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_EQ(cfg->node.id, "node-7");
  EXPECT_EQ(cfg->incidents.store, "/tmp/x0-env-test/incidents.db");
  EXPECT_EQ(cfg->source, "<embedded defaults>");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().detail,
            "X0TTA6BL4_CACHE_CAPACITY: [cache] capacity: expected a positive integer, got 0");
}

}  // namespace
}  // namespace x0::config
