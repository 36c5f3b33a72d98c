// Alertmanager's webhook JSON read into store requests: fingerprint and groupKey carried, the
// target from service/instance/job, startsAt as the start, and the attacker-controllable parts
// bounded (fingerprint, labels, groupKey, names, the number of alerts).
#include "incident/alert_webhook.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "incident/incident_json.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using json = nlohmann::json;
using testing::kT0;  // 2026-11-24T15:00:00.000Z

json firing(json labels, std::string fingerprint = "0123456789abcdef") {
  return {{"status", "firing"},
          {"labels", std::move(labels)},
          {"annotations", {{"summary", "error rate above 10 %"}}},
          {"startsAt", "2026-11-24T14:58:30.250Z"},
          {"endsAt", "0001-01-01T00:00:00Z"},
          {"fingerprint", std::move(fingerprint)}};
}

Webhook parse(const json& alerts, const std::string& group_key = "{}:{alertname=\"X\"}") {
  auto hook = parse_alertmanager_webhook(
      json{{"version", "4"}, {"groupKey", group_key}, {"alerts", alerts}}.dump(), kT0);
  EXPECT_TRUE(hook.has_value()) << hook.error().detail;
  return hook.value_or(Webhook{});
}

TEST(AlertWebhook, FiringAlertBecomesAnOpenRequestWithItsFingerprint) {
  Webhook hook = parse(json::array(
      {firing({{"alertname", "HighErrorRate"}, {"severity", "critical"}, {"service", "shop"}})}));
  EXPECT_EQ(hook.group_key, "{}:{alertname=\"X\"}");
  ASSERT_EQ(hook.alerts.size(), 1u);
  const WebhookAlert& a = hook.alerts[0];
  EXPECT_TRUE(a.rejected.empty()) << a.rejected;
  EXPECT_FALSE(a.resolved);
  EXPECT_EQ(a.open.rule, "HighErrorRate");
  EXPECT_EQ(a.open.target, "shop");
  EXPECT_EQ(a.open.severity, Severity::kSev1);
  EXPECT_EQ(a.open.detection, DetectionMethod::kAlert);
  EXPECT_EQ(a.open.title, "error rate above 10 %");
  EXPECT_EQ(a.open.first_anomalous_ms, kT0 - 89'750);
  EXPECT_EQ(a.open.alert_fingerprint, "0123456789abcdef");
  EXPECT_EQ(a.open.alert_group_key, hook.group_key);
  EXPECT_EQ(a.open.fields["fingerprint"], "0123456789abcdef");
  EXPECT_EQ(a.open.fields["labels"]["service"], "shop");
}

TEST(AlertWebhook, ResolvedAlertBecomesAResolutionWithEndsAt) {
  json a = firing({{"alertname", "Down"}, {"instance", "10.0.0.1:9090"}});
  a["status"] = "resolved";
  a["endsAt"] = "2026-11-24T14:59:00Z";
  Webhook hook = parse(json::array({a}));
  ASSERT_EQ(hook.alerts.size(), 1u);
  const AlertResolution& r = hook.alerts[0].resolution;
  EXPECT_TRUE(hook.alerts[0].resolved);
  EXPECT_EQ(r.fingerprint, "0123456789abcdef");
  EXPECT_EQ(r.rule, "Down");
  EXPECT_EQ(r.target, "10.0.0.1:9090");
  EXPECT_EQ(r.ends_ms, kT0 - 60'000);
  EXPECT_EQ(r.text, "alert Down resolved in Alertmanager");
}

TEST(AlertWebhook, NoFingerprintIsTheOlderSendersRuleAndTarget) {
  json a = firing({{"alertname", "Down"}, {"job", "x0"}});
  a.erase("fingerprint");
  Webhook hook = parse(json::array({a}));
  ASSERT_EQ(hook.alerts.size(), 1u);
  EXPECT_TRUE(hook.alerts[0].rejected.empty());
  EXPECT_TRUE(hook.alerts[0].open.alert_fingerprint.empty());
  EXPECT_EQ(hook.alerts[0].open.target, "x0");
  EXPECT_FALSE(hook.alerts[0].open.fields.contains("fingerprint"));
}

TEST(AlertWebhook, OutOfBoundsAlertsAreRejectedWithTheReason) {
  Webhook hook = parse(json::array({
      firing({{"alertname", "A"}}, std::string(kMaxFingerprintBytes + 1, 'a')),
      firing({{"alertname", "A"}}, "abc'; DROP TABLE incidents"),
      firing({{"severity", "critical"}}),
      firing({{"alertname", std::string(kMaxAlertNameBytes + 1, 'n')}}),
      "not an object",
      firing({{"alertname", "Fine"}}, std::string(kMaxFingerprintBytes, 'f')),
  }));
  ASSERT_EQ(hook.alerts.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_FALSE(hook.alerts[i].rejected.empty()) << i;
  EXPECT_NE(hook.alerts[0].rejected.find("longer than"), std::string::npos);
  EXPECT_NE(hook.alerts[2].rejected.find("alertname"), std::string::npos);
  EXPECT_TRUE(hook.alerts[5].rejected.empty()) << hook.alerts[5].rejected;
}

TEST(AlertWebhook, LabelsGroupKeyAndTitleAreBounded) {
  json labels = {{"alertname", "Big"}};
  for (int i = 0; i < 500; ++i) labels["label" + std::to_string(i)] = std::string(100, 'v');
  labels["huge"] = std::string(100'000, 'x');
  json a = firing(labels);
  a["annotations"]["summary"] = std::string(10'000, 's');
  Webhook hook = parse(json::array({a}), std::string(10'000, 'g'));
  ASSERT_EQ(hook.alerts.size(), 1u);
  const OpenRequest& open = hook.alerts[0].open;
  EXPECT_LE(open.fields["labels"].dump().size(), kMaxLabelsBytes);
  EXPECT_EQ(open.fields["labels"]["alertname"], "Big");
  EXPECT_EQ(open.fields["labels_truncated"], true);
  EXPECT_LE(open.title.size(), kMaxTitleBytes);
  EXPECT_EQ(hook.group_key.size(), kMaxGroupKeyBytes);
  EXPECT_EQ(open.alert_group_key.size(), kMaxGroupKeyBytes);
}

TEST(AlertWebhook, CutsNeverSplitAUtf8Character) {
  json a = firing({{"alertname", "U"}});
  a["annotations"]["summary"] = std::string(kMaxTitleBytes - 1, 'a') + "\xC3\xA9";  // é
  Webhook hook = parse(json::array({a}));
  ASSERT_EQ(hook.alerts.size(), 1u);
  EXPECT_EQ(hook.alerts[0].open.title, std::string(kMaxTitleBytes - 1, 'a'));
}

TEST(AlertWebhook, BadBodiesAreBadRequests) {
  for (const char* body : {"", "[]", "{}", R"({"alerts": {}})", "{\"alerts\": [", "null"}) {
    auto hook = parse_alertmanager_webhook(body, kT0);
    ASSERT_FALSE(hook.has_value()) << body;
    EXPECT_EQ(hook.error().code, Errc::kBadRequest);
  }
  json many = json::array();
  for (size_t i = 0; i <= kMaxAlertsPerWebhook; ++i) many.push_back(json::object());
  EXPECT_FALSE(parse_alertmanager_webhook(json{{"alerts", many}}.dump(), kT0).has_value());
}

}  // namespace
}  // namespace x0::incident
