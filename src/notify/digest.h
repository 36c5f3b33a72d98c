// Storm digests: when several events are due on a chat channel (Slack, Telegram) at the moment
// its pace lets one message go, they go as one message that names every incident in it, with
// counts by severity, instead of one message each that the pace would spread over minutes.
// Alertmanager's grouping waits group_wait before the first message; this waits for nothing: a
// lone event goes alone, at once, and only what the pace held back is grouped. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "notify/channel.h"
#include "notify/event.h"
#include "notify/wire.h"

namespace x0::notify {

struct Digest {
  OutboundRequest request;
  size_t count = 0;  // how many of the events, from the first, the message holds (at least 1)
};

// The message for as many of `events` as fit the service's limits (Telegram's 4096 characters,
// Slack's 50 blocks of 3000), at most kMaxDigestEvents. `channel` must be able to group
// (can_group); `context`'s public_url gives each line its report link.
Digest format_digest(const Channel& channel, const std::vector<Event>& events,
                     const FormatContext& context);

inline constexpr size_t kMaxDigestEvents = 50;

}  // namespace x0::notify
