// The incident model: MTTD/MTTR math from the timeline, names <-> enums, ids and UTC times.
#include <gtest/gtest.h>

#include "common/log.h"
#include "incident/incident.h"
#include "test_support.h"

namespace x0::incident {
namespace {

// Keep the test output to failures: the store logs one INFO line per incident.
[[maybe_unused]] const bool kQuiet = (x0::log::set_level(x0::log::Level::kWarn), true);

using testing::kT0;

Incident with_timeline(std::vector<std::pair<TimelineKind, int64_t>> events) {
  Incident inc;
  inc.created_ms = kT0;
  int64_t seq = 0;
  for (auto [kind, t] : events) inc.timeline.push_back({t, kind, "x", "", {}, ++seq});
  return inc;
}

TEST(IncidentModel, MttdIsDetectedMinusFirstAnomalousSample) {
  auto inc = with_timeline({{TimelineKind::kFirstAnomalousSample, kT0},
                            {TimelineKind::kDetected, kT0 + 850},
                            {TimelineKind::kMitigated, kT0 + 1900}});
  EXPECT_EQ(mttd_ms(inc), 850);
  EXPECT_EQ(mttr_ms(inc), 1900);
  EXPECT_EQ(inc.start_ms(), kT0);
}

TEST(IncidentModel, EarliestEntryOfAKindCounts) {
  // A joined incident has several detections; the first one defines MTTD.
  auto inc = with_timeline({{TimelineKind::kDetected, kT0 + 5000},
                            {TimelineKind::kFirstAnomalousSample, kT0},
                            {TimelineKind::kDetected, kT0 + 700},
                            {TimelineKind::kMitigated, kT0 + 9000},
                            {TimelineKind::kMitigated, kT0 + 3000}});
  EXPECT_EQ(mttd_ms(inc), 700);
  EXPECT_EQ(mttr_ms(inc), 3000);
}

TEST(IncidentModel, MttrIsNullUntilMitigatedAndUsesResolutionWhenNeverMitigated) {
  auto inc = with_timeline(
      {{TimelineKind::kFirstAnomalousSample, kT0}, {TimelineKind::kDetected, kT0 + 100}});
  EXPECT_FALSE(mttr_ms(inc).has_value());
  inc.timeline.push_back({kT0 + 60'000, TimelineKind::kResolved, "op", "", {}, 9});
  EXPECT_EQ(mttr_ms(inc), 60'000);
}

TEST(IncidentModel, NoAnomalousSampleMeansNoMttdNorMttr) {
  auto inc = with_timeline({{TimelineKind::kDetected, kT0}, {TimelineKind::kMitigated, kT0 + 5}});
  EXPECT_FALSE(mttd_ms(inc).has_value());
  EXPECT_FALSE(mttr_ms(inc).has_value());
  EXPECT_EQ(inc.start_ms(), kT0);  // falls back to detection
}

TEST(IncidentModel, NamesRoundTrip) {
  for (int i = 1; i <= 4; ++i) {
    auto s = static_cast<Severity>(i);
    EXPECT_EQ(parse_severity(to_string(s)), s);
  }
  EXPECT_EQ(parse_severity("sev2"), Severity::kSev2);
  EXPECT_EQ(parse_severity("3"), Severity::kSev3);
  EXPECT_FALSE(parse_severity("SEV-5").has_value());
  EXPECT_FALSE(parse_severity("SEV-").has_value());
  EXPECT_FALSE(parse_severity("").has_value());
  for (auto k :
       {TimelineKind::kFirstAnomalousSample, TimelineKind::kDetected, TimelineKind::kActionTaken,
        TimelineKind::kMitigated, TimelineKind::kAcknowledged, TimelineKind::kUpdate,
        TimelineKind::kEscalated, TimelineKind::kResolved, TimelineKind::kNotified})
    EXPECT_EQ(parse_timeline_kind(to_string(k)), k);
  EXPECT_EQ(parse_detection_method("alert"), DetectionMethod::kAlert);
  EXPECT_EQ(to_string(DetectionMethod::kMonitoring), "Monitoring");
  EXPECT_FALSE(parse_status("closed").has_value());
}

TEST(IncidentModel, IdsAndTimesAreUtc) {
  EXPECT_EQ(iso8601_utc(kT0 + 123), "2026-11-24T15:00:00.123Z");
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(make_incident_id(kT0, 1), "INC-20261124-0001");
  EXPECT_EQ(make_incident_id(kT0, 12345), "INC-20261124-12345");
  EXPECT_EQ(utc_day(kT0 + 9 * 3'600'000), "20261125");  // 00:00 next day
}

}  // namespace
}  // namespace x0::incident
