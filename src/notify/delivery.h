// Notification delivery: one lane per channel, each a thread of its own with its own libcurl
// handle, so that a service that hangs or rate-limits delays only its own channel (a Slack
// outage never holds a PagerDuty page). A lane takes its channel's due rows from the outbox,
// formats each, sends it through its transport and records the outcome (delivered, retry later,
// failed for good) back in the outbox, which also writes the incident's `notified` timeline
// entry. These are the only threads that wait on a notification service: the control thread and
// the workers never do. Thread rights: a lane's loop owns its transport and counters (asserted);
// start/stop/wake/set_channels/health may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "notify/channel.h"
#include "notify/outbox.h"
#include "notify/send_budget.h"
#include "notify/transport.h"
#include "telemetry/metrics.h"

namespace x0::notify {

struct DeliveryOptions {
  std::string node_id;
  std::string public_url;
  std::function<int64_t()> clock_ms{};  // unix ms; default: the system clock
  int batch = 16;                       // rows taken per pass
  int64_t first_backoff_ms = 1000;      // after the first failed attempt; doubles each time
  int64_t max_backoff_ms = 5 * 60'000;
  int64_t max_hint_ms = 60 * 60'000;            // a service's Retry-After is honoured up to this
  int64_t give_up_after_ms = 24 * 60 * 60'000;  // a row this old fails for good
  int64_t idle_wait_ms = 1000;  // longest sleep between passes (a missed wake costs this)
};

// The wait before attempt `attempts` + 1, attempts >= 1: the service's hint when it gave one,
// else exponential from first_backoff_ms with jitter in [delay/2, delay] (so that many queued
// messages do not come back in lockstep).
int64_t backoff_ms(const DeliveryOptions& o, int attempts, std::optional<int64_t> hint,
                   std::mt19937_64& rng);

class Delivery {
 public:
  // `registry` gets notifications_total, notification_queue_depth, notification_delivery_seconds.
  Delivery(Outbox& outbox, std::vector<Channel> channels, DeliveryOptions options,
           telemetry::Registry& registry,
           std::function<std::unique_ptr<Transport>(const std::atomic<bool>*)> make_transport);
  ~Delivery();  // stops
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void start();
  // Ends the thread: a transfer in flight is aborted (about a second), rows stay queued.
  void stop();
  // A row was committed: look now instead of at the next poll.
  void wake();
  // A reload's channels: new lanes start, removed ones stop (joined at stop(), so the caller
  // never waits on a transfer); rows queued for a channel that is gone fail for good.
  void set_channels(std::vector<Channel> channels);
  // /health dependencies.notify: {"status": healthy|degraded, "channels": {...}, "queue_depth"}.
  nlohmann::json health() const;
  bool degraded() const;

 private:
  struct Lane;
  struct ChannelState {
    bool failing = false;
    int64_t failing_since_ms = 0;
    std::string last_error;
    int64_t delivered = 0;
  };
  void sync_lanes(const std::vector<std::string>& pending);  // mu_ held
  void launch(Lane& lane);                                   // mu_ held
  void run_lane(Lane& lane);
  void pass(Lane& lane);
  void deliver(Lane& lane, const OutboxRow& row, int64_t now_ms);
  // Several due rows as one digest message; returns how many of them it carried (>= 1).
  size_t deliver_digest(Lane& lane, const Channel& channel, std::span<const OutboxRow> rows,
                        int64_t now_ms);
  // One request to the service, paced by the lane's budget: the answer classified, or nullopt
  // when stop() cut it off (not an attempt).
  std::optional<Outcome> exchange(Lane& lane, const Channel& channel,
                                  const OutboundRequest& request);
  // The outcome recorded for every row the message carried.
  void settle(Lane& lane, const Channel& channel, std::span<const OutboxRow> rows,
              const Outcome& outcome);
  void record(Lane& lane, const std::string& event, const char* result);
  void note_channel(const std::string& channel, bool ok, const std::string& error, int64_t now);
  int64_t now() const { return options_.clock_ms(); }

  Outbox& outbox_;
  DeliveryOptions options_;
  telemetry::Registry& registry_;
  std::function<std::unique_ptr<Transport>(const std::atomic<bool>*)> make_transport_;

  mutable std::mutex mu_;  // guards everything below but the atomics; the lanes' cvs wait on it
  std::vector<Channel> channels_;
  std::map<std::string, ChannelState> states_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;  // by channel name
  std::vector<std::unique_ptr<Lane>> retired_;          // told to stop; joined by stop()
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<int64_t> depth_{0};
  telemetry::Gauge* depth_gauge_;
  telemetry::Histogram* seconds_;
};

}  // namespace x0::notify
