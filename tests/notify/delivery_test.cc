// The delivery loop against an in-memory outbox and a scripted transport: what is recorded for
// each answer, when the next attempt is due, and that the thread is the only one sending.
#include "notify/delivery.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace x0::notify {
namespace {

struct MemoryOutbox final : Outbox {
  std::mutex mu;
  std::vector<OutboxRow> pending;
  std::map<int64_t, int64_t> next;  // id -> next attempt
  std::vector<std::pair<OutboxRow, DeliveryRecord>> finished;
  std::vector<std::pair<int64_t, int64_t>> retries;  // id, next_ms

  Result<std::vector<OutboxRow>> due(const std::string& channel, int64_t now_ms, int) override {
    std::lock_guard l(mu);
    std::vector<OutboxRow> out;
    for (const auto& r : pending)
      if (r.channel == channel && next[r.id] <= now_ms) out.push_back(r);
    return out;
  }
  Result<std::optional<int64_t>> next_due_ms(const std::string& channel) override {
    std::lock_guard l(mu);
    std::optional<int64_t> m;
    for (const auto& r : pending)
      if (r.channel == channel && (!m || next[r.id] < *m)) m = next[r.id];
    return m;
  }
  Result<std::vector<std::string>> pending_channels() override {
    std::lock_guard l(mu);
    std::set<std::string> names;
    for (const auto& r : pending) names.insert(r.channel);
    return std::vector<std::string>(names.begin(), names.end());
  }
  Result<int64_t> pending_count() override {
    std::lock_guard l(mu);
    return static_cast<int64_t>(pending.size());
  }
  Result<void> finish(const OutboxRow& row, const DeliveryRecord& rec) override {
    std::lock_guard l(mu);
    std::erase_if(pending, [&](const OutboxRow& r) { return r.id == row.id; });
    finished.emplace_back(row, rec);
    return {};
  }
  Result<void> retry_at(int64_t id, int attempts, int64_t next_ms, const std::string&) override {
    std::lock_guard l(mu);
    for (auto& r : pending)
      if (r.id == id) r.attempts = attempts;
    next[id] = next_ms;
    retries.emplace_back(id, next_ms);
    return {};
  }
  Result<std::optional<std::string>> remote_id(const std::string&, const std::string&) override {
    return std::optional<std::string>();
  }
  Result<void> set_remote_id(const std::string&, const std::string&, const std::string&) override {
    return {};
  }
};

struct ScriptedTransport final : Transport {
  std::deque<ServiceAnswer>* script;
  std::thread::id* sender;
  // When set: every request, with the test clock's time at sending.
  std::vector<std::pair<int64_t, OutboundRequest>>* sent = nullptr;
  std::atomic<int64_t>* clock = nullptr;
  ServiceAnswer send(const OutboundRequest& request, const Channel&) override {
    *sender = std::this_thread::get_id();
    if (sent) sent->emplace_back(clock->load(), request);
    if (script->empty()) return {202, "", {}, ""};
    ServiceAnswer a = script->front();
    script->pop_front();
    return a;
  }
};

Channel pagerduty() {
  Channel c;
  c.name = "pd";
  c.type = ChannelType::kPagerDuty;
  c.base_url = "https://pd.example";
  c.events.set();
  c.severities.set();
  c.levels.set(0);
  return c;
}

OutboxRow row(int64_t id, const std::string& channel = "pd") {
  Event e;
  e.incident_id = "INC-" + std::to_string(id);
  e.title = "t";
  e.status = "open";
  e.entry_seq = id;
  return OutboxRow{id, channel, e.incident_id, e.incident_id + ":opened:1", to_json(e), 0, 0};
}

// Runs the delivery until `done` holds (or 5 s), with a clock the test moves by `step_ms`.
template <class Done>
void run_until(MemoryOutbox& box, std::deque<ServiceAnswer>& script, std::atomic<int64_t>& clock,
               std::thread::id& sender, Done done, telemetry::Registry& reg,
               const Channel& channel = pagerduty(),
               std::vector<std::pair<int64_t, OutboundRequest>>* sent = nullptr,
               int64_t step_ms = 1000) {
  DeliveryOptions o;
  o.clock_ms = [&clock] { return clock.load(); };
  o.idle_wait_ms = 5;
  Delivery d(box, {channel}, o, reg, [&](const std::atomic<bool>*) {
    auto t = std::make_unique<ScriptedTransport>();
    t->script = &script;
    t->sender = &sender;
    t->sent = sent;
    t->clock = &clock;
    return t;
  });
  d.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done(d) && std::chrono::steady_clock::now() < deadline) {
    clock += step_ms;  // a second per 5 ms by default: backoffs pass quickly
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  d.stop();
}

TEST(Delivery, ServerErrorThenSuccessIsOneDeliveryAfterTwoAttempts) {
  MemoryOutbox box;
  box.pending.push_back(row(1));
  std::deque<ServiceAnswer> script = {{500, "", {}, ""}, {202, "", {}, ""}};
  std::atomic<int64_t> clock{1'000'000};
  std::thread::id sender;
  telemetry::Registry reg;
  run_until(
      box, script, clock, sender,
      [&](Delivery&) {
        std::lock_guard l(box.mu);
        return !box.finished.empty();
      },
      reg);
  ASSERT_EQ(box.finished.size(), 1u);
  EXPECT_EQ(box.finished[0].second.result, "delivered");
  EXPECT_EQ(box.finished[0].second.attempts, 2);
  EXPECT_EQ(box.retries.size(), 1u);
  EXPECT_NE(sender, std::this_thread::get_id());  // sent on the delivery thread
  EXPECT_NE(
      reg.render().find(R"(notifications_total{channel="pd",event="opened",result="retry"} 1)"),
      std::string::npos);
}

TEST(Delivery, BadRequestIsPermanentAndDegradesTheChannel) {
  MemoryOutbox box;
  box.pending.push_back(row(1));
  std::deque<ServiceAnswer> script = {{400, "invalid event", {}, ""}};
  std::atomic<int64_t> clock{1'000'000};
  std::thread::id sender;
  telemetry::Registry reg;
  bool degraded = false;
  run_until(
      box, script, clock, sender,
      [&](Delivery& d) {
        std::lock_guard l(box.mu);
        degraded = d.degraded();
        return !box.finished.empty();
      },
      reg);
  ASSERT_EQ(box.finished.size(), 1u);
  EXPECT_EQ(box.finished[0].second.result, "failed");
  EXPECT_EQ(box.finished[0].second.attempts, 1);
  EXPECT_NE(box.finished[0].second.reason.find("answered 400: invalid event"), std::string::npos);
  EXPECT_TRUE(degraded);
}

TEST(Delivery, RateLimitHintSetsTheNextAttempt) {
  MemoryOutbox box;
  box.pending.push_back(row(1));
  std::deque<ServiceAnswer> script = {{429, "", 30, ""}};
  std::atomic<int64_t> clock{1'000'000};
  std::thread::id sender;
  telemetry::Registry reg;
  DeliveryOptions o;
  o.clock_ms = [&clock] { return clock.load(); };
  o.idle_wait_ms = 5;
  Delivery d(box, {pagerduty()}, o, reg, [&](const std::atomic<bool>*) {
    auto t = std::make_unique<ScriptedTransport>();
    t->script = &script;
    t->sender = &sender;
    return t;
  });
  d.start();
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard l(box.mu);
      if (!box.retries.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  d.stop();
  ASSERT_EQ(box.retries.size(), 1u);
  EXPECT_EQ(box.retries[0].second, 1'000'000 + 30'000);
  EXPECT_TRUE(box.finished.empty());
}

// A transport that never answers until the delivery stops (its abort flag), like a receiver
// that accepts and hangs; every other channel's transport answers at once.
struct HangingTransport final : Transport {
  const std::atomic<bool>* abort;
  std::atomic<int>* hanging;
  ServiceAnswer send(const OutboundRequest&, const Channel& c) override {
    if (c.name != "slow") return {202, "", {}, ""};
    ++*hanging;
    while (!abort->load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return {0, "", {}, "aborted"};
  }
};

TEST(Delivery, AChannelThatHangsDoesNotDelayTheOthers) {
  MemoryOutbox box;
  box.pending.push_back(row(1, "slow"));
  box.pending.push_back(row(2, "pd"));
  box.pending.push_back(row(3, "pd"));
  std::atomic<int> hanging{0};
  telemetry::Registry reg;
  Channel slow = pagerduty();
  slow.name = "slow";
  DeliveryOptions o;
  o.idle_wait_ms = 5;
  Delivery d(box, {slow, pagerduty()}, o, reg, [&](const std::atomic<bool>* abort) {
    auto t = std::make_unique<HangingTransport>();
    t->abort = abort;
    t->hanging = &hanging;
    return t;
  });
  d.start();
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard l(box.mu);
      if (box.finished.size() == 2 && hanging.load() == 1) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard l(box.mu);
    EXPECT_EQ(box.finished.size(), 2u);  // both pd rows, while slow's first still hangs
    EXPECT_EQ(hanging.load(), 1);
  }
  d.stop();  // aborts the hung transfer: not counted as an attempt
  EXPECT_EQ(box.pending.size(), 1u);
  EXPECT_EQ(box.pending[0].attempts, 0);
}

TEST(Delivery, RowsOfARemovedChannelFailForGood) {
  MemoryOutbox box;
  box.pending.push_back(row(1, "gone"));
  telemetry::Registry reg;
  DeliveryOptions o;
  o.idle_wait_ms = 5;
  std::deque<ServiceAnswer> script;
  std::thread::id sender;
  Delivery d(box, {pagerduty()}, o, reg, [&](const std::atomic<bool>*) {
    auto t = std::make_unique<ScriptedTransport>();
    t->script = &script;
    t->sender = &sender;
    return t;
  });
  d.start();
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard l(box.mu);
      if (!box.finished.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  d.stop();
  ASSERT_EQ(box.finished.size(), 1u);
  EXPECT_EQ(box.finished[0].second.result, "failed");
  EXPECT_NE(box.finished[0].second.reason.find("no longer configured"), std::string::npos);
}

TEST(Backoff, ExponentialWithJitterAndCapped) {
  DeliveryOptions o;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    int64_t first = backoff_ms(o, 1, std::nullopt, rng);
    EXPECT_GE(first, 500);
    EXPECT_LE(first, 1000);
    int64_t fourth = backoff_ms(o, 4, std::nullopt, rng);
    EXPECT_GE(fourth, 4000);
    EXPECT_LE(fourth, 8000);
    EXPECT_LE(backoff_ms(o, 60, std::nullopt, rng), o.max_backoff_ms);
  }
  EXPECT_EQ(backoff_ms(o, 1, 12'000, rng), 12'000);
  EXPECT_EQ(backoff_ms(o, 1, int64_t{1} << 40, rng), o.max_hint_ms);
}

// Storm control: a paced, grouping chat channel turns 100 queued events into a couple of
// digests a second apart, each naming its incidents, and loses none.
TEST(Delivery, AStormReachesSlackAsAFewPacedDigestsNamingEveryIncident) {
  MemoryOutbox box;
  for (int64_t id = 1; id <= 100; ++id) box.pending.push_back(row(id, "slack"));
  Channel slack;
  slack.name = "slack";
  slack.type = ChannelType::kSlack;
  slack.base_url = "https://hooks.example";
  slack.secret = "T0/B0/x";
  slack.rate_per_minute = 60;
  slack.burst = 1;
  slack.group = true;
  std::deque<ServiceAnswer> script;
  for (int i = 0; i < 100; ++i) script.push_back({200, "ok", {}, ""});
  std::atomic<int64_t> clock{1'000'000};
  std::thread::id sender;
  telemetry::Registry reg;
  std::vector<std::pair<int64_t, OutboundRequest>> sent;
  run_until(
      box, script, clock, sender,
      [&](Delivery&) {
        std::lock_guard l(box.mu);
        return box.finished.size() == 100;
      },
      reg, slack, &sent, 100);
  ASSERT_EQ(box.finished.size(), 100u);
  std::set<int64_t> ids;
  for (const auto& [r, rec] : box.finished) {
    EXPECT_EQ(rec.result, "delivered");
    EXPECT_GT(rec.grouped, 1);
    ids.insert(r.id);
  }
  EXPECT_EQ(ids.size(), 100u);  // each once
  ASSERT_GE(sent.size(), 2u);
  EXPECT_LE(sent.size(), 4u);
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_GE(sent[i].first - sent[i - 1].first, 1020);
  std::string all;
  for (const auto& [t, request] : sent) all += request.body;
  for (int id = 1; id <= 100; ++id)
    EXPECT_NE(all.find("INC-" + std::to_string(id) + " opened"), std::string::npos) << id;
}

// A channel without grouping (PagerDuty: each incident is its own alert) is paced: its burst at
// once, then one request per interval, and every event still goes.
TEST(Delivery, PagerDutyIsPacedToItsPublishedRate) {
  MemoryOutbox box;
  for (int64_t id = 1; id <= 30; ++id) box.pending.push_back(row(id));
  Channel pd = pagerduty();
  pd.rate_per_minute = 120;
  pd.burst = 10;
  std::deque<ServiceAnswer> script;
  std::atomic<int64_t> clock{1'000'000};
  std::thread::id sender;
  telemetry::Registry reg;
  std::vector<std::pair<int64_t, OutboundRequest>> sent;
  run_until(
      box, script, clock, sender,
      [&](Delivery&) {
        std::lock_guard l(box.mu);
        return box.finished.size() == 30;
      },
      reg, pd, &sent, 100);
  ASSERT_EQ(box.finished.size(), 30u);
  ASSERT_EQ(sent.size(), 30u);  // one request per event: no digest
  const int64_t t0 = sent.front().first;
  for (size_t k = 10; k < sent.size(); ++k)
    EXPECT_GE(sent[k].first - t0, static_cast<int64_t>(k - 9) * 510) << k;
}

TEST(SendBudget, BurstThenOnePerInterval) {
  SendBudget b;
  b.set(60, 1);
  EXPECT_TRUE(b.allows(0));
  b.spend(0);
  EXPECT_FALSE(b.allows(1019));
  EXPECT_EQ(b.next_ms(10), 1020);  // 1 s and the 2 % margin
  EXPECT_TRUE(b.allows(1020));
  SendBudget p;
  p.set(120, 10);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(p.allows(5000)) << i;
    p.spend(5000);
  }
  EXPECT_FALSE(p.allows(5000));
  EXPECT_EQ(p.next_ms(5000), 5510);
  SendBudget none;
  none.set(0, 1);
  for (int i = 0; i < 1000; ++i) none.spend(7);
  EXPECT_TRUE(none.allows(7));
}

}  // namespace
}  // namespace x0::notify
