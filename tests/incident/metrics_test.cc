// Incident metrics through the store: open gauges per severity, totals, MTTD/MTTR histograms,
// as a Prometheus scrape shows them.
#include <gtest/gtest.h>

#include "incident/incident_metrics.h"
#include "incident/incident_store.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::kT0;
using testing::open_store;
using testing::rule_request;
using testing::ScratchDir;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(IncidentMetrics, StoreWritesShowUpInTheScrape) {
  telemetry::Registry registry;
  IncidentMetrics metrics(registry);
  ScratchDir dir;
  FakeClock clock;
  auto store = open_store(dir.file("incidents.db"), &clock, {.metrics = &metrics});
  ASSERT_NE(store, nullptr);

  auto r = rule_request("error_rate", "checkout", Severity::kSev1);
  r.first_anomalous_ms = kT0 - 800;
  auto a = store->open_incident(r);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(store->open_incident(r));  // a join: not a new incident, no second MTTD
  ASSERT_TRUE(store->open_incident(rule_request("latency", "search", Severity::kSev3)));

  std::string text = registry.render();
  EXPECT_TRUE(has_line(text, R"(incidents_open{severity="SEV-1"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(incidents_open{severity="SEV-2"} 0)"));
  EXPECT_TRUE(has_line(text, R"(incidents_open{severity="SEV-3"} 1)"));
  EXPECT_TRUE(has_line(text, R"(incidents_total{severity="SEV-1"} 1)"));
  EXPECT_TRUE(has_line(text, R"(incident_mttd_seconds_count 1)"));
  EXPECT_TRUE(has_line(text, R"(incident_mttd_seconds_bucket{le="1"} 1)"));
  EXPECT_TRUE(has_line(text, R"(incident_mttd_seconds_bucket{le="0.5"} 0)"));
  EXPECT_TRUE(has_line(text, R"(incident_mttr_seconds_count 0)"));

  ASSERT_TRUE(store->set_mitigated(a->incident.id, {"autopilot", "", kT0 + 1200, {}}));
  ASSERT_TRUE(store->resolve(a->incident.id, {"rc", "fix", "", {}, "op", {}}));
  text = registry.render();
  EXPECT_TRUE(has_line(text, R"(incident_mttr_seconds_count 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(incident_mttr_seconds_bucket{le="2"} 1)"));
  EXPECT_TRUE(has_line(text, R"(incident_mttr_seconds_bucket{le="1"} 0)"));
  EXPECT_TRUE(has_line(text, R"(incidents_open{severity="SEV-1"} 0)"));
  EXPECT_EQ(metrics.open_counts(), (OpenCounts{0, 0, 1, 0}));
}

TEST(IncidentMetrics, CountsAreLoadedAtOpen) {
  ScratchDir dir;
  FakeClock clock;
  {
    auto store = open_store(dir.file("incidents.db"), &clock);
    ASSERT_TRUE(store->open_incident(rule_request("r", "t", Severity::kSev2)));
  }
  telemetry::Registry registry;
  IncidentMetrics metrics(registry);
  auto store = open_store(dir.file("incidents.db"), &clock, {.metrics = &metrics});
  EXPECT_TRUE(has_line(registry.render(), R"(incidents_open{severity="SEV-2"} 1)"));
}

}  // namespace
}  // namespace x0::incident
