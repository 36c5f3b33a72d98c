// The status page's keys ([status], docs/CONFIG.md): defaults, every key read from TOML and the
// environment, and the ranges refused with the key named.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace x0::config {
namespace {

TEST(ConfigStatusKeys, DefaultsArePublicPageSampledEveryMinute) {
  auto cfg = parse("", "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_TRUE(cfg->status.enabled);
  EXPECT_EQ(cfg->status.page_name, "");
  EXPECT_FALSE(cfg->status.show_addresses);
  EXPECT_EQ(cfg->status.refresh_s, 30);
  EXPECT_EQ(cfg->status.sample_interval_s, 60);
}

TEST(ConfigStatusKeys, EveryKeyFromTomlAndEnvironment) {
  auto cfg = parse(
      "[status]\nenabled = false\npage_name = \"Shop\"\nshow_addresses = true\n"
      "refresh_s = 10\nsample_interval_s = 5\n",
      "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_FALSE(cfg->status.enabled);
  EXPECT_EQ(cfg->status.page_name, "Shop");
  EXPECT_TRUE(cfg->status.show_addresses);
  EXPECT_EQ(cfg->status.refresh_s, 10);
  EXPECT_EQ(cfg->status.sample_interval_s, 5);
  ASSERT_TRUE(apply_env(
      *cfg, {{"X0TTA6BL4_STATUS_PAGE_NAME", "Env"}, {"X0TTA6BL4_STATUS_SAMPLE_INTERVAL_S", "1"}}));
  EXPECT_EQ(cfg->status.page_name, "Env");
  EXPECT_EQ(cfg->status.sample_interval_s, 1);
}

TEST(ConfigStatusKeys, RangesAreRefusedWithTheKeyNamed) {
  for (const char* text : {"[status]\nrefresh_s = 1\n", "[status]\nsample_interval_s = 0\n",
                           "[status]\nsample_interval_s = 7200\n", "[status]\nnope = 1\n"}) {
    auto cfg = parse(text, "x0.toml");
    ASSERT_FALSE(cfg) << text;
    EXPECT_NE(cfg.error().detail.find("[status]"), std::string::npos) << cfg.error().detail;
  }
}

}  // namespace
}  // namespace x0::config
