// Which channels an event goes to: the pure decision the incident store asks for inside its
// transaction (StoreOptions::plan_notifications). The dedup key names the event itself
// (incident, kind, causing timeline entry), so queueing it twice is a no-op and a receiver can
// tell a redelivery from a new event.
#pragma once

#include <vector>

#include "notify/channel.h"
#include "notify/event.h"
#include "notify/outbox.h"

namespace x0::notify {

// Whether `channel` takes `event` (its events, severities and levels).
bool takes(const Channel& channel, const Event& event);
std::string dedup_key(const Event& event);  // "INC-20261204-0001:opened:17"
std::vector<Planned> plan(const std::vector<Channel>& channels, const Event& event);

}  // namespace x0::notify
