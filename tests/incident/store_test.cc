// IncidentStore against a real SQLite file: open and dedup/join, timeline order, lifecycle
// transitions and the refused ones, list filters, counts, reopen, verify().
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

std::vector<TimelineKind> kinds(const Incident& inc) {
  std::vector<TimelineKind> out;
  for (const auto& e : inc.timeline) out.push_back(e.kind);
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  FakeClock clock_;
  std::unique_ptr<IncidentStore> store_ = open_store(dir_.file("incidents.db"), &clock_);

  Incident open_new(const OpenRequest& r) {
    auto out = store_->open_incident(r);
    EXPECT_TRUE(out.has_value()) << out.error().detail;
    EXPECT_FALSE(out->joined);
    return out->incident;
  }
};

TEST_F(StoreTest, OpenAssignsDailyIdsAndRecordsDetection) {
  auto r = rule_request("error_rate_critical", "checkout", Severity::kSev1);
  r.first_anomalous_ms = kT0 - 800;
  r.detected_ms = kT0 - 100;
  auto a = open_new(r);
  EXPECT_EQ(a.id, "INC-20261124-0001");
  EXPECT_EQ(a.status, Status::kOpen);
  EXPECT_EQ(a.severity, Severity::kSev1);
  EXPECT_EQ(a.detection, DetectionMethod::kMonitoring);
  EXPECT_EQ(kinds(a), (std::vector{TimelineKind::kFirstAnomalousSample, TimelineKind::kDetected}));
  EXPECT_EQ(mttd_ms(a), 700);
  EXPECT_EQ(a.created_ms, kT0);

  auto b = open_new(rule_request("error_rate_critical", "search", Severity::kSev2));
  EXPECT_EQ(b.id, "INC-20261124-0002");
  clock_.now += 24 * 3'600'000;
  auto c = open_new(rule_request("latency", "search", Severity::kSev2));
  EXPECT_EQ(c.id, "INC-20261125-0001");
}

TEST_F(StoreTest, SameRuleAndTargetJoinsTheUnresolvedIncident) {
  auto first = open_new(rule_request("error_rate_critical", "checkout", Severity::kSev2));
  clock_.now += 1000;
  auto again = rule_request("error_rate_critical", "checkout", Severity::kSev1);
  again.affected_services = {"checkout", "payments"};
  auto joined = store_->open_incident(again);
  ASSERT_TRUE(joined.has_value());
  EXPECT_TRUE(joined->joined);
  EXPECT_EQ(joined->incident.id, first.id);
  // Joined: one more detection, the worse severity with an escalated entry, merged services.
  EXPECT_EQ(joined->incident.severity, Severity::kSev1);
  EXPECT_EQ(joined->incident.affected_services, (std::vector<std::string>{"checkout", "payments"}));
  EXPECT_EQ(kinds(joined->incident), (std::vector{TimelineKind::kDetected, TimelineKind::kDetected,
                                                  TimelineKind::kEscalated}));
  EXPECT_EQ(joined->incident.timeline[1].fields.value("joined", false), true);

  auto all = store_->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 1u);

  // Another target, or a manual incident without a rule, is a new incident.
  open_new(rule_request("error_rate_critical", "search", Severity::kSev2));
  OpenRequest manual;
  manual.title = "customer reports";
  manual.severity = Severity::kSev3;
  open_new(manual);
  open_new(manual);
  EXPECT_EQ(store_->list()->size(), 4u);
}

TEST_F(StoreTest, ADetectionJoiningAMitigatedIncidentReopensIt) {
  auto first = open_new(rule_request("mesh_peer_down", "node", Severity::kSev3));
  ASSERT_TRUE(store_->set_mitigated(first.id, {"autopilot", "the condition cleared", kT0, {}}));
  clock_.now += 1000;
  auto again = store_->open_incident(rule_request("mesh_peer_down", "node", Severity::kSev3));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->joined);
  EXPECT_EQ(again->incident.status, Status::kOpen);
  EXPECT_EQ(again->incident.timeline.back().text,
            "re-opened: the condition is back after it was mitigated");
  // Acknowledged before it was mitigated: it goes back to acknowledged, not to open.
  ASSERT_TRUE(store_->acknowledge(first.id, {"on-call", "looking", clock_.now, {}}));
  ASSERT_TRUE(store_->set_mitigated(first.id, {"autopilot", "the condition cleared", clock_.now, {}}));
  again = store_->open_incident(rule_request("mesh_peer_down", "node", Severity::kSev3));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->incident.status, Status::kAcknowledged);
}

TEST_F(StoreTest, AResolvedIncidentIsNotJoined) {
  auto first = open_new(rule_request("svc_down", "checkout", Severity::kSev1));
  ASSERT_TRUE(store_->resolve(first.id, {"bad deploy", "rolled back", "", {}, "op", {}}));
  auto second = store_->open_incident(rule_request("svc_down", "checkout", Severity::kSev1));
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->joined);
  EXPECT_NE(second->incident.id, first.id);
}

TEST_F(StoreTest, TimelineIsOrderedByTimeThenInsertion) {
  auto inc = open_new(rule_request("r", "t", Severity::kSev2));
  TimelineEntry late{kT0 + 5000, TimelineKind::kActionTaken, "autopilot", "rollback", {}, 0};
  TimelineEntry early{kT0 - 5000, TimelineKind::kFirstAnomalousSample, "autopilot", "", {}, 0};
  TimelineEntry same1{kT0 + 5000, TimelineKind::kNotified, "system", "paged on-call", {}, 0};
  ASSERT_TRUE(store_->append(inc.id, late));
  ASSERT_TRUE(store_->append(inc.id, early));
  auto got = store_->append(inc.id, same1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(kinds(*got), (std::vector{TimelineKind::kFirstAnomalousSample, TimelineKind::kDetected,
                                      TimelineKind::kActionTaken, TimelineKind::kNotified}));
  EXPECT_EQ(got->timeline[2].text, "rollback");
  EXPECT_LT(got->timeline[2].seq, got->timeline[3].seq);
  // Status-changing kinds go through their own calls.
  TimelineEntry ack{kT0, TimelineKind::kAcknowledged, "op", "", {}, 0};
  auto refused = store_->append(inc.id, ack);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::kBadRequest);
}

TEST_F(StoreTest, LifecycleOpenAckUpdateMitigateResolve) {
  auto r = rule_request("latency_p95", "api", Severity::kSev2);
  r.first_anomalous_ms = kT0 - 2000;
  auto inc = open_new(r);
  clock_.now = kT0 + 60'000;
  auto acked = store_->acknowledge(inc.id, {"alice", "looking", {}, {}});
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->status, Status::kAcknowledged);
  EXPECT_TRUE(acked->acknowledged());
  EXPECT_EQ(acked->updated_ms, kT0 + 60'000);
  auto upd = store_->add_update(inc.id, {"alice", "rollback started", {}, {}});
  ASSERT_TRUE(upd.has_value());
  EXPECT_EQ(upd->status, Status::kAcknowledged);
  auto mit = store_->set_mitigated(inc.id, {"autopilot", "", kT0 + 1000, {}});
  ASSERT_TRUE(mit.has_value());
  EXPECT_EQ(mit->status, Status::kMitigated);
  EXPECT_EQ(mttr_ms(*mit), 3000);
  auto res = store_->resolve(inc.id, {"bad build",
                                      "rolled back to v1",
                                      "canary earlier",
                                      {"add test", "alert on p95"},
                                      "alice",
                                      {}});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, Status::kResolved);
  EXPECT_EQ(res->root_cause, "bad build");
  EXPECT_EQ(res->action_items.size(), 2u);
  EXPECT_EQ(res->timeline.back().kind, TimelineKind::kResolved);
}

TEST_F(StoreTest, RefusedTransitionsChangeNothing) {
  auto inc = open_new(rule_request("r", "t", Severity::kSev1));
  ASSERT_TRUE(store_->acknowledge(inc.id, {}));
  auto twice = store_->acknowledge(inc.id, {});
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, Errc::kInvalidTransition);
  ASSERT_TRUE(store_->set_mitigated(inc.id, {}));
  EXPECT_EQ(store_->set_mitigated(inc.id, {}).error().code, Errc::kInvalidTransition);
  ASSERT_TRUE(store_->resolve(inc.id, {"rc", "fix", "", {}, "op", {}}));
  const auto before = store_->get(inc.id)->timeline.size();

  EXPECT_EQ(store_->resolve(inc.id, {"rc", "fix", "", {}, "op", {}}).error().code,
            Errc::kInvalidTransition);
  EXPECT_EQ(store_->acknowledge(inc.id, {}).error().code, Errc::kInvalidTransition);
  EXPECT_EQ(store_->add_update(inc.id, {"op", "late", {}, {}}).error().code,
            Errc::kInvalidTransition);
  EXPECT_EQ(store_->set_mitigated(inc.id, {}).error().code, Errc::kInvalidTransition);
  EXPECT_EQ(store_->get(inc.id)->timeline.size(), before);
  // Notifications may still be recorded after resolution.
  EXPECT_TRUE(store_->append(inc.id, {kT0, TimelineKind::kNotified, "system", "sent", {}, 0}));
}

TEST_F(StoreTest, AckOnAMitigatedIncidentKeepsItMitigated) {
  auto inc = open_new(rule_request("r", "t", Severity::kSev2));
  ASSERT_TRUE(store_->set_mitigated(inc.id, {}));
  auto acked = store_->acknowledge(inc.id, {});
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->status, Status::kMitigated);
  EXPECT_TRUE(acked->acknowledged());
}

TEST_F(StoreTest, UnknownIdsAndBadRequests) {
  EXPECT_EQ(store_->get("INC-20990101-0001").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->acknowledge("nope", {}).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->resolve("nope", {}).error().code, Errc::kNotFound);
  OpenRequest untitled;
  EXPECT_EQ(store_->open_incident(untitled).error().code, Errc::kBadRequest);
  auto r = rule_request("r", "t", Severity::kSev2);
  r.first_anomalous_ms = kT0 + 10;
  r.detected_ms = kT0;
  EXPECT_EQ(store_->open_incident(r).error().code, Errc::kBadRequest);
  auto inc = open_new(rule_request("r", "t", Severity::kSev2));
  EXPECT_EQ(store_->add_update(inc.id, {"op", "", {}, {}}).error().code, Errc::kBadRequest);
}

TEST_F(StoreTest, ListFiltersNewestFirstWithLimit) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.now = kT0 + i * 1000;
    ids.push_back(open_new(rule_request("r" + std::to_string(i), "t",
                                        i % 2 == 0 ? Severity::kSev1 : Severity::kSev3))
                      .id);
  }
  ASSERT_TRUE(store_->resolve(ids[0], {"rc", "fix", "", {}, "op", {}}));
  auto all = store_->list();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ(all->front().id, ids[4]);
  EXPECT_EQ(all->back().id, ids[0]);
  EXPECT_EQ(store_->list({.limit = 2})->size(), 2u);
  auto sev1 = store_->list({.severity = Severity::kSev1});
  EXPECT_EQ(sev1->size(), 3u);
  auto unresolved_sev1 = store_->list({.severity = Severity::kSev1, .unresolved_only = true});
  EXPECT_EQ(unresolved_sev1->size(), 2u);
  auto resolved = store_->list({.status = Status::kResolved, .with_timeline = false});
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_EQ(resolved->front().id, ids[0]);
  EXPECT_TRUE(resolved->front().timeline.empty());
}

TEST_F(StoreTest, OpenCountsBySeverity) {
  auto a = open_new(rule_request("a", "t", Severity::kSev1));
  open_new(rule_request("b", "t", Severity::kSev1));
  open_new(rule_request("c", "t", Severity::kSev4));
  ASSERT_TRUE(store_->resolve(a.id, {"rc", "fix", "", {}, "op", {}}));
  OpenCounts want{1, 0, 0, 1};
  EXPECT_EQ(*store_->open_counts(), want);
  EXPECT_EQ(store_->open_counts_cached(), want);
}

TEST_F(StoreTest, ReopenKeepsEverythingAndMigrationIsIdempotent) {
  auto inc = open_new(rule_request("r", "t", Severity::kSev2));
  ASSERT_TRUE(store_->acknowledge(inc.id, {"bob", "on it", {}, {}}));
  store_.reset();
  store_ = open_store(dir_.file("incidents.db"), &clock_);
  ASSERT_NE(store_, nullptr);
  auto got = store_->get(inc.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, Status::kAcknowledged);
  EXPECT_EQ(got->timeline.back().actor, "bob");
  auto v = store_->verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->schema_version, IncidentStore::kSchemaVersion);
  EXPECT_EQ(v->incidents, 1);
  EXPECT_EQ(v->unresolved, 1);
  EXPECT_EQ(v->timeline_entries, 2);
  EXPECT_EQ(to_json(*v)["ok"], true);
}

}  // namespace
}  // namespace x0::incident
