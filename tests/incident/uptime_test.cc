// The status page's uptime history: the pure day arithmetic and weighting (incident/uptime.h),
// and the store's table (store_uptime.cc): samples counted per day, kept across a reopen,
// pruned past the window, and the migration from a schema 3 database.
#include "incident/uptime.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "incident/incident_store.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::kT0;  // 2026-11-24T15:00:00Z
using testing::open_store;
using testing::ScratchDir;

constexpr int64_t kDay = 86'400'000;
using CS = ComponentStatus;

UptimeDay day(std::string component, std::string date, std::array<int64_t, 4> samples) {
  return UptimeDay{std::move(component), std::move(date), samples};
}

TEST(UptimeTest, StatusNamesRoundTripAndOrderByBadness) {
  for (CS s : {CS::kOperational, CS::kDegradedPerformance, CS::kPartialOutage, CS::kMajorOutage})
    EXPECT_EQ(parse_component_status(to_string(s)), s);
  EXPECT_EQ(to_string(CS::kDegradedPerformance), "degraded_performance");
  EXPECT_FALSE(parse_component_status("down").has_value());
  EXPECT_EQ(worse(CS::kPartialOutage, CS::kDegradedPerformance), CS::kPartialOutage);
  EXPECT_EQ(worse(CS::kOperational, CS::kMajorOutage), CS::kMajorOutage);
}

TEST(UptimeTest, UtcDateOfUnixMs) {
  EXPECT_EQ(utc_date(kT0), "2026-11-24");
  EXPECT_EQ(utc_date(kT0 + 9 * 3600 * 1000 - 1), "2026-11-24");  // 23:59:59.999
  EXPECT_EQ(utc_date(kT0 + 9 * 3600 * 1000), "2026-11-25");
}

TEST(UptimeTest, StatuspageWeighting) {
  EXPECT_FALSE(uptime_fraction({0, 0, 0, 0}).has_value());
  EXPECT_DOUBLE_EQ(*uptime_fraction({1440, 0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(*uptime_fraction({0, 1440, 0, 0}), 1.0);  // degraded is not downtime
  EXPECT_DOUBLE_EQ(*uptime_fraction({1430, 0, 0, 10}), 1.0 - 10.0 / 1440);
  EXPECT_DOUBLE_EQ(*uptime_fraction({1340, 0, 100, 0}), 1.0 - 30.0 / 1440);
  EXPECT_EQ(worst_status({5, 1, 0, 0}), CS::kDegradedPerformance);
  EXPECT_EQ(worst_status({5, 1, 0, 2}), CS::kMajorOutage);
  EXPECT_EQ(worst_status({0, 0, 0, 0}), CS::kOperational);
}

TEST(UptimeTest, BarsCoverTheWindowOldestFirstWithGaps) {
  std::vector<UptimeDay> rows = {
      day("node", "2026-11-24", {100, 0, 0, 0}), day("node", "2026-11-22", {90, 0, 0, 10}),
      day("cache", "2026-11-24", {0, 0, 0, 50}),  // another component
      day("node", "2026-08-01", {0, 0, 0, 100}),  // outside the window
  };
  auto bars = uptime_bars(rows, "node", kT0, 90);
  ASSERT_EQ(bars.size(), 90u);
  EXPECT_EQ(bars.back().date, "2026-11-24");
  EXPECT_EQ(bars.front().date, utc_date(kT0 - 89 * kDay));
  EXPECT_DOUBLE_EQ(*bars.back().uptime, 1.0);
  EXPECT_FALSE(bars[bars.size() - 2].uptime.has_value());  // 2026-11-23: no data
  EXPECT_DOUBLE_EQ(*bars[bars.size() - 3].uptime, 0.9);
  EXPECT_EQ(bars[bars.size() - 3].worst, CS::kMajorOutage);
  // Over the window: 190 operational, 10 major of 200 samples.
  EXPECT_DOUBLE_EQ(*uptime_over(bars), 0.95);
  EXPECT_FALSE(uptime_over(uptime_bars(rows, "mesh", kT0, 90)).has_value());
  EXPECT_TRUE(uptime_bars(rows, "node", kT0, 0).empty());
}

class UptimeStoreTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  FakeClock clock_;
  std::unique_ptr<IncidentStore> store_ = open_store(dir_.file("incidents.db"), &clock_);
};

TEST_F(UptimeStoreTest, SamplesAreCountedPerComponentAndDayAndSurviveReopen) {
  ASSERT_TRUE(store_->record_uptime({{"node", CS::kOperational}, {"svc", CS::kMajorOutage}}));
  clock_.now += 60'000;
  ASSERT_TRUE(store_->record_uptime({{"node", CS::kOperational}, {"svc", CS::kPartialOutage}}));
  clock_.now += kDay;
  ASSERT_TRUE(store_->record_uptime({{"node", CS::kDegradedPerformance}}));
  store_.reset();
  store_ = open_store(dir_.file("incidents.db"), &clock_);
  ASSERT_NE(store_, nullptr);
  auto rows = store_->uptime_history();
  ASSERT_TRUE(rows.has_value()) << rows.error().detail;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].component, "node");
  EXPECT_EQ((*rows)[0].date, "2026-11-24");
  EXPECT_EQ((*rows)[0].samples, (std::array<int64_t, 4>{2, 0, 0, 0}));
  EXPECT_EQ((*rows)[1].date, "2026-11-25");
  EXPECT_EQ((*rows)[1].samples, (std::array<int64_t, 4>{0, 1, 0, 0}));
  EXPECT_EQ((*rows)[2].component, "svc");
  EXPECT_EQ((*rows)[2].samples, (std::array<int64_t, 4>{0, 0, 1, 1}));
  auto v = store_->verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->ok);
}

TEST_F(UptimeStoreTest, RowsPastTheWindowArePrunedSoTheTableStaysBounded) {
  for (int d = 0; d < 120; ++d) {
    ASSERT_TRUE(store_->record_uptime({{"node", CS::kOperational}}));
    clock_.now += kDay;
  }
  auto all = store_->uptime_history(1000);
  ASSERT_TRUE(all.has_value());
  // The last sample was yesterday's: it kept its own day and the 90 before it.
  const int64_t last = clock_.now - kDay;
  EXPECT_EQ(all->size(), static_cast<size_t>(kUptimeKeepDays));
  EXPECT_EQ(all->front().date, utc_date(last - (kUptimeKeepDays - 1) * kDay));
  auto shown = store_->uptime_history(kUptimeDays);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->size(), static_cast<size_t>(kUptimeDays) - 1);  // today has no row yet
}

TEST_F(UptimeStoreTest, ComponentCountAndIdLengthAreBounded) {
  std::vector<UptimeSample> many;
  for (size_t i = 0; i < kMaxUptimeComponents + 10; ++i)
    many.push_back({std::to_string(i) + "c", CS::kOperational});
  many.front().component = std::string(300, 'x');
  ASSERT_TRUE(store_->record_uptime(many));
  auto rows = store_->uptime_history();
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(rows->size(), kMaxUptimeComponents);
  bool clipped = false;
  for (const auto& r : *rows) clipped |= r.component == std::string(kMaxComponentIdBytes, 'x');
  EXPECT_TRUE(clipped);
}

TEST(UptimeMigrationTest, SchemaThreeDatabaseGainsTheTableAndKeepsItsIncidents) {
  ScratchDir dir;
  FakeClock clock;
  const std::string path = dir.file("incidents.db");
  std::string id;
  {
    auto store = open_store(path, &clock);
    ASSERT_NE(store, nullptr);
    auto opened = store->open_incident(testing::rule_request("r", "t", Severity::kSev2));
    ASSERT_TRUE(opened.has_value());
    id = opened->incident.id;
  }
  // Back to what a schema 3 binary left: no uptime table, user_version 3.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE uptime_days; PRAGMA user_version = 3", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = open_store(path, &clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->get(id).has_value());
  ASSERT_TRUE(store->record_uptime({{"node", CS::kOperational}}));
  auto v = store->verify();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->schema_version, 4);
  EXPECT_TRUE(v->ok);
}

}  // namespace
}  // namespace x0::incident
