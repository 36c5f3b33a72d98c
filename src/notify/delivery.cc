// The delivery lanes (see delivery.h). A lane's pass: ask the outbox for its channel's due rows,
// deliver them one after the other, sleep until its next row is due (or a wake, or
// idle_wait_ms). Every wait has a deadline: the sleep its own, a send the channel's timeout_ms.
#include "notify/delivery.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "notify/digest.h"
#include "notify/wire.h"

namespace x0::notify {
namespace {

constexpr double kSecondsBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                      1,     2.5,  5,     10,   30,  60};

// The event kind a row carries, for metrics and records even when the event cannot be read.
std::string event_name(const OutboxRow& row) {
  const nlohmann::json& e = row.event;
  return e.is_object() && e.contains("kind") && e["kind"].is_string() ? e["kind"].get<std::string>()
                                                                      : std::string("unknown");
}

int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int64_t backoff_ms(const DeliveryOptions& o, int attempts, std::optional<int64_t> hint,
                   std::mt19937_64& rng) {
  if (hint) return std::clamp<int64_t>(*hint, 0, o.max_hint_ms);
  int64_t delay = o.first_backoff_ms;
  for (int i = 1; i < attempts && delay < o.max_backoff_ms; ++i) delay *= 2;
  delay = std::min(delay, o.max_backoff_ms);
  std::uniform_int_distribution<int64_t> jitter(delay / 2, delay);
  return jitter(rng);
}

// One channel's thread, transport and wake-up. `config` is guarded by Delivery::mu_; nullopt
// makes an orphan lane, which fails the rows of a channel no longer configured and ends.
struct Delivery::Lane {
  std::string channel;
  std::optional<Channel> config;
  bool woken = false;          // guarded by Delivery::mu_
  std::condition_variable cv;  // waits on Delivery::mu_
  std::atomic<bool> stop{false};
  std::atomic<std::thread::id> owner{};
  std::thread thread;
  // The lane's own thread only:
  std::unique_ptr<Transport> transport;
  std::mt19937_64 rng{std::random_device{}()};
  std::map<std::string, telemetry::Counter*> counters;  // "event\0result"
  int64_t hold_until_ms = 0;  // no pass before: the pace, or a retry time the outbox lost
  SendBudget budget;          // the channel's pace (rate_per_minute, burst)

  void assert_owner(const char* what) const {
    if (owner.load() == std::this_thread::get_id()) return;
    std::fprintf(stderr, "FATAL: %s called off the delivery thread of channel %s\n", what,
                 channel.c_str());
    std::abort();
  }
};

Delivery::Delivery(Outbox& outbox, std::vector<Channel> channels, DeliveryOptions options,
                   telemetry::Registry& registry,
                   std::function<std::unique_ptr<Transport>(const std::atomic<bool>*)> make)
    : outbox_(outbox),
      options_(std::move(options)),
      registry_(registry),
      make_transport_(std::move(make)),
      channels_(std::move(channels)) {
  if (!options_.clock_ms) options_.clock_ms = system_ms;
  depth_gauge_ = registry_.gauge("notification_queue_depth",
                                 "Notifications in the durable outbox waiting for delivery.");
  seconds_ = registry_.histogram("notification_delivery_seconds",
                                 "One delivery attempt to a notification service, end to end.",
                                 kSecondsBuckets);
  for (const Channel& c : channels_) states_[c.name];
}

Delivery::~Delivery() { stop(); }

void Delivery::start() {
  // Read before taking mu_: the store has its own lock, and a lane never holds mu_ across it.
  auto pending = outbox_.pending_channels();
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  sync_lanes(pending ? *pending : std::vector<std::string>());
  log::info("NOTIFY", "delivery started", {{"channels", channels_.size()}});
}

void Delivery::stop() {
  std::vector<std::unique_ptr<Lane>> all;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& [name, lane] : lanes_) all.push_back(std::move(lane));
    lanes_.clear();
    for (auto& lane : retired_) all.push_back(std::move(lane));
    retired_.clear();
    for (auto& lane : all) {
      lane->stop.store(true);
      lane->cv.notify_all();
    }
  }
  // A transfer in flight sees `stop` in its progress callback (libcurl calls it about once a
  // second), so each join is bounded by that, not by the channel's timeout.
  for (auto& lane : all)
    if (lane->thread.joinable()) lane->thread.join();
}

void Delivery::wake() {
  std::lock_guard lock(mu_);
  for (auto& [name, lane] : lanes_) {
    lane->woken = true;
    lane->cv.notify_all();
  }
}

void Delivery::set_channels(std::vector<Channel> channels) {
  auto pending = outbox_.pending_channels();
  std::lock_guard lock(mu_);
  channels_ = std::move(channels);
  std::map<std::string, ChannelState> kept;
  for (const Channel& c : channels_) kept[c.name] = states_[c.name];
  states_ = std::move(kept);
  if (started_ && !stopped_) sync_lanes(pending ? *pending : std::vector<std::string>());
}

void Delivery::sync_lanes(const std::vector<std::string>& pending) {
  auto retire = [this](std::map<std::string, std::unique_ptr<Lane>>::iterator it) {
    it->second->stop.store(true);
    it->second->cv.notify_all();
    retired_.push_back(std::move(it->second));
    return lanes_.erase(it);
  };
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    const bool configured = std::any_of(channels_.begin(), channels_.end(),
                                        [&](const Channel& c) { return c.name == it->first; });
    // A configured lane that lost its channel, or an orphan whose channel came back.
    if (configured != it->second->config.has_value()) {
      it = retire(it);
    } else {
      ++it;
    }
  }
  for (const Channel& c : channels_) {
    auto& lane = lanes_[c.name];
    if (lane) {
      lane->config = c;  // a reload's new URL, key or timeouts: from its next row on
      lane->woken = true;
      lane->cv.notify_all();
      continue;
    }
    lane = std::make_unique<Lane>();
    lane->channel = c.name;
    lane->config = c;
    launch(*lane);
  }
  for (const std::string& name : pending) {
    if (lanes_.contains(name)) continue;
    auto& lane = lanes_[name];
    lane = std::make_unique<Lane>();
    lane->channel = name;
    launch(*lane);
  }
}

void Delivery::launch(Lane& lane) {
  lane.thread = std::thread([this, &lane] { run_lane(lane); });
}

bool Delivery::degraded() const {
  std::lock_guard lock(mu_);
  for (const auto& [name, s] : states_)
    if (s.failing) return true;
  return false;
}

nlohmann::json Delivery::health() const {
  std::lock_guard lock(mu_);
  bool failing = false;
  nlohmann::json channels = nlohmann::json::object();
  for (const Channel& c : channels_) {
    const ChannelState& s = states_.at(c.name);
    failing = failing || s.failing;
    nlohmann::json j = {{"type", to_string(c.type)},
                        {"status", s.failing ? "degraded" : "healthy"},
                        {"delivered", s.delivered}};
    if (s.failing) {
      j["last_error"] = s.last_error;
      j["failing_since"] = rfc3339_utc(s.failing_since_ms);
    }
    channels[c.name] = j;
  }
  return {{"status", failing ? "degraded" : "healthy"},
          {"queue_depth", depth_.load()},
          {"channels", channels}};
}

void Delivery::run_lane(Lane& lane) {
  lane.owner.store(std::this_thread::get_id());
  lane.transport = make_transport_(&lane.stop);
  bool orphan = false;
  {
    std::lock_guard lock(mu_);
    orphan = !lane.config.has_value();
  }
  while (!lane.stop.load()) {
    pass(lane);
    auto next = outbox_.next_due_ms(lane.channel);
    if (orphan && next && !*next) return;  // every row of the removed channel is recorded
    int64_t wait_ms = options_.idle_wait_ms;
    if (next && *next)
      wait_ms = std::clamp<int64_t>(std::max(**next, lane.hold_until_ms) - now(), 0,
                                    options_.idle_wait_ms);
    if (auto depth = outbox_.pending_count()) {
      depth_.store(*depth);
      depth_gauge_->set(static_cast<double>(*depth));
    }
    std::unique_lock lock(mu_);
    lane.cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                     [&lane] { return lane.woken || lane.stop.load(); });
    lane.woken = false;
  }
}

void Delivery::pass(Lane& lane) {
  lane.assert_owner("Delivery::pass");
  std::optional<Channel> channel;
  {
    std::lock_guard lock(mu_);
    channel = lane.config;
  }
  if (now() < lane.hold_until_ms) return;
  const bool orphan = !channel.has_value();
  const bool grouping = channel && channel->group;
  if (channel) lane.budget.set(channel->rate_per_minute, channel->burst);  // a reload's pace
  // An orphan's rows are all due: there is no service to wait for, and no pace to keep.
  auto rows = outbox_.due(lane.channel, orphan ? INT64_MAX : now(),
                          grouping ? static_cast<int>(kMaxDigestEvents) : options_.batch);
  if (!rows) return;  // the store logged it (ERROR INCIDENT); the next pass tries again
  size_t next = 0;
  while (next < rows->size()) {
    if (lane.stop.load()) return;
    if (!orphan && !lane.budget.allows(now())) {
      lane.hold_until_ms = lane.budget.next_ms(now());  // the rest wait for the pace
      return;
    }
    const std::span<const OutboxRow> rest(rows->data() + next, rows->size() - next);
    next += grouping && rest.size() > 1 ? deliver_digest(lane, *channel, rest, now())
                                        : (deliver(lane, rest.front(), now()), 1);
  }
}

void Delivery::deliver(Lane& lane, const OutboxRow& row, int64_t now_ms) {
  lane.assert_owner("Delivery::deliver");
  std::optional<Channel> channel;
  {
    std::lock_guard lock(mu_);
    channel = lane.config;
  }
  auto event = event_from_json(row.event);
  if (!channel || !event) {
    DeliveryRecord rec{row.attempts, "failed", "", event_name(row), now_ms};
    rec.reason = !channel ? "channel " + row.channel + " is no longer configured"
                          : "the queued event cannot be read";
    log::error("NOTIFY", "notification failed permanently",
               {{"channel", row.channel}, {"incident", row.incident_id}, {"reason", rec.reason}});
    if (outbox_.finish(row, rec)) record(lane, rec.event, "failed");
    return;
  }
  FormatContext ctx{options_.node_id, options_.public_url, "", row.dedup_key, now_ms};
  if (channel->type == ChannelType::kStatuspage) {
    auto remote = outbox_.remote_id(channel->name, row.incident_id);
    if (!remote) return;  // logged by the store; tried again next pass
    if (*remote) ctx.remote_id = **remote;
  }
  const std::optional<Outcome> outcome = exchange(lane, *channel, format(*channel, *event, ctx));
  if (!outcome) return;
  if (outcome->verdict == Verdict::kDelivered && !outcome->remote_id.empty() &&
      ctx.remote_id.empty()) {
    // A failed write is logged by the store; the next event then creates a second Statuspage
    // incident rather than losing the update.
    (void)outbox_.set_remote_id(channel->name, row.incident_id, outcome->remote_id);
  }
  settle(lane, *channel, std::span(&row, 1), *outcome);
}

size_t Delivery::deliver_digest(Lane& lane, const Channel& channel, std::span<const OutboxRow> rows,
                                int64_t now_ms) {
  lane.assert_owner("Delivery::deliver_digest");
  std::vector<Event> events;
  for (const OutboxRow& row : rows) {
    auto event = event_from_json(row.event);
    if (!event) break;  // failed on its own, by deliver(), when its turn comes
    events.push_back(std::move(*event));
  }
  FormatContext ctx{options_.node_id, options_.public_url, "", rows.front().dedup_key, now_ms};
  if (events.size() < 2) {
    deliver(lane, rows.front(), now_ms);
    return 1;
  }
  Digest digest = format_digest(channel, events, ctx);
  if (auto outcome = exchange(lane, channel, digest.request))
    settle(lane, channel, rows.first(digest.count), *outcome);
  return digest.count;
}

std::optional<Outcome> Delivery::exchange(Lane& lane, const Channel& channel,
                                          const OutboundRequest& request) {
  lane.budget.spend(now());
  const auto t0 = std::chrono::steady_clock::now();
  const ServiceAnswer answer = lane.transport->send(request, channel);
  seconds_->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (lane.stop.load() && answer.status == 0) return std::nullopt;  // aborted by stop()
  return classify(channel, answer);
}

void Delivery::settle(Lane& lane, const Channel& channel, std::span<const OutboxRow> rows,
                      const Outcome& outcome) {
  const int64_t done_ms = now();
  const int grouped = static_cast<int>(rows.size());
  // One wait for the whole message, so that a digest's events come back together.
  const int64_t wait =
      outcome.verdict == Verdict::kRetry
          ? backoff_ms(options_, rows.front().attempts + 1, outcome.retry_after_ms, lane.rng)
          : 0;
  for (const OutboxRow& row : rows) {
    DeliveryRecord rec{row.attempts + 1, "failed", outcome.reason, event_name(row), done_ms};
    rec.grouped = grouped;
    Verdict verdict = outcome.verdict;
    if (verdict == Verdict::kRetry && done_ms - row.created_ms >= options_.give_up_after_ms) {
      verdict = Verdict::kPermanent;
      rec.reason = "gave up after " + std::to_string(rec.attempts) + " attempts: " + rec.reason;
    }
    switch (verdict) {
      case Verdict::kDelivered:
        rec.result = "delivered";
        if (!outbox_.finish(row, rec)) continue;  // stays pending: delivered again (at least once)
        record(lane, rec.event, "delivered");
        note_channel(channel.name, true, "", done_ms);
        log::info("NOTIFY", "notification delivered",
                  {{"channel", channel.name},
                   {"incident", row.incident_id},
                   {"event", rec.event},
                   {"attempt", rec.attempts},
                   {"grouped", grouped}});
        break;
      case Verdict::kRetry: {
        // A failed write is logged by the store; the row would then be due again at once (its
        // old next_attempt_ms), so the lane itself holds off for the wait instead.
        if (!outbox_.retry_at(row.id, rec.attempts, done_ms + wait, rec.reason))
          lane.hold_until_ms = done_ms + wait;
        record(lane, rec.event, "retry");
        note_channel(channel.name, false, rec.reason, done_ms);
        log::warn("NOTIFY", "notification attempt failed, will retry",
                  {{"channel", channel.name},
                   {"incident", row.incident_id},
                   {"event", rec.event},
                   {"attempt", rec.attempts},
                   {"grouped", grouped},
                   {"reason", rec.reason},
                   {"retry_in_ms", wait}});
        break;
      }
      case Verdict::kPermanent: {
        if (!outbox_.finish(row, rec)) continue;
        record(lane, rec.event, "failed");
        note_channel(channel.name, false, rec.reason, done_ms);
        log::error("NOTIFY", "notification failed permanently",
                   {{"channel", channel.name},
                    {"incident", row.incident_id},
                    {"event", rec.event},
                    {"attempt", rec.attempts},
                    {"grouped", grouped},
                    {"reason", rec.reason}});
        break;
      }
    }
  }
}

void Delivery::record(Lane& lane, const std::string& event, const char* result) {
  lane.assert_owner("Delivery::record");
  std::string key = event + '\0' + result;
  auto it = lane.counters.find(key);
  if (it == lane.counters.end()) {
    auto* c = registry_.counter("notifications_total",
                                "Notification attempts by channel, event and result "
                                "(delivered, retry, failed).",
                                {{"channel", lane.channel}, {"event", event}, {"result", result}});
    it = lane.counters.emplace(std::move(key), c).first;
  }
  it->second->inc();
}

void Delivery::note_channel(const std::string& channel, bool ok, const std::string& error,
                            int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = states_.find(channel);
  if (it == states_.end()) return;
  ChannelState& s = it->second;
  if (ok) {
    s = ChannelState{false, 0, "", s.delivered + 1};
    return;
  }
  if (!s.failing) s.failing_since_ms = now_ms;
  s.failing = true;
  s.last_error = error;
}

}  // namespace x0::notify
