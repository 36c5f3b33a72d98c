// Tests for the response-cache keys: [cache] verify_sample_rate (the schema's one floating-point
// key, so also the TOML and environment number parsers), snapshot_keep, backing_file resolved to
// the data directory, and the per-route [[services]] cache and cache_ttl_s.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace x0::config {
namespace {

std::string error_of(const std::string& text) {
  auto cfg = parse(text, "x0.toml");
  return cfg ? "" : cfg.error().detail;
}

Config parsed(const std::string& text) {
  auto cfg = parse(text, "x0.toml");
  EXPECT_TRUE(cfg) << cfg.error().detail;
  return cfg ? *cfg : Config{};
}

// The error of applying one variable to the defaults ("" if accepted).
std::string env_error(const std::string& name, const std::string& value) {
  Config cfg = parsed("");
  auto r = apply_env(cfg, {{name, value}});
  return r ? "" : r.error().detail;
}

const char* kService = "[[services]]\nname = \"api\"\nendpoints = [\"10.0.0.1:80\"]\n";

TEST(ConfigCacheKeys, Defaults) {
  Config cfg = parsed("");
  EXPECT_DOUBLE_EQ(cfg.cache.verify_sample_rate, 0.01);
  EXPECT_EQ(cfg.cache.snapshot_keep, 3);
  Service svc = parsed(kService).services.at(0);
  EXPECT_TRUE(svc.cache_enabled);
  EXPECT_EQ(svc.cache_ttl_s, 0);
}

TEST(ConfigCacheKeys, VerifySampleRateAcceptsFloatsAndIntegersInRange) {
  EXPECT_DOUBLE_EQ(parsed("[cache]\nverify_sample_rate = 0.25\n").cache.verify_sample_rate, 0.25);
  EXPECT_DOUBLE_EQ(parsed("[cache]\nverify_sample_rate = 1e-3\n").cache.verify_sample_rate, 0.001);
  EXPECT_EQ(parsed("[cache]\nverify_sample_rate = 0.0\n").cache.verify_sample_rate, 0.0);
  EXPECT_EQ(parsed("[cache]\nverify_sample_rate = 1.0\n").cache.verify_sample_rate, 1.0);
  EXPECT_EQ(parsed("[cache]\nverify_sample_rate = 0\n").cache.verify_sample_rate, 0.0);
  EXPECT_EQ(parsed("[cache]\nverify_sample_rate = 1\n").cache.verify_sample_rate, 1.0);
  double zero = parsed("[cache]\nverify_sample_rate = -0.0\n").cache.verify_sample_rate;
  EXPECT_EQ(zero, 0.0);
  EXPECT_FALSE(std::signbit(zero));  // stored as +0, so "rate > 0" and printing behave
}

TEST(ConfigCacheKeys, VerifySampleRateRejectsOutOfRangeAndNonNumbers) {
  const std::string k = "x0.toml:3: [cache] verify_sample_rate: expected a number in 0..1, got ";
  const std::string head = "[cache]\n\nverify_sample_rate = ";
  EXPECT_EQ(error_of(head + "1.5\n"), k + "1.5");
  EXPECT_EQ(error_of(head + "1.0000001\n"), k + "1.0000001");
  EXPECT_EQ(error_of(head + "-0.01\n"), k + "-0.01");
  EXPECT_EQ(error_of(head + "2\n"), k + "2");
  EXPECT_EQ(error_of(head + "-1\n"), k + "-1");
  EXPECT_EQ(error_of(head + "nan\n"), k + "nan");
  EXPECT_EQ(error_of(head + "inf\n"), k + "inf");
  EXPECT_EQ(error_of(head + "-inf\n"), k + "-inf");
  EXPECT_EQ(error_of(head + "\"0.5\"\n"), k + "string \"0.5\"");
  EXPECT_EQ(error_of(head + "true\n"), k + "true");
  EXPECT_EQ(error_of(head + "[0.5]\n"), k + "an array containing float 0.500000");
  // A rejected value leaves nothing half-set: parse fails as a whole.
  EXPECT_FALSE(parse(head + "7\n", "x0.toml"));
}

TEST(ConfigCacheKeys, FloatsStillRejectedForIntegerKeys) {
  EXPECT_EQ(error_of("[cache]\nsnapshot_keep = 2.0\n"),
            "x0.toml:2: [cache] snapshot_keep: expected an integer in 1..1000, got float 2.000000");
  EXPECT_EQ(error_of("[cache]\ncapacity = nan\n"),
            "x0.toml:2: [cache] capacity: expected a positive integer, got float nan");
}

TEST(ConfigCacheKeys, SnapshotKeepRange) {
  EXPECT_EQ(parsed("[cache]\nsnapshot_keep = 1\n").cache.snapshot_keep, 1);
  EXPECT_EQ(parsed("[cache]\nsnapshot_keep = 1000\n").cache.snapshot_keep, 1000);
  EXPECT_EQ(error_of("[cache]\nsnapshot_keep = 0\n"),
            "x0.toml:2: [cache] snapshot_keep: expected an integer in 1..1000, got 0");
  EXPECT_EQ(error_of("[cache]\nsnapshot_keep = 1001\n"),
            "x0.toml:2: [cache] snapshot_keep: expected an integer in 1..1000, got 1001");
  EXPECT_EQ(error_of("[cache]\nsnapshot_keep = \"3\"\n"),
            "x0.toml:2: [cache] snapshot_keep: expected an integer in 1..1000, got string \"3\"");
}

TEST(ConfigCacheKeys, EnvOverridesNewCacheKeys) {
  Config cfg = parsed("");
  auto r = apply_env(cfg, {{"X0TTA6BL4_CACHE_VERIFY_SAMPLE_RATE", "0.5"},
                           {"X0TTA6BL4_CACHE_SNAPSHOT_KEEP", "10"}});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_DOUBLE_EQ(cfg.cache.verify_sample_rate, 0.5);
  EXPECT_EQ(cfg.cache.snapshot_keep, 10);
  for (const auto& [text, want] : std::vector<std::pair<std::string, double>>{
           {"0", 0.0}, {"1", 1.0}, {"5e-2", 0.05}, {"0.125", 0.125}, {".5", 0.5}}) {
    Config c = parsed("");
    auto ok = apply_env(c, {{"X0TTA6BL4_CACHE_VERIFY_SAMPLE_RATE", text}});
    ASSERT_TRUE(ok) << text << ": " << ok.error().detail;
    EXPECT_DOUBLE_EQ(c.cache.verify_sample_rate, want) << text;
  }
}

TEST(ConfigCacheKeys, EnvRejectsBadNumbers) {
  const std::string var = "X0TTA6BL4_CACHE_VERIFY_SAMPLE_RATE";
  const std::string k = var + ": [cache] verify_sample_rate: expected a number in 0..1, got ";
  for (const char* bad : {"1.5", "-0.1", "2", "nan", "NaN", "inf", "-inf", "infinity", "", "abc",
                          "0.5 ", " 0.5", "+0.5", "0,5", "1e400", "0x1p-2", "true"})
    EXPECT_EQ(env_error(var, bad), k + "\"" + bad + "\"") << bad;
  EXPECT_EQ(env_error("X0TTA6BL4_CACHE_SNAPSHOT_KEEP", "0"),
            "X0TTA6BL4_CACHE_SNAPSHOT_KEEP: [cache] snapshot_keep: expected an integer in 1..1000, "
            "got 0");
  EXPECT_EQ(env_error("X0TTA6BL4_CACHE_SNAPSHOT_KEEP", "0.5"),
            "X0TTA6BL4_CACHE_SNAPSHOT_KEEP: [cache] snapshot_keep: expected an integer in 1..1000, "
            "got \"0.5\"");
  // A bad value leaves the config as it was.
  Config cfg = parsed("[cache]\nverify_sample_rate = 0.2\n");
  EXPECT_FALSE(apply_env(cfg, {{var, "3"}}));
  EXPECT_DOUBLE_EQ(cfg.cache.verify_sample_rate, 0.2);
}

TEST(ConfigCacheKeys, BackingFileDefaultsToDataDir) {
  EXPECT_EQ(parsed("").cache.backing_file, "./data");
  EXPECT_EQ(parsed("[node]\ndata_dir = \"/var/lib/x0\"\n").cache.backing_file, "/var/lib/x0");
  EXPECT_EQ(parsed("[node]\ndata_dir = \"\"\n").cache.backing_file, ".");
  EXPECT_EQ(parsed("[node]\ndata_dir = \"/var/lib/x0\"\n[cache]\nbacking_file = \"/srv/snaps\"\n")
                .cache.backing_file,
            "/srv/snaps");
  auto defaults = parse(embedded_defaults(), "<embedded defaults>");
  ASSERT_TRUE(defaults) << defaults.error().detail;
  EXPECT_EQ(defaults->cache.backing_file, defaults->node.data_dir);
}

// load_* resolve after the environment, so an overridden data_dir moves the snapshots too.
TEST(ConfigCacheKeys, BackingFileFollowsDataDirFromEnvironment) {
  ASSERT_EQ(setenv("X0TTA6BL4_NODE_DATA_DIR", "/tmp/x0-cache-env", 1), 0);
  auto cfg = load_defaults();
  ASSERT_EQ(setenv("X0TTA6BL4_CACHE_BACKING_FILE", "/tmp/x0-snaps", 1), 0);
  auto explicit_dir = load_defaults();
  unsetenv("X0TTA6BL4_NODE_DATA_DIR");
  unsetenv("X0TTA6BL4_CACHE_BACKING_FILE");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_EQ(cfg->cache.backing_file, "/tmp/x0-cache-env");
  ASSERT_TRUE(explicit_dir) << explicit_dir.error().detail;
  EXPECT_EQ(explicit_dir->cache.backing_file, "/tmp/x0-snaps");
}

TEST(ConfigCacheKeys, ServiceCacheKeys) {
  Config cfg = parsed(std::string(kService) + "cache = false\ncache_ttl_s = 120\n" +
                      "[[services]]\nname = \"web\"\nendpoints = [\"10.0.0.2:80\"]\n" +
                      "cache_ttl_s = 9223372036854775807\n");
  ASSERT_EQ(cfg.services.size(), 2u);
  EXPECT_FALSE(cfg.services[0].cache_enabled);
  EXPECT_EQ(cfg.services[0].cache_ttl_s, 120);
  EXPECT_TRUE(cfg.services[1].cache_enabled);
  EXPECT_EQ(cfg.services[1].cache_ttl_s, INT64_MAX);
}

TEST(ConfigCacheKeys, ServiceCacheKeyErrors) {
  std::string base = kService;  // lines 1-3
  EXPECT_EQ(error_of(base + "cache_ttl_s = -1\n"),
            "x0.toml:4: [services.api] cache_ttl_s: expected a non-negative integer, got -1");
  EXPECT_EQ(error_of(base + "cache_ttl_s = 1.5\n"),
            "x0.toml:4: [services.api] cache_ttl_s: expected a non-negative integer, got float "
            "1.500000");
  EXPECT_EQ(error_of(base + "cache = \"off\"\n"),
            "x0.toml:4: [services.api] cache: expected true or false, got string \"off\"");
  EXPECT_EQ(error_of(base + "cache = 0\n"),
            "x0.toml:4: [services.api] cache: expected true or false, got integer 0");
  EXPECT_EQ(error_of(base + "cache_enabled = false\n"),
            "x0.toml:4: [services.api] cache_enabled: unknown key");
  EXPECT_EQ(error_of(base + "cache_ttl = 5\n"),
            "x0.toml:4: [services.api] cache_ttl: unknown key (did you mean cache_ttl_s?)");
}

TEST(ConfigCacheKeys, ServicesHaveNoEnvironmentVariables) {
  EXPECT_EQ(env_error("X0TTA6BL4_SERVICES_CACHE_TTL_S", "5"),
            "X0TTA6BL4_SERVICES_CACHE_TTL_S: unknown variable (no such configuration key; see "
            "docs/CONFIG.md)");
}

}  // namespace
}  // namespace x0::config
