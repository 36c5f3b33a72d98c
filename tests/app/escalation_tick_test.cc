// The escalation tick records each due step once: escalations, status update reminders and,
// new with issue 14, each SLA breach (the cause of the sla_breached notification).
#include "app/escalation_tick.h"

#include <gtest/gtest.h>

#include "incident/notify_events.h"
#include "scratch_dir.h"

namespace x0::app {
namespace {

int count(const incident::Incident& inc, std::string_view reminder) {
  int n = 0;
  for (const auto& e : inc.timeline)
    if (e.fields.is_object() && e.fields.value("reminder", "") == reminder) ++n;
  return n;
}

TEST(EscalationTick, EachSlaBreachIsRecordedOnce) {
  x0::testing::ScratchDir dir;
  int64_t now = 1'800'000'000'000;
  incident::StoreOptions options;
  options.clock_ms = [&now] { return now; };
  auto store = incident::IncidentStore::open(dir.file("incidents.db"), options);
  ASSERT_TRUE(store);
  incident::OpenRequest r;
  r.title = "checkout down";
  r.severity = Severity::kSev1;
  auto opened = (*store)->open_incident(r);
  ASSERT_TRUE(opened);
  incident::EscalationPolicy policy;
  policy.response_ms[0] = 1000;
  policy.resolution_ms[0] = 5000;

  escalate_due(**store, policy, now + 500);
  auto inc = (*store)->get(opened->incident.id);
  EXPECT_EQ(count(*inc, "sla_breached"), 0);
  EXPECT_TRUE(inc->first_time(incident::TimelineKind::kEscalated));  // SEV-1: L2 at once

  escalate_due(**store, policy, now + 1001);
  escalate_due(**store, policy, now + 2000);
  inc = (*store)->get(opened->incident.id);
  EXPECT_EQ(count(*inc, "sla_breached"), 1);
  EXPECT_TRUE(incident::sla_breach_recorded(*inc, "response"));

  escalate_due(**store, policy, now + 6000);
  inc = (*store)->get(opened->incident.id);
  EXPECT_EQ(count(*inc, "sla_breached"), 2);
  EXPECT_TRUE(incident::sla_breach_recorded(*inc, "resolution"));
}

}  // namespace
}  // namespace x0::app
