// The delivery loop (see delivery.h). One pass: ask the outbox for due rows, deliver them one
// after the other, sleep until the next row is due (or a wake, or idle_wait_ms). Every wait has
// a deadline: the sleep its own, a send the channel's timeout_ms.
#include "notify/delivery.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "notify/wire.h"

namespace x0::notify {
namespace {

constexpr double kSecondsBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                      1,     2.5,  5,     10,   30,  60};

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

Delivery::Delivery(Outbox& outbox, std::vector<Channel> channels, DeliveryOptions options,
                   telemetry::Registry& registry,
                   std::function<std::unique_ptr<Transport>(const std::atomic<bool>*)> make)
    : outbox_(outbox),
      options_(std::move(options)),
      registry_(registry),
      make_transport_(std::move(make)),
      channels_(std::move(channels)),
      rng_(std::random_device{}()) {
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
  transport_ = make_transport_(&stop_);
  thread_ = std::thread([this] { run(); });
}

void Delivery::stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Delivery::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Delivery::set_channels(std::vector<Channel> channels) {
  {
    std::lock_guard lock(mu_);
    channels_ = std::move(channels);
    std::map<std::string, ChannelState> kept;
    for (const Channel& c : channels_) kept[c.name] = states_[c.name];
    states_ = std::move(kept);
    woken_ = true;
  }
  cv_.notify_all();
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

void Delivery::assert_delivery_thread(const char* what) const {
  if (on_delivery_thread()) return;
  std::fprintf(stderr, "FATAL: %s called off the notification delivery thread\n", what);
  std::abort();
}

void Delivery::run() {
  thread_id_.store(std::this_thread::get_id());
  log::info("NOTIFY", "delivery thread started", {{"channels", channels_.size()}});
  while (!stop_.load()) {
    const int64_t t = now();
    pass(t);
    int64_t wait_ms = options_.idle_wait_ms;
    if (auto next = outbox_.next_due_ms(); next && *next)
      wait_ms = std::clamp<int64_t>(**next - now(), 0, options_.idle_wait_ms);
    auto depth = outbox_.pending_count();
    if (depth) {
      depth_.store(*depth);
      depth_gauge_->set(static_cast<double>(*depth));
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                 [this] { return woken_ || stop_.load(); });
    woken_ = false;
  }
}

void Delivery::pass(int64_t now_ms) {
  assert_delivery_thread("Delivery::pass");
  auto rows = outbox_.due(now_ms, options_.batch);
  if (!rows) {
    // The store logged it (ERROR INCIDENT); the next pass tries again.
    return;
  }
  for (const OutboxRow& row : *rows) {
    if (stop_.load()) return;
    deliver(row, now());
  }
}

void Delivery::deliver(const OutboxRow& row, int64_t now_ms) {
  assert_delivery_thread("Delivery::deliver");
  std::optional<Channel> channel;
  {
    std::lock_guard lock(mu_);
    for (const Channel& c : channels_)
      if (c.name == row.channel) channel = c;
  }
  const std::string event_name = row.event.value("kind", std::string("unknown"));
  DeliveryRecord rec{row.attempts, "failed", "", event_name, now_ms};
  auto event = event_from_json(row.event);
  if (!channel || !event) {
    rec.reason = !channel ? "channel " + row.channel + " is no longer configured"
                          : "the queued event cannot be read";
    log::error("NOTIFY", "notification failed permanently",
               {{"channel", row.channel}, {"incident", row.incident_id}, {"reason", rec.reason}});
    if (outbox_.finish(row, rec)) record(row.channel, event_name, "failed");
    return;
  }
  FormatContext ctx{options_.node_id, options_.public_url, "", row.dedup_key, now_ms};
  if (channel->type == ChannelType::kStatuspage) {
    auto remote = outbox_.remote_id(channel->name, row.incident_id);
    if (!remote) return;  // logged by the store; tried again next pass
    if (*remote) ctx.remote_id = **remote;
  }
  const OutboundRequest request = format(*channel, *event, ctx);
  const auto t0 = std::chrono::steady_clock::now();
  const ServiceAnswer answer = transport_->send(request, *channel);
  seconds_->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (stop_.load() && answer.status == 0) return;  // aborted by stop(): not an attempt
  const Outcome outcome = classify(*channel, answer);
  rec.attempts = row.attempts + 1;
  rec.reason = outcome.reason;
  const int64_t done_ms = now();
  rec.time_ms = done_ms;
  Verdict verdict = outcome.verdict;
  if (verdict == Verdict::kRetry && done_ms - row.created_ms >= options_.give_up_after_ms) {
    verdict = Verdict::kPermanent;
    rec.reason = "gave up after " + std::to_string(rec.attempts) + " attempts: " + rec.reason;
  }
  switch (verdict) {
    case Verdict::kDelivered: {
      if (!outcome.remote_id.empty() && ctx.remote_id.empty())
        (void)outbox_.set_remote_id(channel->name, row.incident_id, outcome.remote_id);
      rec.result = "delivered";
      if (!outbox_.finish(row, rec)) return;  // stays pending: delivered again (at least once)
      record(channel->name, event_name, "delivered");
      note_channel(channel->name, true, "", done_ms);
      log::info("NOTIFY", "notification delivered",
                {{"channel", channel->name}, {"incident", row.incident_id}, {"event", event_name},
                 {"attempt", rec.attempts}});
      return;
    }
    case Verdict::kRetry: {
      const int64_t wait = backoff_ms(options_, rec.attempts, outcome.retry_after_ms, rng_);
      (void)outbox_.retry_at(row.id, rec.attempts, done_ms + wait, rec.reason);
      record(channel->name, event_name, "retry");
      note_channel(channel->name, false, rec.reason, done_ms);
      log::warn("NOTIFY", "notification attempt failed, will retry",
                {{"channel", channel->name}, {"incident", row.incident_id}, {"event", event_name},
                 {"attempt", rec.attempts}, {"reason", rec.reason}, {"retry_in_ms", wait}});
      return;
    }
    case Verdict::kPermanent: {
      rec.result = "failed";
      if (!outbox_.finish(row, rec)) return;
      record(channel->name, event_name, "failed");
      note_channel(channel->name, false, rec.reason, done_ms);
      log::error("NOTIFY", "notification failed permanently",
                 {{"channel", channel->name}, {"incident", row.incident_id}, {"event", event_name},
                  {"attempt", rec.attempts}, {"reason", rec.reason}});
      return;
    }
  }
}

void Delivery::record(const std::string& channel, const std::string& event, const char* result) {
  assert_delivery_thread("Delivery::record");
  std::string key = channel + '\0' + event + '\0' + result;
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    auto* c = registry_.counter("notifications_total",
                                "Notification attempts by channel, event and result "
                                "(delivered, retry, failed).",
                                {{"channel", channel}, {"event", event}, {"result", result}});
    it = counters_.emplace(std::move(key), c).first;
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
