// Escalation and SLA timers at their boundaries: one millisecond before, at, and after each due
// time, for SEV-1 and SEV-2, with the SPEC defaults and with a test-scaled policy.
#include "incident/escalation.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace x0::incident {
namespace {

using testing::kT0;

Incident detected_at(Severity sev, int64_t t) {
  Incident inc;
  inc.id = "INC-20261124-0001";
  inc.severity = sev;
  inc.created_ms = t;
  inc.timeline.push_back({t, TimelineKind::kDetected, "autopilot", "", {}, 1});
  return inc;
}

void add(Incident* inc, TimelineKind kind, int64_t t, nlohmann::json fields = {}) {
  inc->timeline.push_back({t, kind, "x", "", fields.is_object() ? fields : nlohmann::json::object(),
                           static_cast<int64_t>(inc->timeline.size() + 1)});
}

const EscalationPolicy kDefaults{};

TEST(Escalation, Sev1GoesToTheTeamLeadAtOnceAndToTheCtoAfterOneHour) {
  auto inc = detected_at(Severity::kSev1, kT0);
  auto s = evaluate(inc, kT0, kDefaults);
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].level, EscalationLevel::kL2TeamLead);
  EXPECT_TRUE(s.steps[0].due);
  EXPECT_FALSE(s.steps[1].due);
  EXPECT_EQ(s.level, EscalationLevel::kL2TeamLead);
  EXPECT_EQ(s.steps[1].due_ms, kT0 + kHourMs);

  EXPECT_FALSE(evaluate(inc, kT0 + kHourMs - 1, kDefaults).steps[1].due);
  auto at = evaluate(inc, kT0 + kHourMs, kDefaults);
  EXPECT_TRUE(at.steps[1].due);
  EXPECT_EQ(at.level, EscalationLevel::kL3Cto);
  EXPECT_EQ(pending_escalations(at).size(), 2u);

  // Recording the escalations marks them done; nothing pending any more.
  add(&inc, TimelineKind::kEscalated, kT0, escalation_entry(at.steps[0], kT0).fields);
  add(&inc, TimelineKind::kEscalated, kT0 + kHourMs, escalation_entry(at.steps[1], kT0).fields);
  EXPECT_TRUE(pending_escalations(evaluate(inc, kT0 + kHourMs, kDefaults)).empty());
}

TEST(Escalation, ResolvedIncidentsEscalateNoFurther) {
  auto inc = detected_at(Severity::kSev1, kT0);
  add(&inc, TimelineKind::kResolved, kT0 + 10 * kMinuteMs);
  inc.status = Status::kResolved;
  auto s = evaluate(inc, kT0 + 2 * kHourMs, kDefaults);
  EXPECT_TRUE(pending_escalations(s).empty());
  EXPECT_FALSE(s.next_update_due_ms.has_value());
  EXPECT_FALSE(s.resolution_breached);
  EXPECT_FALSE(s.next_check_ms.has_value());
}

TEST(Escalation, Sev2GoesToTheTeamLeadWithinOneHour) {
  auto inc = detected_at(Severity::kSev2, kT0);
  auto before = evaluate(inc, kT0 + kHourMs - 1, kDefaults);
  ASSERT_EQ(before.steps.size(), 1u);
  EXPECT_FALSE(before.steps[0].due);
  EXPECT_EQ(before.level, EscalationLevel::kL1OnCall);
  EXPECT_EQ(before.next_check_ms, kT0 + kHourMs);
  EXPECT_TRUE(evaluate(inc, kT0 + kHourMs, kDefaults).steps[0].due);
}

TEST(Escalation, Sev3AndSev4StayWithOnCall) {
  for (auto sev : {Severity::kSev3, Severity::kSev4}) {
    auto s = evaluate(detected_at(sev, kT0), kT0 + 30 * kDayMs, kDefaults);
    EXPECT_TRUE(s.steps.empty());
    EXPECT_EQ(s.level, EscalationLevel::kL1OnCall);
    EXPECT_FALSE(s.next_update_due_ms.has_value());
  }
}

TEST(Escalation, SlaDeadlinesPerSeverity) {
  struct Case {
    Severity sev;
    int64_t response, resolution;
  };
  for (auto c :
       {Case{Severity::kSev1, 15 * kMinuteMs, 4 * kHourMs}, Case{Severity::kSev2, kHourMs, kDayMs},
        Case{Severity::kSev3, 4 * kHourMs, 3 * kDayMs},
        Case{Severity::kSev4, kDayMs, 7 * kDayMs}}) {
    auto inc = detected_at(c.sev, kT0);
    auto at = evaluate(inc, kT0 + c.response, kDefaults);
    EXPECT_EQ(at.response_deadline_ms, kT0 + c.response);
    EXPECT_EQ(at.resolution_deadline_ms, kT0 + c.resolution);
    EXPECT_FALSE(at.response_breached) << to_string(c.sev);
    EXPECT_TRUE(evaluate(inc, kT0 + c.response + 1, kDefaults).response_breached);
    EXPECT_FALSE(evaluate(inc, kT0 + c.resolution, kDefaults).resolution_breached);
    EXPECT_TRUE(evaluate(inc, kT0 + c.resolution + 1, kDefaults).resolution_breached);
  }
}

TEST(Escalation, AcknowledgementMeetsTheResponseSla) {
  auto inc = detected_at(Severity::kSev1, kT0);
  add(&inc, TimelineKind::kAcknowledged, kT0 + 15 * kMinuteMs);
  EXPECT_FALSE(evaluate(inc, kT0 + kDayMs, kDefaults).response_breached);
  auto late = detected_at(Severity::kSev1, kT0);
  add(&late, TimelineKind::kAcknowledged, kT0 + 15 * kMinuteMs + 1);
  EXPECT_TRUE(evaluate(late, kT0 + kDayMs, kDefaults).response_breached);
}

TEST(Escalation, StatusUpdateRemindersSev1Every30MinSev2Hourly) {
  auto inc = detected_at(Severity::kSev1, kT0);
  EXPECT_FALSE(evaluate(inc, kT0 + 30 * kMinuteMs - 1, kDefaults).update_overdue);
  auto due = evaluate(inc, kT0 + 30 * kMinuteMs, kDefaults);
  EXPECT_TRUE(due.update_overdue);
  EXPECT_FALSE(due.reminder_sent);
  // The reminder is recorded once for this due time.
  add(&inc, TimelineKind::kNotified, kT0 + 30 * kMinuteMs,
      reminder_entry(*due.next_update_due_ms, kT0 + 30 * kMinuteMs).fields);
  EXPECT_TRUE(evaluate(inc, kT0 + 31 * kMinuteMs, kDefaults).reminder_sent);
  // An update moves the next due time and re-arms the reminder.
  add(&inc, TimelineKind::kUpdate, kT0 + 40 * kMinuteMs);
  auto after = evaluate(inc, kT0 + 41 * kMinuteMs, kDefaults);
  EXPECT_EQ(after.next_update_due_ms, kT0 + 70 * kMinuteMs);
  EXPECT_FALSE(after.update_overdue);
  EXPECT_FALSE(after.reminder_sent);

  auto sev2 = detected_at(Severity::kSev2, kT0);
  EXPECT_EQ(evaluate(sev2, kT0, kDefaults).next_update_due_ms, kT0 + kHourMs);
}

TEST(Escalation, PolicyNumbersAreHonoured) {
  EscalationPolicy fast;
  fast.sev1_cto_after_ms = 2000;
  fast.update_every_ms[0] = 500;
  fast.response_ms[0] = 1000;
  auto inc = detected_at(Severity::kSev1, kT0);
  EXPECT_FALSE(evaluate(inc, kT0 + 1999, fast).steps[1].due);
  EXPECT_TRUE(evaluate(inc, kT0 + 2000, fast).steps[1].due);
  EXPECT_TRUE(evaluate(inc, kT0 + 500, fast).update_overdue);
  EXPECT_TRUE(evaluate(inc, kT0 + 1001, fast).response_breached);
  EXPECT_EQ(evaluate(inc, kT0 + 1, fast).next_check_ms, kT0 + 500);
}

}  // namespace
}  // namespace x0::incident
