// Which channels take which events: by event, severity and escalation level.
#include "notify/planner.h"

#include <gtest/gtest.h>

namespace x0::notify {
namespace {

Channel all(const char* name) {
  Channel c;
  c.name = name;
  c.events.set();
  c.severities.set();
  c.levels.set(0);
  return c;
}

Event event(EventKind kind, Severity sev, Level level) {
  Event e;
  e.kind = kind;
  e.severity = sev;
  e.level = level;
  e.incident_id = "INC-1";
  e.entry_seq = 3;
  return e;
}

TEST(Planner, FiltersByEventSeverityAndLevel) {
  Channel oncall = all("oncall");
  Channel lead = all("lead");
  lead.levels.reset();
  lead.levels.set(1);  // L2
  Channel sev1_resolved = all("sev1");
  sev1_resolved.events.reset();
  sev1_resolved.events.set(static_cast<size_t>(EventKind::kResolved));
  sev1_resolved.severities.reset();
  sev1_resolved.severities.set(0);
  const std::vector<Channel> chans = {oncall, lead, sev1_resolved};

  auto opened = plan(chans, event(EventKind::kOpened, Severity::kSev2, Level::kL1));
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].channel, "oncall");
  EXPECT_EQ(opened[0].dedup_key, "INC-1:opened:3");

  auto escalated = plan(chans, event(EventKind::kEscalated, Severity::kSev2, Level::kL2));
  ASSERT_EQ(escalated.size(), 2u);
  EXPECT_EQ(escalated[1].channel, "lead");

  auto resolved1 = plan(chans, event(EventKind::kResolved, Severity::kSev1, Level::kL2));
  EXPECT_EQ(resolved1.size(), 3u);
  auto resolved3 = plan(chans, event(EventKind::kResolved, Severity::kSev3, Level::kL1));
  EXPECT_EQ(resolved3.size(), 1u);
}

}  // namespace
}  // namespace x0::notify
