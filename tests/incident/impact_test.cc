// The measured Impact line, and that it never replaces what an operator wrote (issue 17 item 11).
#include "incident/impact.h"

#include <gtest/gtest.h>

#include "incident/incident_store.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::kT0;
using testing::open_store;
using testing::rule_request;
using testing::ScratchDir;

TEST(MeasuredImpact, SaysWhatFailedOutOfWhatForHowLongAndWhatTheNodeDid) {
  Incident inc;
  inc.timeline.push_back({kT0,
                          TimelineKind::kActionTaken,
                          "autopilot",
                          "rolled back release shop-2: all traffic on the stable set",
                          {},
                          1});
  inc.timeline.push_back({kT0 + 1, TimelineKind::kUpdate, "autopilot", "acting: rollback", {}, 2});
  MeasuredImpact m{"shop", kT0 - 2000, kT0 + 39200, true, 2040, 312, 0, INFINITY};
  std::string text = measured_impact_text(m, inc);
  EXPECT_TRUE(text.starts_with(kMeasuredImpact)) << text;
  EXPECT_NE(text.find("312 of 2040 requests to shop failed (15.3 %)"), std::string::npos) << text;
  EXPECT_NE(text.find("over 41.200 s"), std::string::npos) << text;
  EXPECT_NE(text.find("actions: rolled back release shop-2"), std::string::npos) << text;
  EXPECT_EQ(text.find("acting:"), std::string::npos) << "only what was done";

  m.slower = 1020;
  m.slower_than_ms = 200;
  EXPECT_NE(measured_impact_text(m, {}).find("1020 (50.0 %) took 200 ms or more"),
            std::string::npos);
  m.counted = false;
  EXPECT_NE(measured_impact_text(m, {}).find("not counted"), std::string::npos);
  m.service.clear();
  EXPECT_NE(measured_impact_text(m, {}).find("a node-wide condition, over"), std::string::npos);
}

TEST(MeasuredImpact, NeverReplacesAnOperatorsAccount) {
  ScratchDir dir;
  FakeClock clock;
  auto store = open_store(dir.file("incidents.db"), &clock);
  auto opened = store->open_incident(rule_request("errors", "shop", Severity::kSev2));
  ASSERT_TRUE(opened.has_value());
  const std::string id = opened->incident.id;
  Note op{"operator", "customers report failed checkouts", {}, {}};
  op.impact = "checkout down for EU customers";
  ASSERT_TRUE(store->add_update(id, op));
  Note node{"autopilot", "error_rate back within bounds", {}, {}};
  node.impact = std::string(kMeasuredImpact) + "12 of 100 requests to shop failed";
  auto mitigated = store->set_mitigated(id, node);
  ASSERT_TRUE(mitigated.has_value());
  EXPECT_EQ(mitigated->impact, "checkout down for EU customers");
  EXPECT_EQ(mitigated->status, Status::kMitigated);

  OpenRequest by_rule = rule_request("errors", "search", Severity::kSev2);
  by_rule.impact.clear();  // as the autopilot opens them
  auto other = store->open_incident(by_rule);
  ASSERT_TRUE(other.has_value());
  auto measured = store->set_mitigated(other->incident.id, node);
  ASSERT_TRUE(measured.has_value());
  EXPECT_EQ(measured->impact, *node.impact) << "nothing else written: the measurement stands";
  ResolveRequest resolve{"bad deploy", "rolled back", "", {}, "operator", {}};
  resolve.impact = "12 failed checkouts";
  auto resolved = store->resolve(other->incident.id, resolve);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->impact, "12 failed checkouts") << "an operator's word replaces it";
}

}  // namespace
}  // namespace x0::incident
