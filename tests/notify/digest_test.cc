// Storm digests: every incident of the message is named, the services' limits hold (Telegram's
// 4096 characters, Slack's blocks and sections), and incident text is escaped.
#include "notify/digest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace x0::notify {
namespace {

std::vector<Event> storm(int n, const std::string& title) {
  std::vector<Event> out;
  for (int i = 1; i <= n; ++i) {
    Event e;
    e.incident_id = "INC-20261204-" + std::to_string(1000 + i);
    e.title = title;
    e.severity = i % 3 == 0 ? Severity::kSev1 : Severity::kSev3;
    e.target = "svc-" + std::to_string(i);
    e.status = "open";
    out.push_back(e);
  }
  return out;
}

Channel chat(ChannelType type) {
  Channel c;
  c.name = "chat";
  c.type = type;
  c.base_url = "https://api.example";
  c.secret = "secret";
  c.chat_id = "-100";
  return c;
}

FormatContext context() { return {"gw-1", "https://gw.example", "", "k", 0}; }

TEST(Digest, TelegramStaysWithin4096AndNamesEveryIncidentItCarries) {
  const auto events = storm(100, std::string(200, 'x') + " <b>&");
  const Digest d = format_digest(chat(ChannelType::kTelegram), events, context());
  ASSERT_GE(d.count, 2u);
  ASSERT_LT(d.count, events.size());
  const auto body = nlohmann::json::parse(d.request.body);
  const std::string text = body["text"];
  EXPECT_LE(detail::code_points(text), 4096u);
  EXPECT_EQ(body["parse_mode"], "HTML");
  EXPECT_EQ(d.request.url, "https://api.example/botsecret/sendMessage");
  for (size_t i = 0; i < d.count; ++i)
    EXPECT_NE(text.find(events[i].incident_id), std::string::npos) << i;
  EXPECT_EQ(text.find(events[d.count].incident_id), std::string::npos);
  EXPECT_EQ(text.find("<b>&"), std::string::npos);  // the title's markup is escaped
  EXPECT_NE(text.find("&lt;b&gt;&amp;"), std::string::npos);
  EXPECT_NE(text.find(std::to_string(d.count) + " incident notifications"), std::string::npos);
  EXPECT_NE(text.find("https://gw.example/incidents/" + events[0].incident_id + "/report"),
            std::string::npos);
}

TEST(Digest, SlackNamesFiftyAtMostWithinItsBlockLimits) {
  const auto events = storm(100, "checkout <error> rate & latency");
  const Digest d = format_digest(chat(ChannelType::kSlack), events, context());
  EXPECT_EQ(d.count, kMaxDigestEvents);
  const auto body = nlohmann::json::parse(d.request.body);
  ASSERT_TRUE(body["blocks"].is_array());
  EXPECT_LE(body["blocks"].size(), 50u);
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  const std::string header = body["blocks"][0]["text"]["text"];
  // 50 events: every third is SEV-1 (16 of them), the rest SEV-3.
  EXPECT_EQ(header, "50 incident notifications: 16 SEV-1, 34 SEV-3");
  std::string sections;
  for (size_t i = 1; i < body["blocks"].size(); ++i) {
    const std::string t = body["blocks"][i]["text"]["text"];
    EXPECT_LE(detail::code_points(t), 3000u);
    sections += t;
  }
  for (size_t i = 0; i < d.count; ++i)
    EXPECT_NE(sections.find(events[i].incident_id), std::string::npos) << i;
  EXPECT_EQ(sections.find("<error>"), std::string::npos);
  EXPECT_NE(sections.find("&lt;error&gt; rate &amp; latency"), std::string::npos);
  EXPECT_NE(sections.find("<https://gw.example/incidents/" + events[0].incident_id + "/report|"),
            std::string::npos);
  EXPECT_TRUE(body["text"].is_string());
}

TEST(Digest, TwoEventsMakeOneMessageWithBoth) {
  const auto events = storm(2, "t");
  for (ChannelType type : {ChannelType::kSlack, ChannelType::kTelegram}) {
    const Digest d = format_digest(chat(type), events, context());
    EXPECT_EQ(d.count, 2u);
    EXPECT_NE(d.request.body.find(events[1].incident_id), std::string::npos);
  }
}

}  // namespace
}  // namespace x0::notify
