// The status page's components from the /health body, raised by open incidents, and the page's
// overall indicator (status/components.cc, page_build.cc).
#include <gtest/gtest.h>

#include "status/status_page.h"
#include "status_support.h"

namespace x0::status {
namespace {

using CS = ComponentStatus;
using testing::health_body;
using testing::kNow;

const Component& find(const std::vector<Component>& cs, const std::string& id) {
  for (const Component& c : cs)
    if (c.id == id) return c;
  ADD_FAILURE() << "no component " << id;
  static Component none;
  return none;
}

TEST(ComponentsTest, EachServiceThenNodeMeshPqcCacheWithTheirHealth) {
  auto cs = components_from_health(health_body());
  std::vector<std::string> ids;
  for (const Component& c : cs) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"service-checkout", "service-search", "node", "mesh",
                                           "pqc", "cache"}));
  EXPECT_EQ(find(cs, "service-checkout").status, CS::kDegradedPerformance);
  EXPECT_EQ(find(cs, "service-checkout").detail, "1 of 2 endpoints healthy");
  EXPECT_EQ(find(cs, "service-search").status, CS::kMajorOutage);
  EXPECT_EQ(find(cs, "node").status, CS::kOperational);  // notify's trouble is not the public's
  EXPECT_EQ(find(cs, "mesh").detail, "not enabled on this node");
  EXPECT_EQ(find(cs, "service-search").position, 2);
  for (const Component& c : cs) EXPECT_EQ(c.detail.find("10.0.0.7"), std::string::npos);
}

TEST(ComponentsTest, FallbackIsAPartialOutageAndHostTroubleDegradesTheNode) {
  auto h = health_body();
  h["dependencies"]["search"]["status"] = "degraded";
  h["dependencies"]["search"]["diverted_to_fallback"] = true;
  h["components"][0]["status"] = "degraded";
  h["draining"] = true;
  auto cs = components_from_health(h);
  EXPECT_EQ(find(cs, "service-search").status, CS::kPartialOutage);
  EXPECT_EQ(find(cs, "node").status, CS::kDegradedPerformance);
  EXPECT_EQ(find(cs, "node").detail, "host cpu degraded; draining (restarting or shutting down)");
  h["isolated"] = true;
  EXPECT_EQ(find(components_from_health(h), "node").status, CS::kMajorOutage);
}

TEST(ComponentsTest, OpenIncidentsRaiseWhatTheyAffectButMitigatedOnesDoNot) {
  auto cs = components_from_health(health_body());
  auto sev1 = testing::open_incident("INC-20261124-0001", "down", Severity::kSev1, {});
  sev1.target = "checkout/candidate";
  auto sev2 = testing::open_incident("INC-20261124-0002", "slow", Severity::kSev2, {});
  sev2.target = "node";
  auto mitigated = testing::open_incident("INC-20261124-0003", "cache", Severity::kSev1, {});
  mitigated.target = "cache";
  mitigated.status = incident::Status::kMitigated;
  apply_incidents(cs, {sev1, sev2, mitigated});
  EXPECT_EQ(find(cs, "service-checkout").status, CS::kMajorOutage);
  EXPECT_EQ(find(cs, "service-checkout").detail,
            "1 of 2 endpoints healthy; incident INC-20261124-0001");
  EXPECT_EQ(find(cs, "node").status, CS::kPartialOutage);
  EXPECT_EQ(find(cs, "cache").status, CS::kOperational);
  // An incident never lowers a state, and an unknown target affects no component.
  auto sev4 = testing::open_incident("INC-20261124-0004", "x", Severity::kSev4, {"search", "nope"});
  apply_incidents(cs, {sev4});
  EXPECT_EQ(find(cs, "service-search").status, CS::kMajorOutage);
  EXPECT_EQ(affected_component_ids(sev4, cs), (std::vector<std::string>{"service-search"}));
}

TEST(ComponentsTest, IndicatorIsTheWorstOfComponentsAndIncidentImpacts) {
  PageInputs in;
  in.node_id = "gw-1";
  in.now_ms = kNow;
  in.health = health_body();
  in.health["dependencies"].erase("search");
  EXPECT_EQ(build_page(in).indicator, Indicator::kMinor);  // checkout degraded
  in.unresolved.push_back(testing::open_incident("INC-20261124-0001", "t", Severity::kSev2, {}));
  auto page = build_page(in);
  EXPECT_EQ(page.indicator, Indicator::kMajor);
  EXPECT_EQ(description(page.indicator), "Partial System Outage");
  EXPECT_EQ(page.name, "x0tta6bl4 gw-1");
  in.unresolved.front().status = incident::Status::kMitigated;
  EXPECT_EQ(build_page(in).indicator, Indicator::kMinor);
  in.health["dependencies"]["checkout"]["status"] = "healthy";
  EXPECT_EQ(build_page(in).indicator, Indicator::kNone);
  EXPECT_EQ(description(Indicator::kNone), "All Systems Operational");
}

TEST(ComponentsTest, IncidentUpdatesAreTheReadersEntriesNewestFirstWithTheirStatus) {
  using incident::TimelineKind;
  auto inc =
      testing::open_incident("INC-20261124-0001", "checkout errors", Severity::kSev2, {"checkout"});
  auto add = [&](int64_t dt, TimelineKind k, std::string text) {
    inc.timeline.push_back({kNow - 600'000 + dt, k, "x", std::move(text), nlohmann::json::object(),
                            static_cast<int64_t>(inc.timeline.size() + 1)});
  };
  add(1000, TimelineKind::kNotified, "delivered to pagerduty-oncall");
  add(2000, TimelineKind::kDetected, "joined detection");  // a repeat: not shown
  add(3000, TimelineKind::kAcknowledged, "");
  add(4000, TimelineKind::kUpdate, "rolled back; pool at 10.0.0.7:8080 drained");
  add(5000, TimelineKind::kActionTaken, "ejected 10.0.0.7:8080");
  add(6000, TimelineKind::kMitigated, "error rate back to normal");
  inc.status = incident::Status::kMitigated;
  auto cs = components_from_health(health_body());
  PageIncident p = page_incident(inc, cs, false);
  EXPECT_EQ(p.status, "monitoring");
  EXPECT_EQ(p.impact, "major");
  ASSERT_EQ(p.updates.size(), 4u);
  EXPECT_EQ(p.updates[0].status, "monitoring");
  EXPECT_EQ(p.updates[1].status, "identified");
  EXPECT_EQ(p.updates[1].body, "rolled back; pool at [address] drained");
  EXPECT_EQ(p.updates[2].body, "The issue has been identified and is being worked on.");
  EXPECT_EQ(p.updates[3].status, "investigating");
  EXPECT_EQ(p.updates[3].id, "INC-20261124-0001-1");
  EXPECT_EQ(p.component_ids, (std::vector<std::string>{"service-checkout"}));
  EXPECT_EQ(page_incident(inc, cs, true).updates[1].body,
            "rolled back; pool at 10.0.0.7:8080 drained");
}

TEST(ComponentsTest, RecentIncidentsAreTheLastSevenDays) {
  PageInputs in;
  in.now_ms = kNow;
  in.health = health_body();
  auto old = testing::open_incident("INC-20261101-0001", "old", Severity::kSev3, {});
  old.created_ms = kNow - kRecentWindowMs - 1;
  auto fresh = testing::open_incident("INC-20261124-0001", "fresh", Severity::kSev3, {});
  fresh.status = incident::Status::kResolved;
  in.recent = {fresh, old};
  auto page = build_page(in);
  ASSERT_EQ(page.recent_incidents.size(), 1u);
  EXPECT_EQ(page.recent_incidents[0].id, "INC-20261124-0001");
  EXPECT_EQ(page.recent_incidents[0].status, "resolved");
}

}  // namespace
}  // namespace x0::status
