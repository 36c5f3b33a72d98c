// [[notify.channels]]: each type's keys, secrets read from files (never quoted in messages),
// file:line errors, and the legacy [notify] webhooks as webhook channels.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace x0::config {
namespace {

namespace fs = std::filesystem;

class NotifyConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("x0-notify-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write("pd.key", "R0UTINGKEY\n");
    write("tg.token", "123:ABC");
    write("empty.key", "\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(NotifyConfig, ChannelsOfEveryTypeLoadWithTheirSecrets) {
  const std::string text = R"(
[notify]
public_url = "https://gw.example/"
webhooks = ["http://127.0.0.1:9/legacy"]

[[notify.channels]]
name = "pd"
type = "pagerduty"
routing_key_file = ")" + path("pd.key") +
                           R"("
severities = ["SEV-1", "SEV-2"]
base_url = "https://127.0.0.1:8443/"

[[notify.channels]]
name = "lead"
type = "telegram"
token_file = ")" + path("tg.token") +
                           R"("
chat_id = "-100"
levels = ["L2"]
events = ["escalated", "resolved"]

[[notify.channels]]
name = "hook"
type = "webhook"
url = "https://hooks.example/x"
)";
  auto cfg = parse(text, "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  const auto& ch = cfg->notify.channels;
  ASSERT_EQ(ch.size(), 4u);
  EXPECT_EQ(ch[0].name, "pd");
  EXPECT_EQ(ch[0].type, notify::ChannelType::kPagerDuty);
  EXPECT_EQ(ch[0].secret, "R0UTINGKEY");  // the editor's newline is not part of the key
  EXPECT_EQ(ch[0].base_url, "https://127.0.0.1:8443");
  EXPECT_EQ(ch[0].severities.to_string(), "0011");
  EXPECT_EQ(ch[0].events.count(), 7u);
  EXPECT_EQ(ch[0].levels.to_string(), "001");
  EXPECT_EQ(ch[1].base_url, "https://api.telegram.org");
  EXPECT_EQ(ch[1].levels.to_string(), "010");
  EXPECT_EQ(ch[1].events.count(), 2u);
  EXPECT_TRUE(ch[2].secret.empty());
  EXPECT_EQ(ch[3].name, "webhook-1");
  EXPECT_TRUE(ch[3].legacy);
  EXPECT_EQ(ch[3].url, "http://127.0.0.1:9/legacy");
  EXPECT_EQ(ch[3].timeout_ms, 2000);
  EXPECT_EQ(cfg->notify.public_url, "https://gw.example");
  // The services' published pace: PagerDuty 120/min with a burst, a Telegram group 20/min,
  // webhooks unlimited; chat channels group.
  EXPECT_EQ(ch[0].rate_per_minute, 120);
  EXPECT_EQ(ch[0].burst, 10);
  EXPECT_FALSE(ch[0].group);
  EXPECT_EQ(ch[1].rate_per_minute, 20);
  EXPECT_EQ(ch[1].burst, 1);
  EXPECT_TRUE(ch[1].group);
  EXPECT_EQ(ch[2].rate_per_minute, 0);
  EXPECT_EQ(ch[3].rate_per_minute, 0);
}

TEST_F(NotifyConfig, PaceAndGroupingAreSetPerChannel) {
  const std::string tg = R"(
[[notify.channels]]
name = "tg"
type = "telegram"
token_file = ")" + path("tg.token") +
                         R"("
chat_id = "42"
)";
  auto cfg = parse(tg + "rate_per_minute = 30\nburst = 3\ngroup = false\n", "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_EQ(cfg->notify.channels[0].rate_per_minute, 30);
  EXPECT_EQ(cfg->notify.channels[0].burst, 3);
  EXPECT_FALSE(cfg->notify.channels[0].group);
  cfg = parse(tg, "x0.toml");
  ASSERT_TRUE(cfg) << cfg.error().detail;
  EXPECT_EQ(cfg->notify.channels[0].rate_per_minute, 60);  // a private chat: 1/s
  cfg = parse(
      "[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
      "group = true\n",
      "x0.toml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().detail.find("x0.toml:5: [notify.channels.a] group: not used by a webhook"),
            std::string::npos)
      << cfg.error().detail;
  cfg = parse(tg + "burst = 0\n", "x0.toml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().detail.find("burst"), std::string::npos);
}

TEST_F(NotifyConfig, ErrorsNameFileLineAndKey) {
  auto err = [](const std::string& text) {
    auto cfg = parse(text, "x0.toml");
    return cfg ? std::string() : cfg.error().detail;
  };
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"pager\"\n")
                .find("x0.toml:3: [notify.channels.a] type: \"pager\" is not a channel type"),
            std::string::npos)
      << err("[[notify.channels]]\nname = \"a\"\ntype = \"pager\"\n");
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"pagerduty\"\n")
                .find("routing_key_file: required for a pagerduty channel"),
            std::string::npos);
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"slack\"\ntoken_file = \"/t\"\n"
                "chat_id = \"1\"\n")
                .find("x0.toml:5: [notify.channels.a] chat_id: not used by a slack channel"),
            std::string::npos);
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
                "events = [\"opend\"]\n")
                .find("events: \"opend\" is not an event"),
            std::string::npos);
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
                "bogus = 1\n")
                .find("x0.toml:5: [notify.channels[0]] bogus: unknown key"),
            std::string::npos)
      << err("[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\nbogus = "
             "1\n");
  EXPECT_NE(err("[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
                "[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://y\"\n")
                .find("x0.toml:6: [notify.channels.a] name: duplicate channel name"),
            std::string::npos);
}

TEST_F(NotifyConfig, SecretFileProblemsNeverQuoteTheSecret) {
  const std::string missing =
      "[[notify.channels]]\nname = \"a\"\ntype = \"pagerduty\"\n"
      "routing_key_file = \"" +
      path("nope") + "\"\n";
  auto cfg = parse(missing, "x0.toml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().detail.find("x0.toml:4: [notify.channels.a] routing_key_file:"),
            std::string::npos);
  const std::string empty =
      "[[notify.channels]]\nname = \"a\"\ntype = \"pagerduty\"\n"
      "routing_key_file = \"" +
      path("empty.key") + "\"\n";
  cfg = parse(empty, "x0.toml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().detail.find("is empty"), std::string::npos);
  // A bad key beside a good secret: the message names the file, never its content.
  const std::string other =
      "[[notify.channels]]\nname = \"a\"\ntype = \"pagerduty\"\n"
      "routing_key_file = \"" +
      path("pd.key") + "\"\nchat_id = \"x\"\n";
  cfg = parse(other, "x0.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().detail.find("R0UTINGKEY"), std::string::npos);
}

}  // namespace
}  // namespace x0::config
