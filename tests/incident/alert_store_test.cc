// Alertmanager's alerts in the incident store: a fingerprint still firing is a repeat (no entry,
// no notification), a new one joins its rule and target's incident once, a resolution finds its
// incident by fingerprint among all unresolved ones (past list()'s limit) and mitigates it when
// its last alert resolves, once; alerts without a fingerprint keep the rule+target behaviour; a
// failed write is an error and its retry does not duplicate; a version 2 database migrates.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "notify/planner.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::kT0;
using testing::open_store;
using testing::ScratchDir;

OpenRequest alert(const std::string& fingerprint, const std::string& rule = "HighErrorRate",
                  const std::string& target = "checkout") {
  OpenRequest r;
  r.title = rule + " on " + target;
  r.severity = Severity::kSev2;
  r.detection = DetectionMethod::kAlert;
  r.rule = rule;
  r.target = target;
  r.actor = "alertmanager";
  r.first_anomalous_ms = kT0 - 60'000;
  r.alert_fingerprint = fingerprint;
  r.alert_group_key = "{}:{alertname=\"" + rule + "\"}";
  return r;
}

AlertResolution resolved(const std::string& fingerprint, const std::string& rule = "HighErrorRate",
                         const std::string& target = "checkout") {
  AlertResolution r;
  r.fingerprint = fingerprint;
  r.rule = rule;
  r.target = target;
  r.text = "alert " + rule + " resolved in Alertmanager";
  return r;
}

size_t count_kind(const Incident& inc, TimelineKind kind) {
  size_t n = 0;
  for (const auto& e : inc.timeline) n += e.kind == kind ? 1 : 0;
  return n;
}

class AlertStoreTest : public ::testing::Test {
 protected:
  StoreOptions options() {
    StoreOptions o;
    notify::Channel all;
    all.name = "pd";
    all.events.set();
    all.severities.set();
    all.levels.set();
    o.plan_notifications = [all](const notify::Event& e) { return notify::plan({all}, e); };
    return o;
  }
  Incident get(const std::string& id) {
    auto inc = store_->get(id);
    EXPECT_TRUE(inc.has_value());
    return inc.value_or(Incident{});
  }
  int64_t pending() {
    auto n = store_->pending_count();
    EXPECT_TRUE(n.has_value());
    return n.value_or(-1);
  }

  ScratchDir dir_;
  FakeClock clock_;
  std::unique_ptr<IncidentStore> store_ = open_store(dir_.file("incidents.db"), &clock_, options());
};

TEST_F(AlertStoreTest, RepeatOfAFiringAlertWritesNothing) {
  auto first = store_->open_incident(alert("a1b2c3d4e5f60718"));
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  EXPECT_FALSE(first->joined);
  EXPECT_FALSE(first->repeat);
  const std::string id = first->incident.id;
  const size_t entries = first->incident.timeline.size();
  const int64_t rows = pending();
  ASSERT_GT(rows, 0);

  clock_.now += 60'000;
  for (int i = 0; i < 3; ++i) {
    auto again = alert("a1b2c3d4e5f60718");
    again.first_anomalous_ms = kT0;  // a later sender's idea of the start changes nothing
    again.severity = Severity::kSev1;
    auto r = store_->open_incident(again);
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    EXPECT_TRUE(r->repeat);
    EXPECT_TRUE(r->joined);
    EXPECT_EQ(r->incident.id, id);
  }
  const Incident after = get(id);
  EXPECT_EQ(after.timeline.size(), entries);
  EXPECT_EQ(after.severity, Severity::kSev2);
  EXPECT_EQ(after.start_ms(), kT0 - 60'000);  // startsAt of the first delivery
  EXPECT_EQ(pending(), rows);
}

TEST_F(AlertStoreTest, NewFingerprintOfTheSameRuleJoinsOnce) {
  auto first = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(first.has_value());
  const size_t entries = first->incident.timeline.size();
  auto second = store_->open_incident(alert("fp-two"));
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->joined);
  EXPECT_FALSE(second->repeat);
  EXPECT_EQ(second->incident.id, first->incident.id);
  EXPECT_EQ(second->incident.timeline.size(), entries + 1);  // one "detected" (joined)
  EXPECT_TRUE(store_->open_incident(alert("fp-two"))->repeat);
  EXPECT_EQ(get(first->incident.id).timeline.size(), entries + 1);
}

TEST_F(AlertStoreTest, WithoutAFingerprintEachDeliveryJoinsAsBefore) {
  auto first = store_->open_incident(alert(""));
  ASSERT_TRUE(first.has_value());
  auto second = store_->open_incident(alert(""));
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->joined);
  EXPECT_FALSE(second->repeat);
  EXPECT_EQ(count_kind(second->incident, TimelineKind::kDetected), 2u);
}

TEST_F(AlertStoreTest, MitigatedWhenItsLastAlertResolvesOnce) {
  auto opened = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(opened.has_value());
  const std::string id = opened->incident.id;
  ASSERT_TRUE(store_->open_incident(alert("fp-two")));

  auto one = store_->resolve_alert(resolved("fp-one"));
  ASSERT_TRUE(one.has_value()) << one.error().detail;
  EXPECT_EQ(one->as, AlertResolvedAs::kNoted);
  EXPECT_EQ(one->incident_id, id);
  EXPECT_EQ(one->still_firing, 1);
  EXPECT_EQ(get(id).status, Status::kOpen);
  const size_t entries = get(id).timeline.size();
  EXPECT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kRepeat);
  EXPECT_EQ(get(id).timeline.size(), entries);

  auto r = resolved("fp-two");
  r.ends_ms = kT0 - 5'000;
  auto two = store_->resolve_alert(r);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->as, AlertResolvedAs::kMitigated);
  const Incident mitigated = get(id);
  EXPECT_EQ(mitigated.status, Status::kMitigated);
  EXPECT_EQ(mitigated.first_time(TimelineKind::kMitigated), kT0 - 5'000);  // endsAt
  const int64_t rows = pending();
  EXPECT_EQ(store_->resolve_alert(resolved("fp-two"))->as, AlertResolvedAs::kRepeat);
  EXPECT_EQ(get(id).timeline.size(), mitigated.timeline.size());
  EXPECT_EQ(pending(), rows);
}

TEST_F(AlertStoreTest, ResolvesAnIncidentOlderThanTheListLimit) {
  constexpr int kIncidents = 130;
  std::string first_id;
  for (int i = 0; i < kIncidents; ++i) {
    auto r = store_->open_incident(
        alert("fp" + std::to_string(i), "Rule" + std::to_string(i), "svc" + std::to_string(i)));
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    if (i == 0) first_id = r->incident.id;
    clock_.now += 1;
  }
  auto newest = store_->list({.unresolved_only = true, .with_timeline = false});
  ASSERT_TRUE(newest.has_value());
  ASSERT_EQ(newest->size(), 100u);
  for (const auto& inc : *newest) ASSERT_NE(inc.id, first_id);

  auto out = store_->resolve_alert(resolved("fp0", "Rule0", "svc0"));
  ASSERT_TRUE(out.has_value()) << out.error().detail;
  EXPECT_EQ(out->as, AlertResolvedAs::kMitigated);
  EXPECT_EQ(out->incident_id, first_id);
  EXPECT_EQ(get(first_id).status, Status::kMitigated);
}

TEST_F(AlertStoreTest, FiringAgainAfterItsResolutionReopensTheSameIncident) {
  auto opened = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(opened.has_value());
  ASSERT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kMitigated);
  clock_.now += 120'000;
  auto back = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->joined);
  EXPECT_FALSE(back->repeat);
  EXPECT_EQ(back->incident.id, opened->incident.id);
  EXPECT_EQ(back->incident.status, Status::kOpen);
  EXPECT_TRUE(store_->open_incident(alert("fp-one"))->repeat);
  EXPECT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kMitigated);
}

TEST_F(AlertStoreTest, AfterTheOperatorResolvesTheSameAlertOpensANewIncident) {
  auto opened = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(opened.has_value());
  ResolveRequest done;
  done.root_cause = "bad deploy";
  done.resolution = "rolled back";
  ASSERT_TRUE(store_->resolve(opened->incident.id, done));
  EXPECT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kUnknown);
  auto again = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->joined);
  EXPECT_NE(again->incident.id, opened->incident.id);
}

TEST_F(AlertStoreTest, AnAlreadyMitigatedIncidentGetsTheNoteOnce) {
  auto opened = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(opened.has_value());
  const std::string id = opened->incident.id;
  ASSERT_TRUE(store_->set_mitigated(id, Note{}));
  EXPECT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kNoted);
  const size_t entries = get(id).timeline.size();
  EXPECT_EQ(store_->resolve_alert(resolved("fp-one"))->as, AlertResolvedAs::kRepeat);
  EXPECT_EQ(get(id).timeline.size(), entries);
  EXPECT_EQ(count_kind(get(id), TimelineKind::kMitigated), 1u);
}

TEST_F(AlertStoreTest, WithoutAFingerprintResolutionGoesByRuleAndTargetOnce) {
  auto opened = store_->open_incident(alert(""));
  ASSERT_TRUE(opened.has_value());
  const std::string id = opened->incident.id;
  EXPECT_EQ(store_->resolve_alert(resolved(""))->as, AlertResolvedAs::kMitigated);
  const size_t entries = get(id).timeline.size();
  EXPECT_EQ(store_->resolve_alert(resolved(""))->as, AlertResolvedAs::kRepeat);
  EXPECT_EQ(get(id).timeline.size(), entries);
  EXPECT_EQ(store_->resolve_alert(resolved("", "Other"))->as, AlertResolvedAs::kUnknown);
}

TEST_F(AlertStoreTest, AnUnknownFingerprintDoesNotResolveAnIncidentThatHasFingerprints) {
  auto opened = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(store_->resolve_alert(resolved("fp-other"))->as, AlertResolvedAs::kUnknown);
  EXPECT_EQ(get(opened->incident.id).status, Status::kOpen);
}

// Another connection holds the write lock (as the CLI may): a new alert fails with store_busy,
// a repeat of one recorded before is still answered (a read), and once the lock is gone the
// whole batch again records only what was missing.
TEST_F(AlertStoreTest, AFailedWriteIsAnErrorAndTheRetryDoesNotDuplicate) {
  store_.reset();
  StoreOptions o = options();
  o.busy_timeout_ms = 50;
  store_ = open_store(dir_.file("incidents.db"), &clock_, o);
  ASSERT_NE(store_, nullptr);
  auto recorded = store_->open_incident(alert("fp-one"));
  ASSERT_TRUE(recorded.has_value());
  const size_t entries = recorded->incident.timeline.size();

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("incidents.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(store_->open_incident(alert("fp-one"))->repeat);
  auto failed = store_->open_incident(alert("fp-new", "DiskFull", "db"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, Errc::kStoreBusy) << failed.error().detail;
  auto not_resolved = store_->resolve_alert(resolved("fp-one"));
  ASSERT_FALSE(not_resolved.has_value());
  EXPECT_TRUE(is_store_error(not_resolved.error().code));
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  auto retry_one = store_->open_incident(alert("fp-one"));
  auto retry_new = store_->open_incident(alert("fp-new", "DiskFull", "db"));
  ASSERT_TRUE(retry_one.has_value());
  ASSERT_TRUE(retry_new.has_value()) << retry_new.error().detail;
  EXPECT_TRUE(retry_one->repeat);
  EXPECT_FALSE(retry_new->joined);
  EXPECT_EQ(get(recorded->incident.id).timeline.size(), entries);
  auto all = store_->list({.with_timeline = false});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 2u);
}

TEST(AlertStoreMigration, AVersion2DatabaseMigratesAndItsIncidentsResolveByRuleAndTarget) {
  ScratchDir dir;
  FakeClock clock;
  const std::string path = dir.file("incidents.db");
  std::string id;
  {
    auto store = open_store(path, &clock);
    ASSERT_NE(store, nullptr);
    auto opened = store->open_incident(alert(""));
    ASSERT_TRUE(opened.has_value());
    id = opened->incident.id;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX alert_fingerprints_by_incident; DROP TABLE "
                         "alert_fingerprints; PRAGMA user_version = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto store = open_store(path, &clock);
  ASSERT_NE(store, nullptr);
  auto v = store->verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->schema_version, IncidentStore::kSchemaVersion);  // and on past 3
  EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems[0]);
  // Alertmanager sends a fingerprint now; the incident from before has none attached.
  auto out = store->resolve_alert(resolved("fp-after-upgrade"));
  ASSERT_TRUE(out.has_value()) << out.error().detail;
  EXPECT_EQ(out->as, AlertResolvedAs::kMitigated);
  EXPECT_EQ(out->incident_id, id);
}

}  // namespace
}  // namespace x0::incident
