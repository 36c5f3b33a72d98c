// The durable outbox seen from the delivery thread: a pure interface, implemented by the
// incident store on its SQLite database (incident/store_outbox.cc), so that a notification row
// commits in the same transaction as the timeline entry that causes it, and its outcome in the
// same transaction as the `notified` entry that records it. A row is pending until delivered or
// failed for good; nothing is ever deleted by delivery (the row is the record of what was sent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "notify/event.h"

namespace x0::notify {

// A notification the planner asks the store to queue with the event's cause.
struct Planned {
  std::string channel;
  std::string dedup_key;  // "<incident>:<event>:<timeline seq>": unique per channel
};

struct OutboxRow {
  int64_t id = 0;
  std::string channel;
  std::string incident_id;
  std::string dedup_key;
  nlohmann::json event;  // to_json(Event)
  int attempts = 0;      // made so far
  int64_t created_ms = 0;
};

// What the delivery records with an outcome: on the row, and as a timeline entry.
struct DeliveryRecord {
  int attempts = 0;
  std::string result;  // "delivered" or "failed"
  std::string reason;
  std::string event;  // the event kind, for the entry's fields
  int64_t time_ms = 0;
  int grouped = 1;  // the events the message carried: > 1 for a storm digest (notify/digest.h)
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  // `channel`'s pending rows due at `now_ms`, oldest first, at most one per incident: a
  // channel hears an incident's events in the order they happened (PagerDuty's trigger before
  // its resolve, Statuspage's create before its updates).
  virtual Result<std::vector<OutboxRow>> due(const std::string& channel, int64_t now_ms,
                                             int limit) = 0;
  // The earliest next attempt of `channel`'s pending rows; nullopt when none is pending.
  virtual Result<std::optional<int64_t>> next_due_ms(const std::string& channel) = 0;
  // Channels with pending rows (a reload may have removed some of them).
  virtual Result<std::vector<std::string>> pending_channels() = 0;
  virtual Result<int64_t> pending_count() = 0;
  // Delivered or failed for good: the row leaves the queue and a `notified` entry joins the
  // incident's timeline, in one transaction.
  virtual Result<void> finish(const OutboxRow& row, const DeliveryRecord& record) = 0;
  // Another attempt at `next_ms` (unix ms); `reason` is what the last one met.
  virtual Result<void> retry_at(int64_t id, int attempts, int64_t next_ms,
                                const std::string& reason) = 0;
  // Statuspage: the remote incident a channel created for one of ours.
  virtual Result<std::optional<std::string>> remote_id(const std::string& channel,
                                                       const std::string& incident_id) = 0;
  virtual Result<void> set_remote_id(const std::string& channel, const std::string& incident_id,
                                     const std::string& remote_id) = 0;
};

}  // namespace x0::notify
