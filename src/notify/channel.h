// One [[notify.channels]] entry: where notifications go (a service and its account), which
// events, severities and escalation levels it takes, and how long a delivery may take. The
// config module reads and validates it (config/notify_config.cc, docs/CONFIG.md); the secret is
// read from its file at load and lives only here: never logged, never written to the outbox.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/severity.h"
#include "notify/event_kind.h"

namespace x0::notify {

enum class ChannelType { kPagerDuty, kSlack, kTelegram, kStatuspage, kWebhook };
std::string_view to_string(ChannelType type);  // "pagerduty", "slack", ...
std::optional<ChannelType> parse_channel_type(std::string_view text);
// The service's own API root; `base_url` replaces it (tests, proxies, EU PagerDuty).
std::string_view default_base_url(ChannelType type);

struct Channel {
  std::string name;  // [a-z0-9_-]+, unique; the `channel` label of the metrics
  ChannelType type = ChannelType::kWebhook;
  std::bitset<kEventKindCount> events;     // by EventKind; config default: all
  std::bitset<kSeverityCount> severities;  // bit SEV-n - 1; config default: all
  // The escalation levels this audience belongs to; it hears an incident once the incident has
  // reached the lowest of them (an L2 channel from the escalation to the team lead on).
  std::bitset<3> levels;    // bit Ln - 1; config default: L1 only
  std::string base_url;     // resolved: the override or default_base_url(type), no trailing '/'
  std::string url;          // webhook: the receiver's http(s) URL
  std::string secret;       // routing key (PagerDuty), token (Slack path, Telegram bot, Statuspage
                            // API key), HMAC key (webhook); empty for an unsigned webhook
  std::string secret_file;  // where it came from (for messages; the content is never shown)
  std::string chat_id;      // telegram
  std::string page_id;      // statuspage
  std::vector<std::string> component_ids;  // statuspage
  std::string ca_file;                     // PEM bundle instead of the system store
  int connect_timeout_ms = 3000;
  int timeout_ms = 10000;  // one attempt, end to end: lookup, connect, TLS, request, answer
  bool legacy = false;     // made from [notify] webhooks, not written as a channel
  // Storm control (docs/ONCALL.md "Storms"): at most rate_per_minute requests to the service,
  // `burst` of them at once after a quiet spell (0: no limit); and with `group`, the events due
  // when a request may go are sent together as one digest message (chat channels only).
  int rate_per_minute = 0;
  int burst = 1;
  bool group = false;
};

// The services' published limits (Slack and Statuspage 1/s, a Telegram chat 1/s, a group chat
// 20/min, PagerDuty about 120/min per routing key); a webhook has none. Grouping is on for the
// chat channels, where a person reads every message.
int default_rate_per_minute(ChannelType type, std::string_view chat_id);
int default_burst(ChannelType type);
bool can_group(ChannelType type);  // Slack and Telegram have a digest format (notify/digest.h)

}  // namespace x0::notify
