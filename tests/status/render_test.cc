// The status page's renderings (status/render.h): summary.json's shape and spellings, and the
// HTML's escaping, states and uptime bars.
#include "status/render.h"

#include <gtest/gtest.h>

#include "common/html_escape.h"
#include "status_support.h"

namespace x0::status {
namespace {

using json = nlohmann::json;
using testing::kNow;

StatusPage sample_page() {
  PageInputs in;
  in.node_id = "gw-1";
  in.page_name = "Shop <status>";
  in.public_url = "https://status.example.com/";
  in.now_ms = kNow;
  in.health = testing::health_body();
  auto inc =
      testing::open_incident("INC-20261124-0001", "<script>alert(1)</script> checkout & \"pay\"",
                             Severity::kSev2, {"checkout"});
  inc.timeline.push_back({kNow - 300'000, incident::TimelineKind::kUpdate, "op",
                          "<img src=x onerror=alert(2)> failing over", json::object(), 2});
  in.unresolved = {inc};
  in.recent = {inc};
  in.uptime = {{"service-checkout", incident::utc_date(kNow), {90, 0, 0, 10}},
               {"node", incident::utc_date(kNow), {100, 0, 0, 0}}};
  return build_page(in);
}

TEST(SummaryJsonTest, ShapedLikeStatuspageSummary) {
  json j = to_summary_json(sample_page());
  EXPECT_EQ(j["page"]["id"], "gw-1");
  EXPECT_EQ(j["page"]["name"], "Shop <status>");
  EXPECT_EQ(j["page"]["url"], "https://status.example.com/status");
  EXPECT_EQ(j["page"]["updated_at"], "2026-11-24T15:00:00.000Z");
  EXPECT_EQ(j["status"]["indicator"], "critical");  // search is down
  EXPECT_EQ(j["status"]["description"], "Major System Outage");
  ASSERT_EQ(j["components"].size(), 6u);
  const json& checkout = j["components"][0];
  EXPECT_EQ(checkout["id"], "service-checkout");
  EXPECT_EQ(checkout["status"], "partial_outage");  // degraded, raised by the SEV-2
  EXPECT_EQ(checkout["position"], 1);
  EXPECT_TRUE(checkout["group_id"].is_null());
  EXPECT_EQ(checkout["uptime"]["days"], 90);
  EXPECT_EQ(checkout["uptime"]["percent"], 90.0);
  EXPECT_EQ(checkout["uptime"]["history"].size(), 90u);
  EXPECT_EQ(checkout["uptime"]["history"].back()["worst_status"], "major_outage");
  EXPECT_EQ(checkout["uptime"]["history"].back()["samples"]["major_outage"], 10);
  EXPECT_TRUE(checkout["uptime"]["history"].front()["percent"].is_null());
  EXPECT_TRUE(j["components"][3]["uptime"]["percent"].is_null());  // mesh: no samples
  ASSERT_EQ(j["incidents"].size(), 1u);
  const json& inc = j["incidents"][0];
  EXPECT_EQ(inc["id"], "INC-20261124-0001");
  EXPECT_EQ(inc["status"], "investigating");
  EXPECT_EQ(inc["impact"], "major");
  EXPECT_EQ(inc["shortlink"], "https://status.example.com/status#INC-20261124-0001");
  EXPECT_TRUE(inc["resolved_at"].is_null());
  ASSERT_EQ(inc["incident_updates"].size(), 2u);
  EXPECT_EQ(inc["incident_updates"][0]["body"], "<img src=x onerror=alert(2)> failing over");
  EXPECT_EQ(inc["incident_updates"][0]["incident_id"], "INC-20261124-0001");
  EXPECT_EQ(inc["components"][0]["id"], "service-checkout");
  EXPECT_TRUE(j["scheduled_maintenances"].is_array());
  EXPECT_EQ(j["recent_incidents"].size(), 1u);
  EXPECT_FALSE(j.contains("incidents_unavailable"));
  EXPECT_EQ(j.dump().find("10.0.0.7"), std::string::npos);
  EXPECT_EQ(j.dump().find("/var/lib"), std::string::npos);
}

TEST(SummaryJsonTest, InvalidUtf8InIncidentTextIsReplacedNotThrown) {
  StatusPage page = sample_page();
  page.open_incidents[0].name = "bad \xff byte";
  std::string text;
  ASSERT_NO_THROW(text = summary_json_text(page));
  EXPECT_EQ(json::parse(text)["incidents"][0]["name"], "bad \xEF\xBF\xBD byte");
}

TEST(PageHtmlTest, EveryTextIsEscaped) {
  std::string html = render_html(sample_page());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; checkout &amp; &quot;pay&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("<title>Shop &lt;status&gt; status</title>"), std::string::npos);
  EXPECT_EQ(html_escape("a'b"), "a&#39;b");
}

TEST(PageHtmlTest, RefreshesAndShowsBannerComponentsIncidentsAndBars) {
  std::string html = render_html(sample_page());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"30\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"banner\" class=\"banner indicator-critical\""), std::string::npos);
  EXPECT_NE(html.find("Major System Outage"), std::string::npos);
  EXPECT_NE(html.find("data-component=\"service-checkout\" data-status=\"partial_outage\""),
            std::string::npos);
  EXPECT_NE(html.find("data-component=\"service-search\" data-status=\"major_outage\""),
            std::string::npos);
  EXPECT_NE(html.find("data-incident=\"INC-20261124-0001\" data-status=\"investigating\""),
            std::string::npos);
  EXPECT_NE(html.find("90.00 % uptime"), std::string::npos);
  size_t rects = 0;
  for (size_t at = html.find("<rect"); at != std::string::npos; at = html.find("<rect", at + 1))
    ++rects;
  EXPECT_EQ(rects, 6u * 90u);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // readable without JavaScript
}

TEST(PageHtmlTest, QuietPageSaysSo) {
  PageInputs in;
  in.node_id = "gw-1";
  in.now_ms = kNow;
  in.incidents_unavailable = "incident history is unavailable on this node";
  std::string html = render_html(build_page(in));
  EXPECT_NE(html.find("All Systems Operational"), std::string::npos);
  EXPECT_NE(html.find("No open incidents."), std::string::npos);
  EXPECT_NE(html.find("No incidents reported in the last 7 days."), std::string::npos);
  EXPECT_NE(html.find("incident history is unavailable"), std::string::npos);
}

}  // namespace
}  // namespace x0::status
