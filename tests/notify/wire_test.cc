// The wire formats field by field, as each service documents them, and the answers' meaning.
#include "notify/wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace x0::notify {
namespace {

using nlohmann::json;

Event sample(EventKind kind = EventKind::kOpened, Severity sev = Severity::kSev1) {
  Event e;
  e.kind = kind;
  e.incident_id = "INC-20261204-0001";
  e.title = "checkout error rate 14%";
  e.severity = sev;
  e.status = "open";
  e.detection = "Monitoring";
  e.rule = "error_rate_critical";
  e.target = "checkout";
  e.services = {"checkout"};
  e.text = "error rate 0.14 over 5 min";
  e.details = {{"value", 0.14}, {"baseline", 0.01}};
  e.time_ms = 1'764'875'400'123;  // 2025-12-04T19:10:00.123Z
  e.entry_seq = 7;
  return e;
}

Channel channel(ChannelType type) {
  Channel c;
  c.name = "oncall";
  c.type = type;
  c.base_url = std::string(default_base_url(type));
  c.secret = "s3cr3t";
  c.url = "https://hooks.example/x";
  c.chat_id = "-100123";
  c.page_id = "pg1";
  return c;
}

FormatContext context() {
  return FormatContext{"node-a", "https://gw.example", "", "INC-20261204-0001:opened:7",
                       1'764'875'401'000};
}

TEST(PagerDuty, TriggerCarriesEveryDocumentedField) {
  auto r = format(channel(ChannelType::kPagerDuty), sample(), context());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://events.pagerduty.com/v2/enqueue");
  json b = json::parse(r.body);
  EXPECT_EQ(b["routing_key"], "s3cr3t");
  EXPECT_EQ(b["event_action"], "trigger");
  EXPECT_EQ(b["dedup_key"], "INC-20261204-0001");
  const json& p = b["payload"];
  EXPECT_EQ(p["summary"], "[SEV-1] INC-20261204-0001 opened: checkout error rate 14%");
  EXPECT_EQ(p["source"], "node-a");
  EXPECT_EQ(p["severity"], "critical");
  EXPECT_EQ(p["timestamp"], "2025-12-04T19:10:00.123Z");
  EXPECT_EQ(p["component"], "checkout");
  EXPECT_EQ(p["group"], "checkout");
  EXPECT_EQ(p["class"], "error_rate_critical");
  EXPECT_EQ(p["custom_details"]["rule"], "error_rate_critical");
  EXPECT_EQ(p["custom_details"]["target"], "checkout");
  EXPECT_DOUBLE_EQ(p["custom_details"]["value"].get<double>(), 0.14);
  EXPECT_DOUBLE_EQ(p["custom_details"]["baseline"].get<double>(), 0.01);
  ASSERT_TRUE(b["links"].is_array());
  EXPECT_EQ(b["links"][0]["href"], "https://gw.example/incidents/INC-20261204-0001/report");
}

TEST(PagerDuty, SeverityMappingAndActionsFollowTheIncident) {
  const std::pair<Severity, const char*> map[] = {{Severity::kSev1, "critical"},
                                                  {Severity::kSev2, "error"},
                                                  {Severity::kSev3, "warning"},
                                                  {Severity::kSev4, "info"}};
  for (auto [sev, want] : map) {
    json b = json::parse(
        format(channel(ChannelType::kPagerDuty), sample(EventKind::kOpened, sev), context()).body);
    EXPECT_EQ(b["payload"]["severity"], want);
  }
  json ack = json::parse(
      format(channel(ChannelType::kPagerDuty), sample(EventKind::kAcknowledged), context()).body);
  EXPECT_EQ(ack["event_action"], "acknowledge");
  EXPECT_EQ(ack["dedup_key"], "INC-20261204-0001");
  EXPECT_FALSE(ack.contains("payload"));
  json res = json::parse(
      format(channel(ChannelType::kPagerDuty), sample(EventKind::kResolved), context()).body);
  EXPECT_EQ(res["event_action"], "resolve");
}

TEST(PagerDuty, SummaryIsCutAt1024Characters) {
  Event e = sample();
  e.title = std::string(3000, 'x');
  json b = json::parse(format(channel(ChannelType::kPagerDuty), e, context()).body);
  EXPECT_EQ(b["payload"]["summary"].get<std::string>().size(), 1024u);
}

TEST(PagerDuty, Classification) {
  const Channel c = channel(ChannelType::kPagerDuty);
  EXPECT_EQ(classify(c, {202, R"({"status":"success"})", {}, ""}).verdict, Verdict::kDelivered);
  EXPECT_EQ(classify(c, {400, "invalid", {}, ""}).verdict, Verdict::kPermanent);
  auto limited = classify(c, {429, "", 7, ""});
  EXPECT_EQ(limited.verdict, Verdict::kRetry);
  EXPECT_EQ(limited.retry_after_ms, 7000);
  EXPECT_EQ(classify(c, {503, "", {}, ""}).verdict, Verdict::kRetry);
  EXPECT_EQ(classify(c, {0, "", {}, "Timeout was reached"}).verdict, Verdict::kRetry);
}

TEST(Slack, TextFallbackAndBlocks) {
  auto r = format(channel(ChannelType::kSlack), sample(), context());
  EXPECT_EQ(r.url, "https://hooks.slack.com/services/s3cr3t");
  json b = json::parse(r.body);
  EXPECT_NE(b["text"].get<std::string>().find("checkout error rate 14%"), std::string::npos);
  ASSERT_TRUE(b["blocks"].is_array());
  EXPECT_EQ(b["blocks"][0]["type"], "header");
  EXPECT_EQ(b["blocks"][0]["text"]["type"], "plain_text");
  const json& fields = b["blocks"][1]["fields"];
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0]["text"], "*Severity*\nSEV-1");
  EXPECT_EQ(fields[1]["text"], "*Target*\ncheckout");
  EXPECT_EQ(fields[2]["text"], "*State*\nopen");
  EXPECT_EQ(fields[3]["text"], "*Level*\nL1");
  EXPECT_NE(b.dump().find("https://gw.example/incidents/INC-20261204-0001/report"),
            std::string::npos);
}

TEST(Slack, OnlyOkIsSuccessAndRetryAfterIsHonoured) {
  const Channel c = channel(ChannelType::kSlack);
  EXPECT_EQ(classify(c, {200, "ok", {}, ""}).verdict, Verdict::kDelivered);
  EXPECT_EQ(classify(c, {200, "invalid_payload", {}, ""}).verdict, Verdict::kPermanent);
  EXPECT_EQ(classify(c, {400, "invalid_payload", {}, ""}).verdict, Verdict::kPermanent);
  auto limited = classify(c, {429, "", 3, ""});
  EXPECT_EQ(limited.verdict, Verdict::kRetry);
  EXPECT_EQ(limited.retry_after_ms, 3000);
  EXPECT_EQ(classify(c, {500, "", {}, ""}).verdict, Verdict::kRetry);
}

TEST(Telegram, SendMessageWithEscapedHtml) {
  Event e = sample();
  e.title = "a <b> & \"c\"";
  auto r = format(channel(ChannelType::kTelegram), e, context());
  EXPECT_EQ(r.url, "https://api.telegram.org/bots3cr3t/sendMessage");
  json b = json::parse(r.body);
  EXPECT_EQ(b["chat_id"], "-100123");
  EXPECT_EQ(b["parse_mode"], "HTML");
  const std::string text = b["text"];
  EXPECT_NE(text.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_EQ(text.find("<b> &"), std::string::npos);  // the title's own markup is escaped
  EXPECT_TRUE(text.starts_with("<b>"));
}

TEST(Telegram, TextStaysWithin4096CharactersWithoutCuttingAnEntityOrACodePoint) {
  Event e = sample();
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "é&";  // 2-byte code point, then an entity
  e.text = long_text;
  json b = json::parse(format(channel(ChannelType::kTelegram), e, context()).body);
  const std::string text = b["text"];
  EXPECT_LE(detail::code_points(text), 4096u);
  EXPECT_NE(text.find("…"), std::string::npos);
  // Every '&' starts a whole entity.
  for (size_t at = text.find('&'); at != std::string::npos; at = text.find('&', at + 1))
    EXPECT_TRUE(text.compare(at, 5, "&amp;") == 0 || text.compare(at, 4, "&lt;") == 0 ||
                text.compare(at, 4, "&gt;") == 0 || text.compare(at, 6, "&quot;") == 0)
        << text.substr(at, 8);
  EXPECT_TRUE(json::parse(json(text).dump()).is_string());  // valid UTF-8
}

TEST(Telegram, RetryAfterFromParameters) {
  const Channel c = channel(ChannelType::kTelegram);
  EXPECT_EQ(classify(c, {200, R"({"ok":true,"result":{}})", {}, ""}).verdict, Verdict::kDelivered);
  auto limited =
      classify(c, {429, R"({"ok":false,"error_code":429,"parameters":{"retry_after":5}})", {}, ""});
  EXPECT_EQ(limited.verdict, Verdict::kRetry);
  EXPECT_EQ(limited.retry_after_ms, 5000);
  EXPECT_EQ(classify(c, {400, R"({"ok":false,"error_code":400})", {}, ""}).verdict,
            Verdict::kPermanent);
}

// Found by fuzz/notify: an answer's JSON is the service's, of any shape.
TEST(Telegram, AnswersOfAnyShapeAreClassifiedNeverThrown) {
  const Channel c = channel(ChannelType::kTelegram);
  EXPECT_EQ(classify(c, {200, R"({"ok":6000})", {}, ""}).verdict, Verdict::kPermanent);
  EXPECT_EQ(classify(c, {200, "[1]", {}, ""}).verdict, Verdict::kPermanent);
  auto huge = classify(c, {429, R"({"parameters":{"retry_after":1e300}})", {}, ""});
  EXPECT_EQ(huge.verdict, Verdict::kRetry);
  EXPECT_FALSE(huge.retry_after_ms);
  auto big = classify(c, {429, R"({"parameters":{"retry_after":99999999999}})", {}, ""});
  EXPECT_EQ(big.retry_after_ms, 86400 * 1000);
}

TEST(Statuspage, CreateThenUpdate) {
  Channel c = channel(ChannelType::kStatuspage);
  c.component_ids = {"cmp1"};
  auto create = format(c, sample(), context());
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.url, "https://api.statuspage.io/v1/pages/pg1/incidents");
  bool auth = false;
  for (const auto& [k, v] : create.headers)
    auth = auth || (k == "Authorization" && v == "OAuth s3cr3t");
  EXPECT_TRUE(auth);
  json b = json::parse(create.body);
  EXPECT_EQ(b["incident"]["name"], "checkout error rate 14%");
  EXPECT_EQ(b["incident"]["status"], "investigating");
  EXPECT_EQ(b["incident"]["impact_override"], "critical");
  EXPECT_EQ(b["incident"]["body"], "error rate 0.14 over 5 min");
  EXPECT_EQ(b["incident"]["component_ids"], json::array({"cmp1"}));
  EXPECT_EQ(b["incident"]["components"]["cmp1"], "major_outage");

  FormatContext x = context();
  x.remote_id = "sp-42";
  Event resolved = sample(EventKind::kResolved);
  resolved.status = "resolved";
  auto update = format(c, resolved, x);
  EXPECT_EQ(update.method, "PATCH");
  EXPECT_EQ(update.url, "https://api.statuspage.io/v1/pages/pg1/incidents/sp-42");
  json u = json::parse(update.body);
  EXPECT_EQ(u["incident"]["status"], "resolved");
  EXPECT_EQ(u["incident"]["components"]["cmp1"], "operational");
  Event acked = sample(EventKind::kAcknowledged);
  acked.status = "acknowledged";
  EXPECT_EQ(json::parse(format(c, acked, x).body)["incident"]["status"], "identified");
}

TEST(Statuspage, CreateAnswerGivesTheRemoteIdAnd420IsARateLimit) {
  const Channel c = channel(ChannelType::kStatuspage);
  auto o = classify(c, {201, R"({"id":"sp-42","name":"x"})", {}, ""});
  EXPECT_EQ(o.verdict, Verdict::kDelivered);
  EXPECT_EQ(o.remote_id, "sp-42");
  auto limited = classify(c, {420, "", 2, ""});
  EXPECT_EQ(limited.verdict, Verdict::kRetry);
  EXPECT_EQ(limited.retry_after_ms, 2000);
  EXPECT_EQ(classify(c, {422, "", {}, ""}).verdict, Verdict::kPermanent);
}

TEST(Webhook, SchemaV1AndSignature) {
  auto r = format(channel(ChannelType::kWebhook), sample(), context());
  EXPECT_EQ(r.url, "https://hooks.example/x");
  json b = json::parse(r.body);
  EXPECT_EQ(b["schema"], "x0tta6bl4.notification/v1");
  EXPECT_EQ(b["id"], "INC-20261204-0001:opened:7");
  EXPECT_EQ(b["event"], "opened");
  EXPECT_EQ(b["level"], "L1");
  EXPECT_EQ(b["occurred_at"], "2025-12-04T19:10:00.123Z");
  EXPECT_EQ(b["node_id"], "node-a");
  EXPECT_EQ(b["incident"]["id"], "INC-20261204-0001");
  EXPECT_EQ(b["incident"]["severity"], "SEV-1");
  EXPECT_EQ(b["incident"]["affected_services"], json::array({"checkout"}));
  std::map<std::string, std::string> h(r.headers.begin(), r.headers.end());
  EXPECT_EQ(h["X-X0tta6bl4-Timestamp"], "1764875401");
  EXPECT_EQ(h["X-X0tta6bl4-Signature"],
            "sha256=" + hmac_sha256_hex("s3cr3t", "1764875401." + r.body));
  EXPECT_EQ(h["X-X0tta6bl4-Delivery"], "INC-20261204-0001:opened:7");
}

TEST(Webhook, UnsignedWithoutASecret) {
  Channel c = channel(ChannelType::kWebhook);
  c.secret.clear();
  auto r = format(c, sample(), context());
  for (const auto& [k, v] : r.headers) EXPECT_NE(k, "X-X0tta6bl4-Signature");
}

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(EventJson, RoundTrips) {
  Event e = sample(EventKind::kEscalated);
  e.level = Level::kL2;
  auto back = event_from_json(to_json(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, EventKind::kEscalated);
  EXPECT_EQ(back->level, Level::kL2);
  EXPECT_EQ(back->incident_id, e.incident_id);
  EXPECT_EQ(back->details, e.details);
  EXPECT_FALSE(event_from_json(json{{"kind", "nope"}}));
}

}  // namespace
}  // namespace x0::notify
