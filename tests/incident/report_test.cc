// The post-incident report: every template field of seeds/003 and SPEC section 6, the timeline
// in order, MTTD and MTTR, and "not recorded yet" for what is still missing.
#include "incident/report.h"

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

const char* const kTemplateFields[] = {"Incident ID",
                                       "Severity",
                                       "Start Time",
                                       "Detection Method",
                                       "Affected Services",
                                       "Impact",
                                       "Root Cause",
                                       "Resolution",
                                       "Resolution Time",
                                       "Lessons Learned",
                                       "Action Items",
                                       "Timeline",
                                       "MTTD",
                                       "MTTR"};

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

Incident resolved_incident() {
  ScratchDir dir;
  FakeClock clock;
  auto store = open_store(dir.file("incidents.db"), &clock);
  auto r = rule_request("error_rate_critical", "checkout", Severity::kSev1);
  r.first_anomalous_ms = kT0 - 900;
  r.affected_services = {"checkout", "payments"};
  r.impact = "12% of checkout requests failed | users saw 502";
  auto inc = store->open_incident(r)->incident;
  store->append(inc.id, {kT0 + 100,
                         TimelineKind::kActionTaken,
                         "autopilot",
                         "rollback to stable",
                         {{"release", "v2"}},
                         0});
  store->set_mitigated(inc.id, {"autopilot", "", kT0 + 1100, {}});
  clock.now = kT0 + 20 * 60'000;
  store->acknowledge(inc.id, {"alice", "", {}, {}});
  clock.now = kT0 + 45 * 60'000;
  return *store->resolve(inc.id, {"v2 dropped the DB pool size",
                                  "rolled back to v1",
                                  "canary steps were too big",
                                  {"add pool test", "smaller steps"},
                                  "alice",
                                  {}});
}

TEST(Report, CarriesEveryTemplateFieldTimelineMttdAndMttr) {
  const Incident inc = resolved_incident();
  const std::string md = render_report(inc, kT0 + kT0 % 7);
  for (const char* field : kTemplateFields) EXPECT_TRUE(contains(md, field)) << field;
  EXPECT_TRUE(contains(md, "| Incident ID | " + inc.id + " |"));
  EXPECT_TRUE(contains(md, "| Severity | SEV-1 (Critical) |"));
  EXPECT_TRUE(contains(md, "| Start Time | 2026-11-24T14:59:59.100Z (first anomalous sample) |"));
  EXPECT_TRUE(contains(md, "| Detection Method | Monitoring |"));
  EXPECT_TRUE(contains(md, "| Affected Services | checkout, payments |"));
  EXPECT_TRUE(contains(md, "12% of checkout requests failed \\| users saw 502"));
  EXPECT_TRUE(contains(md, "| Root Cause | v2 dropped the DB pool size |"));
  EXPECT_TRUE(contains(md, "| Resolution | rolled back to v1 |"));
  EXPECT_TRUE(
      contains(md, "| Resolution Time | 2026-11-24T15:45:00.000Z (45 min 0 s after start) |"));
  EXPECT_TRUE(contains(md, "| MTTD (first anomalous sample → detected) | 0.900 s |"));
  EXPECT_TRUE(contains(md, "| MTTR (first anomalous sample → mitigated) | 2.000 s |"));
  EXPECT_TRUE(contains(md, "canary steps were too big"));
  EXPECT_TRUE(contains(md, "- [ ] add pool test\n- [ ] smaller steps\n"));
  EXPECT_FALSE(contains(md, kNotRecorded));

  // Timeline rows in time order, one per entry.
  const char* const rows[] = {"| 2026-11-24T14:59:59.100Z | first_anomalous_sample |",
                              "| 2026-11-24T15:00:00.000Z | detected |",
                              "| 2026-11-24T15:00:00.100Z | action_taken | autopilot | rollback",
                              "| 2026-11-24T15:00:01.100Z | mitigated |",
                              "| 2026-11-24T15:20:00.000Z | acknowledged | alice |",
                              "| 2026-11-24T15:45:00.000Z | resolved | alice |"};
  size_t pos = md.find("## Timeline");
  ASSERT_NE(pos, std::string::npos);
  for (const char* row : rows) {
    const size_t at = md.find(row, pos);
    ASSERT_NE(at, std::string::npos) << row;
    pos = at;
  }
  EXPECT_TRUE(contains(md, R"({"release":"v2"})"));
}

TEST(Report, MissingFieldsSayNotRecordedYet) {
  Incident inc;
  inc.id = "INC-20261124-0007";
  inc.title = "manual";
  inc.severity = Severity::kSev3;
  inc.created_ms = kT0;
  inc.timeline.push_back({kT0, TimelineKind::kDetected, "bob", "customer report", {}, 1});
  const std::string md = render_report(inc, kT0);
  for (const char* field :
       {"Affected Services", "Impact", "Root Cause", "Resolution", "Resolution Time"})
    EXPECT_TRUE(contains(md, std::string("| ") + field + " | not recorded yet |")) << field;
  EXPECT_TRUE(contains(md, "## Lessons Learned\n\n_not recorded yet_"));
  EXPECT_TRUE(contains(md, "## Action Items\n\n_not recorded yet_"));
  EXPECT_TRUE(contains(md, "| MTTD (first anomalous sample → detected) | unknown: no anomalous"));
  EXPECT_TRUE(contains(md, "Start Time | 2026-11-24T15:00:00.000Z (detection;"));
}

TEST(Report, DurationsReadLikeAnOperatorWouldSayThem) {
  EXPECT_EQ(format_duration(850), "0.850 s");
  EXPECT_EQ(format_duration(59'999), "59.999 s");
  EXPECT_EQ(format_duration(60'000), "1 min 0 s");
  EXPECT_EQ(format_duration(3 * 3'600'000 + 5 * 60'000), "3 h 5 min");
  EXPECT_EQ(format_duration(-1500), "-1.500 s");
}

}  // namespace
}  // namespace x0::incident
