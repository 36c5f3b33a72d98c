// The notification outbox in the incident store: rows queued with the entry that causes them,
// one at a time per channel and incident, finished with a `notified` entry, and still there
// after the store is closed and opened again (what kill -9 then restart sees).
#include <gtest/gtest.h>

#include "incident/escalation.h"
#include "incident/notify_events.h"
#include "notify/planner.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using testing::FakeClock;
using testing::kT0;
using testing::open_store;
using testing::rule_request;
using x0::testing::ScratchDir;

class OutboxTest : public ::testing::Test {
 protected:
  StoreOptions options() {
    StoreOptions o;
    o.plan_notifications = [this](const notify::Event& e) {
      events_.push_back(e);
      return notify::plan(channels_, e);
    };
    o.notifications_queued = [this] { ++wakes_; };
    return o;
  }
  static notify::Channel channel(const char* name) {
    notify::Channel c;
    c.name = name;
    c.events.set();
    c.severities.set();
    c.levels.set(0);
    return c;
  }

  ScratchDir dir_;
  FakeClock clock_;
  std::vector<notify::Channel> channels_ = {channel("pd"), channel("slack")};
  std::vector<notify::Event> events_;
  int wakes_ = 0;
  std::unique_ptr<IncidentStore> store_ = open_store(dir_.file("incidents.db"), &clock_, options());
};

TEST_F(OutboxTest, OpenAckResolveQueueOneRowPerChannelEach) {
  auto opened = store_->open_incident(rule_request("error_rate", "checkout", Severity::kSev1));
  ASSERT_TRUE(opened);
  const std::string id = opened->incident.id;
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, notify::EventKind::kOpened);
  EXPECT_EQ(events_[0].level, notify::Level::kL1);
  EXPECT_EQ(wakes_, 1);
  // A repeated detection joins: no event.
  ASSERT_TRUE(store_->open_incident(rule_request("error_rate", "checkout", Severity::kSev1)));
  EXPECT_EQ(events_.size(), 1u);
  ASSERT_TRUE(store_->acknowledge(id, Note{}));
  ASSERT_TRUE(store_->append(id, escalation_entry({EscalationLevel::kL2TeamLead, kT0}, kT0)));
  EXPECT_EQ(events_.back().kind, notify::EventKind::kEscalated);
  EXPECT_EQ(events_.back().level, notify::Level::kL2);
  ResolveRequest rr;
  rr.root_cause = "bad deploy";
  ASSERT_TRUE(store_->resolve(id, rr));
  EXPECT_EQ(events_.back().kind, notify::EventKind::kResolved);
  EXPECT_EQ(*store_->pending_count(), 8);  // 4 events x 2 channels

  EXPECT_EQ(*store_->pending_channels(), (std::vector<std::string>{"pd", "slack"}));
  // Oldest first, one per incident: the trigger before its acknowledgement.
  auto due = store_->due("pd", kT0 + 1, 16);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].channel, "pd");
  EXPECT_EQ((*due)[0].event["kind"], "opened");
  EXPECT_EQ((*due)[0].dedup_key.rfind(id + ":opened:", 0), 0u);
  EXPECT_EQ(store_->due("slack", kT0 + 1, 16)->at(0).event["kind"], "opened");

  ASSERT_TRUE(store_->finish((*due)[0], {1, "delivered", "", "opened", kT0 + 5}));
  // Finishing twice records once.
  ASSERT_TRUE(store_->finish((*due)[0], {1, "delivered", "", "opened", kT0 + 6}));
  auto inc = store_->get(id);
  ASSERT_TRUE(inc);
  int notified = 0;
  for (const auto& e : inc->timeline)
    if (e.kind == TimelineKind::kNotified && e.fields.value("channel", "") == "pd") {
      ++notified;
      EXPECT_EQ(e.fields["attempts"], 1);
      EXPECT_EQ(e.fields["result"], "delivered");
    }
  EXPECT_EQ(notified, 1);
  EXPECT_EQ(events_.size(), 4u);  // a notified entry is no event
  auto next = store_->due("pd", kT0 + 1, 16);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].event["kind"], "acknowledged");
  EXPECT_EQ(store_->due("slack", kT0 + 1, 16)->at(0).event["kind"], "opened");
}

TEST_F(OutboxTest, RetryMovesTheRowAndReopeningKeepsIt) {
  auto opened = store_->open_incident(rule_request("error_rate", "checkout", Severity::kSev2));
  ASSERT_TRUE(opened);
  auto due = store_->due("pd", kT0, 16);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  ASSERT_TRUE(store_->retry_at((*due)[0].id, 1, kT0 + 30'000, "answered 500"));
  EXPECT_EQ(store_->due("pd", kT0 + 1, 16)->size(), 0u);
  EXPECT_EQ(**store_->next_due_ms("pd"), kT0 + 30'000);
  EXPECT_EQ(**store_->next_due_ms("slack"), kT0);
  store_.reset();
  store_ = open_store(dir_.file("incidents.db"), &clock_, options());
  EXPECT_EQ(*store_->pending_count(), 2);
  auto later = store_->due("pd", kT0 + 30'000, 16);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].attempts, 1);
}

TEST_F(OutboxTest, PermanentFailureIsATimelineEntryWithTheReason) {
  auto opened = store_->open_incident(rule_request("error_rate", "checkout", Severity::kSev3));
  ASSERT_TRUE(opened);
  auto due = store_->due("pd", kT0, 16);
  ASSERT_TRUE(store_->finish((*due)[0], {1, "failed", "answered 400: invalid", "opened", kT0}));
  auto inc = store_->get(opened->incident.id);
  const auto& last = inc->timeline.back();
  EXPECT_EQ(last.kind, TimelineKind::kNotified);
  EXPECT_EQ(last.fields["result"], "failed");
  EXPECT_EQ(last.fields["reason"], "answered 400: invalid");
  EXPECT_NE(last.text.find("failed"), std::string::npos);
}

TEST_F(OutboxTest, StatusReminderAndSlaBreachAreEventsAndRemoteIdsAreKept) {
  auto opened = store_->open_incident(rule_request("error_rate", "checkout", Severity::kSev1));
  const std::string id = opened->incident.id;
  ASSERT_TRUE(store_->append(id, reminder_entry(kT0, kT0)));
  EXPECT_EQ(events_.back().kind, notify::EventKind::kStatusUpdateDue);
  ASSERT_TRUE(store_->append(id, sla_breach_entry("response", kT0, kT0)));
  EXPECT_EQ(events_.back().kind, notify::EventKind::kSlaBreached);
  EXPECT_TRUE(sla_breach_recorded(*store_->get(id), "response"));
  EXPECT_FALSE(sla_breach_recorded(*store_->get(id), "resolution"));
  ASSERT_TRUE(store_->set_remote_id("sp", id, "sp-1"));
  EXPECT_EQ(**store_->remote_id("sp", id), "sp-1");
  EXPECT_FALSE(*store_->remote_id("sp", "INC-none"));
}

}  // namespace
}  // namespace x0::incident
